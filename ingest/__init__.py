"""Turn advice documents into clean, citable passages in the SQLite store.

Public API: `ingest_paths` (the pipeline) and its `IngestSummary`;
`split_sentences` (sentence spans, used to pick answer sentences);
`Document`, `Passage`, `Store`, `Settings`; `read_document`, `UnreadableFile`;
`clean_lines`, `Vocabulary`, `dehyphenate` helpers for tools and tests.
"""

from ingest.clean import CleanedDocument, clean_lines
from ingest.dehyphenate import Vocabulary, join_hyphenated
from ingest.document import Document, Passage, content_hash, passage_id
from ingest.pipeline import IngestSummary, ingest_paths
from ingest.readers import SkippedFile, UnreadableFile, read_document
from ingest.sentences import split_sentences
from ingest.settings import Settings
from ingest.store import Store, StoreError

__all__ = [
    "CleanedDocument",
    "Document",
    "IngestSummary",
    "Passage",
    "Settings",
    "SkippedFile",
    "Store",
    "StoreError",
    "UnreadableFile",
    "Vocabulary",
    "clean_lines",
    "content_hash",
    "ingest_paths",
    "join_hyphenated",
    "passage_id",
    "read_document",
    "split_sentences",
]
