"""Precision and recall of the asks extractor (index/asks.py) on hand-labelled documents.

bench/asks_gold.jsonl lists every ask of the labelled documents, one sentence
(or imperative section title) a line, labelled by reading the text before the
extractor was written. An extracted ask and a gold one are the same when one's
folded words contain the other's, or they share most words (Jaccard >= 0.6):
sentence splitting may attach a title to the sentence after it.

    python -m bench.asks [DATA_DIR]   # a data folder with the seeds ingested
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from index.asks import Ask, extract_asks
from index.quotes import normalise
from ingest.store import Store

GOLD = Path(__file__).with_name("asks_gold.jsonl")
MIN_JACCARD = 0.6


def _words(text: str) -> list[str]:
    return [w for w in (normalise(t)[0] for t in text.split()) if w]


def same_ask(gold: str, found: str) -> bool:
    g, f = _words(gold), _words(found)
    if not g or not f:
        return False
    gs, fs = " ".join(g), " ".join(f)
    if gs in fs or fs in gs:
        return True
    a, b = set(g), set(f)
    return len(a & b) / len(a | b) >= MIN_JACCARD


@dataclass
class DocumentScore:
    source: str
    gold: int
    found: int
    correct: int  # found asks that are gold
    recalled: int  # gold asks found
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def score(gold: list[dict], asks_of: dict[str, list[Ask]]) -> list[DocumentScore]:
    out = []
    for source in sorted({g["source"] for g in gold}):
        labels = [g["text"] for g in gold if g["source"] == source]
        found = [" ".join(a.text.split()) for a in asks_of.get(source, [])]
        correct = [f for f in found if any(same_ask(g, f) for g in labels)]
        recalled = [g for g in labels if any(same_ask(g, f) for f in found)]
        out.append(
            DocumentScore(
                source,
                len(labels),
                len(found),
                len(correct),
                len(recalled),
                [g for g in labels if g not in recalled],
                [f for f in found if f not in correct],
            )
        )
    return out


def run(db_path: Path) -> dict:
    gold = [json.loads(line) for line in GOLD.read_text("utf-8").splitlines() if line.strip()]
    with Store.open(db_path, create=False) as store:
        asks_of = {
            d.source: extract_asks(d, store.passages(d.source))
            for d in store.documents()
            if any(g["source"] == d.source for g in gold)
        }
    scores = score(gold, asks_of)
    found = sum(s.found for s in scores)
    labelled = sum(s.gold for s in scores)
    return {
        "precision": round(sum(s.correct for s in scores) / found, 3) if found else 0.0,
        "recall": round(sum(s.recalled for s in scores) / labelled, 3) if labelled else 0.0,
        "documents": [s.__dict__ for s in scores],
    }


def markdown(result: dict) -> str:
    rows = "\n".join(
        f"| {d['source']} | {d['gold']} | {d['found']} | "
        f"{d['correct'] / d['found'] if d['found'] else 0:.3f} | "
        f"{d['recalled'] / d['gold'] if d['gold'] else 0:.3f} |"
        for d in result["documents"]
    )
    return (
        "## Asks (Wat vraagt de SERV?)\n\n"
        "The recommendations `advieszoeker asks` extracts, against every ask of "
        f"{len(result['documents'])} seed documents labelled by hand in "
        "`bench/asks_gold.jsonl` (labelled before the extractor was written; its rules were "
        "then tuned on these same documents, so this is not a held-out figure).\n\n"
        "| document | labelled asks | extracted | precision | recall |\n"
        "|---|---:|---:|---:|---:|\n"
        f"{rows}\n"
        f"| **all** | {sum(d['gold'] for d in result['documents'])} | "
        f"{sum(d['found'] for d in result['documents'])} | **{result['precision']:.3f}** | "
        f"**{result['recall']:.3f}** |\n"
    )


if __name__ == "__main__":
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data")
    result = run(data / "advieszoeker.db")
    print(markdown(result))
    for d in result["documents"]:
        for text in d["missed"]:
            print(f"MISSED {d['source'][:3]}: {text[:150]}")
        for text in d["wrong"]:
            print(f"WRONG  {d['source'][:3]}: {text[:150]}")
