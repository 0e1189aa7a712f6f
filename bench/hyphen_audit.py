"""Count line-break hyphens left in the cleaned seeds, and passage sizes.

A remaining break is a word written "xxx- yyy" in the cleaned text whose
join "xxxyyy" occurs elsewhere in the corpus (a suspended hyphen such as
"beroeps- en" does not count: its join is not a word).

    python -m bench.hyphen_audit [FOLDER]     # default: seeds/
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
from pathlib import Path

from ingest.dehyphenate import SUSPENSION_WORDS, Vocabulary
from ingest.pipeline import ingest_paths
from ingest.settings import Settings
from ingest.store import Store

_SPLIT = re.compile(r"(\w+)- (\w+)")


def audit(folder: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), corpus_dir=folder)
        ingest_paths(settings, [folder], progress=False)
        with Store.open(settings.db_path) as store:
            docs = store.documents()
            vocabulary = Vocabulary()
            for doc in docs:
                vocabulary.add_text(doc.cleaned)
            remaining = 0
            for doc in docs:
                passages = store.passages(doc.source)
                sizes = [len(p.text.split()) for p in passages]
                body = [len(p.text.split()) for p in passages if p.kind == "body"]
                hits = [
                    m.group(0)
                    for m in _SPLIT.finditer(doc.cleaned)
                    if vocabulary.count(m.group(1) + m.group(2)) > 0
                    and m.group(2).lower() not in SUSPENSION_WORDS
                ]
                remaining += len(hits)
                print(
                    f"{doc.source}: {len(passages)} passages "
                    f"({sum(p.kind == 'footnote' for p in passages)} footnotes), "
                    f"median {statistics.median(sizes):.0f} words "
                    f"(body only {statistics.median(body):.0f}), max {max(sizes)}; "
                    f"line-break hyphens left: {len(hits)} {hits[:5]}"
                )
    print(f"remaining line-break hyphens: {remaining}")
    return remaining


if __name__ == "__main__":
    audit(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("seeds"))
