"""Regenerate ingest/punkt_nl.json, the Punkt sentence parameters, from the seeds.

python -m bench.train_punkt [FILE ...]     # default: seeds/*.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

from ingest.sentences import main

if __name__ == "__main__":
    main(sys.argv[1:] or [str(p) for p in sorted(Path("seeds").glob("*.txt"))])
