"""The SQLite store of documents and passages: the one source of truth.

Indexes in `index/` are derived from it and can always be rebuilt. Every write
that replaces a document's passages happens in one transaction, so an
interrupted ingest leaves the previous state intact.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.document import METADATA_FIELDS, Document, Passage
from ingest.errors import AdvieszoekerError

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    author TEXT, kind TEXT, year INTEGER, addressee TEXT, url TEXT, pages INTEGER,
    content_hash TEXT NOT NULL,
    cleaned TEXT NOT NULL,
    anchors TEXT NOT NULL DEFAULT '[]',
    ocr_pages TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS passages (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL REFERENCES documents(source) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    kind TEXT NOT NULL,
    section TEXT NOT NULL,
    text TEXT NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    page INTEGER, line_start INTEGER, line_end INTEGER,
    footnote INTEGER,
    cites TEXT NOT NULL,
    page_end INTEGER
);
CREATE INDEX IF NOT EXISTS passages_by_source ON passages(source, ordinal);
"""


class StoreError(AdvieszoekerError, RuntimeError):
    """The database cannot be used as it is; the message says what to do."""


class Store:
    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise StoreError(
                f"No database at {self.path}. Run `make index` or `advieszoeker ingest` first."
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"The database {self.path} is damaged ({exc}). Delete it and run "
                "`advieszoeker index` to rebuild it from the corpus."
            ) from exc

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        return cls(path, create=create)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_schema(self) -> None:
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        if "meta" not in tables:
            with self._db:
                self._db.executescript(_SCHEMA)
                self._db.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            return
        row = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version in _MIGRATIONS:
            self._migrate(version)
            return
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"The database {self.path} has schema version {version}; this version of "
                f"Advieszoeker needs {SCHEMA_VERSION}. Delete {self.path} and run "
                "`advieszoeker index` to rebuild it from the corpus."
            )

    def _migrate(self, version: int) -> None:
        """Bring an older database up to date in place; the next ingest re-cleans
        its documents (CLEANING_VERSION) and so fills the new columns."""
        with self._db:
            for v in range(version, SCHEMA_VERSION):
                for statement in _MIGRATIONS[v]:
                    self._db.execute(statement)
            self._db.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db:
            yield self._db

    # Documents

    def documents(self) -> list[Document]:
        rows = self._db.execute(f"SELECT {_DOC_COLS} FROM documents ORDER BY source")
        return [_document(r) for r in rows]

    def document(self, source: str) -> Document | None:
        row = self._db.execute(
            f"SELECT {_DOC_COLS} FROM documents WHERE source = ?", (source,)
        ).fetchone()
        return _document(row) if row else None

    def document_by_id(self, doc_id: str) -> Document | None:
        row = self._db.execute(
            f"SELECT {_DOC_COLS} FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return _document(row) if row else None

    def content_hashes(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT source, content_hash FROM documents"))

    def replace_document(self, document: Document, passages: Iterable[Passage]) -> None:
        """Insert or replace a document and all its passages, atomically."""
        with self.transaction() as db:
            db.execute("DELETE FROM documents WHERE source = ?", (document.source,))
            columns = _DOC_COLS.split(", ")
            db.execute(
                f"INSERT INTO documents ({_DOC_COLS}) VALUES ({', '.join('?' * len(columns))})",
                _document_row(document),
            )
            db.executemany(
                f"INSERT INTO passages ({_PASSAGE_COLS}) VALUES "
                f"({', '.join('?' * len(_PASSAGE_COLS.split(', ')))})",
                [_passage_row(p) for p in passages],
            )

    def update_metadata(self, document: Document) -> None:
        with self.transaction() as db:
            db.execute(
                f"UPDATE documents SET {', '.join(f'{f}=?' for f in METADATA_FIELDS)} "
                "WHERE source=?",
                (*(getattr(document, f) for f in METADATA_FIELDS), document.source),
            )

    def remove_document(self, source: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM documents WHERE source = ?", (source,))

    # Passages

    def passages(self, source: str | None = None) -> list[Passage]:
        if source is None:
            rows = self._db.execute(
                f"SELECT {_PASSAGE_COLS} FROM passages ORDER BY source, ordinal"
            )
        else:
            rows = self._db.execute(
                f"SELECT {_PASSAGE_COLS} FROM passages WHERE source = ? ORDER BY ordinal",
                (source,),
            )
        return [_passage(r) for r in rows]

    def passage(self, passage_id: str) -> Passage | None:
        row = self._db.execute(
            f"SELECT {_PASSAGE_COLS} FROM passages WHERE id = ?", (passage_id,)
        ).fetchone()
        return _passage(row) if row else None

    def passage_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM passages").fetchone()[0]

    def snapshot(self, path: Path) -> None:
        """Write a consistent copy of the whole database to `path` (SQLite's online backup).

        An index keeps the snapshot it was built from, so it answers from
        exactly the passages it indexed while the live store is being changed.
        """
        target = sqlite3.connect(path)
        try:
            with target:
                self._db.backup(target)
        finally:
            target.close()

    def corpus_hash(self) -> str:
        """Changes whenever any passage is added, removed or changed."""
        digest = hashlib.sha256()
        for (pid,) in self._db.execute("SELECT id FROM passages ORDER BY source, ordinal"):
            digest.update(pid.encode())
        return digest.hexdigest()[:16]


_DOC_COLS = (
    "source, doc_id, title, author, kind, year, addressee, url, pages, content_hash, cleaned, "
    "anchors, ocr_pages"
)
_PASSAGE_COLS = (
    "id, source, ordinal, kind, section, text, char_start, char_end, page, "
    "line_start, line_end, footnote, cites, page_end"
)
# Statements that take a database of schema version N to N + 1.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE documents ADD COLUMN anchors TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE documents ADD COLUMN ocr_pages TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE passages ADD COLUMN page_end INTEGER",
    ),
}


def _document_row(d: Document) -> tuple:
    return (
        d.source,
        d.doc_id,
        d.title,
        d.author,
        d.kind,
        d.year,
        d.addressee,
        d.url,
        d.pages,
        d.content_hash,
        d.cleaned,
        json.dumps([list(a) for a in d.anchors]),
        json.dumps(list(d.ocr_pages)),
    )


def _document(row: tuple) -> Document:
    (source, _doc_id, title, author, kind, year, addressee, url, pages, chash, cleaned) = row[:11]
    anchors, ocr_pages = row[11:13]
    return Document(
        source=source,
        title=title,
        cleaned=cleaned,
        content_hash=chash,
        author=author,
        kind=kind,
        year=year,
        addressee=addressee,
        url=url,
        pages=pages,
        anchors=tuple((a[0], a[1], a[2]) for a in json.loads(anchors)),
        ocr_pages=tuple(json.loads(ocr_pages)),
    )


def _passage_row(p: Passage) -> tuple:
    return (
        p.id,
        p.source,
        p.ordinal,
        p.kind,
        json.dumps(list(p.section), ensure_ascii=False),
        p.text,
        p.char_start,
        p.char_end,
        p.page,
        p.line_start,
        p.line_end,
        p.footnote,
        json.dumps(list(p.cites)),
        p.page_end,
    )


def _passage(row: tuple) -> Passage:
    (pid, source, ordinal, kind, section, text, start, end, page, l0, l1, fn, cites, p1) = row
    return Passage(
        id=pid,
        source=source,
        ordinal=ordinal,
        text=text,
        char_start=start,
        char_end=end,
        section=tuple(json.loads(section)),
        kind=kind,
        page=page,
        line_start=l0,
        line_end=l1,
        footnote=fn,
        cites=tuple(json.loads(cites)),
        page_end=p1,
    )
