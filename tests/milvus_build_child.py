"""Index the fixture corpus on Milvus Lite in this process, to be killed mid-build.

Run as a child process by tests/test_milvus_backend.py:
    python tests/milvus_build_child.py DATA_DIR MILVUS_DB EMBED_CONTEXT
Logging goes to stdout, so the test can SIGKILL it once Milvus is being written.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from index_fixtures import FakeEmbedder, fill_store

from index import build_index
from ingest.settings import Settings


def main() -> None:
    data_dir, lite, context = sys.argv[1:4]
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    settings = Settings(
        data_dir=Path(data_dir),
        backend="milvus",
        milvus_uri=lite,
        extra={"embed_context": context},
    )
    with fill_store(settings) as store:
        build_index(settings, store, FakeEmbedder(), progress=False)
    print("built", flush=True)


if __name__ == "__main__":
    main()
