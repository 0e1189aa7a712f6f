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
    print(json.dumps({"peak_rss_mb": round(peak_rss_kb() / 1024, 1)}))


def peak_rss_kb() -> int:
    """This process's peak resident memory since its exec.

    Not getrusage's ru_maxrss: Linux carries that across fork and exec, so a
    child of the (large) benchmark process would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
