"""Dutch sentence boundaries with nltk's Punkt, without downloading nltk data.

Punkt's pretrained Dutch model cannot be downloaded here, so the parameters
are trained with `PunktTrainer` on the seed corpus and shipped as a small
JSON file (`punkt_nl.json`, regenerated with `python -m
bench.train_punkt`). The Dutch abbreviations that occur in policy texts are added
by hand, because a small corpus does not see each of them often enough.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer, PunktTrainer

PARAMS_FILE = Path(__file__).with_name("punkt_nl.json")

# Lowercased, without the final period (Punkt's convention).
_ABBREVIATIONS = """
o.a bv bvb i.v.m m.b.t e.a d.w.z cfr cf i.p.v nl resp ca t.a.v o.b.v pag p pp nr nrs enz
etc e.d e.v i.k.v i.s.m m.a.w o.m t.o.v t.e.m t.e.a vs vgl zgn z.g.n dhr mevr mr dr
prof ir ing drs ed eds art artt hfst blz incl excl m.i.v jr max min evt ev d.i i.e
e.g o.l.v t.g.v m.n n.a.v a.d.h.v v.z.w vzw nv bvba i.c i.h.b al fig tab
sept okt nov dec jan feb aug
"""
DUTCH_ABBREVIATIONS = frozenset(_ABBREVIATIONS.split())


@lru_cache(maxsize=1)
def _tokenizer() -> PunktSentenceTokenizer:
    params = PunktParameters()
    if PARAMS_FILE.exists():
        data = json.loads(PARAMS_FILE.read_text(encoding="utf-8"))
        params.abbrev_types = set(data.get("abbrev_types", []))
        params.collocations = {tuple(c) for c in data.get("collocations", [])}
        params.sent_starters = set(data.get("sent_starters", []))
        for word, flag in data.get("ortho_context", {}).items():
            params.ortho_context[word] = flag
    params.abbrev_types |= DUTCH_ABBREVIATIONS
    return PunktSentenceTokenizer(params)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in `text`, without surrounding whitespace.

    Line breaks between blocks always end a sentence: a heading or list item
    never runs into the next block.
    """
    spans: list[tuple[int, int]] = []
    for block in re.finditer(r"[^\n]+", text):
        offset = block.start()
        for start, end in _tokenizer().span_tokenize(block.group(0)):
            piece = text[offset + start : offset + end]
            lead = len(piece) - len(piece.lstrip())
            trail = len(piece) - len(piece.rstrip())
            if piece.strip():
                spans.append((offset + start + lead, offset + end - trail))
    return spans


def train(texts: list[str]) -> dict[str, object]:
    """Train Punkt parameters on `texts` and return them as JSON-ready data."""
    trainer = PunktTrainer()
    trainer.INCLUDE_ALL_COLLOCS = True
    for text in texts:
        trainer.train(text, finalize=False)
    trainer.finalize_training()
    params = trainer.get_params()
    return {
        "abbrev_types": sorted(params.abbrev_types),
        "collocations": sorted(list(c) for c in params.collocations),
        "sent_starters": sorted(params.sent_starters),
        "ortho_context": dict(sorted(params.ortho_context.items())),
    }


def main(argv: list[str]) -> None:
    """Regenerate punkt_nl.json from the given text files (cleaned in memory first)."""
    from ingest.clean import clean_lines
    from ingest.dehyphenate import Vocabulary
    from ingest.lines import text_lines

    paths = [Path(a) for a in argv]
    vocabulary = Vocabulary()
    raw = [p.read_text(encoding="utf-8") for p in paths]
    for text in raw:
        vocabulary.add_text(text)
    cleaned = [clean_lines(text_lines(text), vocabulary).text for text in raw]
    data = train(cleaned)
    PARAMS_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {PARAMS_FILE} ({len(data['abbrev_types'])} abbreviations)")
