"""Peak memory of a search process: open the Searcher, answer every question.

Run as a child process by `make bench` so the figure is the search process's
own, not the benchmark's:  python -m bench.search_memory DATA_DIR
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from index import Searcher
from index.evaluate import load_questions
from ingest.settings import Settings


def main() -> None:
    settings = Settings.from_env(data_dir=Path(sys.argv[1]))
    searcher = Searcher.open(settings)
    for question in load_questions(Path("bench/questions.jsonl")):
        searcher.search(question.question, k=10)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_rss_mb": round(peak_kb / 1024, 1)}))


if __name__ == "__main__":
    main()
