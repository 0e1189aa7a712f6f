"""Ingest files into the store: read, clean, cut into passages, save.

The rules, in one place:
* An unchanged file (same bytes as stored, cut by the same cleaning and
  passage sizes) costs no work; if only its entry in `metadata.toml` changed,
  only the metadata is updated. A new CLEANING_VERSION or other passage sizes
  re-clean every file once.
* A changed file has its document and passages replaced in one transaction.
* Ingesting a folder makes the store match it: documents whose file is no
  longer in any of the folders given are removed, with their passages
  (`keep_missing=True`, the CLI's `--keep-missing`, keeps them); documents
  uploaded in the web app (`settings.uploads_dir`) are kept. Ingesting
  single files never removes anything.
* A file with the same bytes as another file of the batch is ingested once;
  the second is skipped with a reason.
* A file that cannot be read is skipped with a one-line reason; what is
  already stored for it stays.
"""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from tqdm import tqdm

from ingest.clean import clean_lines
from ingest.dehyphenate import Vocabulary
from ingest.document import Document, DocumentHints, content_hash
from ingest.metadata import METADATA_FILE, Metadata, MetadataError, guess_title, load_metadata
from ingest.passages import PassageSizes, build_passages
from ingest.readers import SUPPORTED, RawDocument, UnreadableFile, read_document
from ingest.settings import Settings
from ingest.store import Store

log = logging.getLogger(__name__)

# Raise when cleaning or passage cutting changes its output for the same file,
# so that stores built by an earlier version are re-cleaned on the next ingest.
CLEANING_VERSION = 3


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    metadata_updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (file, note)
    passages: int = 0  # passages in the store after the run
    documents: int = 0  # documents in the store after the run

    @property
    def ok(self) -> bool:
        """Something usable was ingested or is already there."""
        return bool(self.added or self.updated or self.unchanged)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["skipped"] = [{"file": f, "reason": r} for f, r in self.skipped]
        data["notes"] = [{"file": f, "note": n} for f, n in self.notes]
        return data


@dataclass
class _Candidate:
    path: Path
    source: str
    metadata: Metadata


def collect_files(paths: list[Path]) -> tuple[list[_Candidate], list[tuple[str, str]], bool]:
    """The files to ingest, the paths skipped with a reason, and whether a folder was given."""
    found: list[_Candidate] = []
    skipped: list[tuple[str, str]] = []
    any_folder = False
    for path in paths:
        if path.is_dir():
            any_folder = True
            try:
                metadata = load_metadata(path)
            except MetadataError as exc:
                skipped.append((str(path / METADATA_FILE), str(exc)))
                metadata = {}
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                rel = file.relative_to(path)
                if any(part.startswith(".") for part in rel.parts) or file.name == METADATA_FILE:
                    continue
                source = rel.as_posix()
                if file.suffix.lower() not in SUPPORTED:
                    skipped.append((source, f"unsupported file type; use {', '.join(SUPPORTED)}"))
                    continue
                found.append(_Candidate(file, source, metadata.get(source, Metadata())))
        elif path.exists() or path.suffix:
            try:
                metadata = load_metadata(path.parent)
            except MetadataError:
                metadata = {}
            found.append(_Candidate(path, path.name, metadata.get(path.name, Metadata())))
        else:
            skipped.append((str(path), "no such file or folder; check the path"))
    return found, skipped, any_folder


def ingest_paths(
    settings: Settings,
    paths: list[Path] | None = None,
    store: Store | None = None,
    progress: bool = True,
    keep_missing: bool = False,
) -> IngestSummary:
    """Ingest files and folders (default: `settings.corpus_dir`) into the store.

    See the module docstring for what happens to unchanged, changed, removed,
    duplicate and unreadable files.
    """
    paths = list(paths) if paths else [settings.corpus_dir]
    own_store = store is None
    store = store or Store.open(settings.db_path)
    summary = IngestSummary()
    try:
        candidates, skipped, any_folder = collect_files(paths)
        summary.skipped.extend(skipped)
        raws: list[tuple[_Candidate, RawDocument]] = []
        seen_hashes: dict[str, str] = {}
        read = _read_all(candidates, settings, progress)
        for cand, raw in zip(candidates, read, strict=True):
            if isinstance(raw, UnreadableFile):
                summary.skipped.append((cand.source, str(raw)))
                continue
            if raw.content_hash in seen_hashes:
                summary.skipped.append(
                    (cand.source, f"same content as {seen_hashes[raw.content_hash]}; ingested once")
                )
                continue
            seen_hashes[raw.content_hash] = cand.source
            if raw.note:
                summary.notes.append((cand.source, raw.note))
            raws.append((cand, raw))

        stored = store.content_hashes()
        batch_sources = {c.source for c, _ in raws}
        vocabulary = Vocabulary()
        for _, raw in raws:
            vocabulary.add_lines(ln.text for ln in raw.lines)
        for doc in store.documents():
            if doc.source not in batch_sources:
                vocabulary.add_text(doc.cleaned)

        sizes = PassageSizes(
            settings.passage_min_words, settings.passage_target_words, settings.passage_max_words
        )
        for cand, raw in tqdm(raws, desc="Cleaning", unit="doc", disable=not progress):
            previous = stored.get(cand.source)
            key = ingest_key(raw.content_hash, sizes)
            if previous == key:
                old = store.document(cand.source)
                if old is not None and _metadata_changed(old, cand.metadata, raw.hints):
                    store.update_metadata(_with_metadata(old, cand.metadata, raw.hints))
                    summary.metadata_updated.append(cand.source)
                summary.unchanged.append(cand.source)
                continue
            cleaned = clean_lines(raw.lines, vocabulary, structured=raw.structured)
            passages = build_passages(cand.source, cleaned, sizes)
            if not passages:
                summary.skipped.append(
                    (cand.source, "no text left after cleaning; check that it is a text document")
                )
                continue
            meta = cand.metadata
            document = Document(
                source=cand.source,
                title=meta.title or raw.hints.title or guess_title(cleaned, cand.path.stem),
                cleaned=cleaned.text,
                content_hash=key,
                author=meta.author or raw.hints.author,
                kind=meta.kind,
                year=meta.year or raw.hints.year,
                addressee=meta.addressee or cleaned.addressee,
                url=meta.url,
                pages=raw.pages,
                anchors=tuple(cleaned.anchors),
                ocr_pages=cleaned.ocr_pages,
            )
            store.replace_document(document, passages)
            (summary.updated if previous else summary.added).append(cand.source)
            log.info("%s: %d passages", cand.source, len(passages))

        if any_folder and not keep_missing:
            present = {c.source for c in candidates}
            # Files added in the web app live in the uploads folder, not in the
            # corpus folder: they stay until they are removed in the app.
            uploaded = {p.name for p in settings.uploads_dir.glob("*") if p.is_file()}
            for source in sorted(stored):
                if source not in present and source not in uploaded:
                    store.remove_document(source)
                    summary.removed.append(source)
        summary.passages = store.passage_count()
        summary.documents = len(store.content_hashes())
    finally:
        if own_store:
            store.close()
    return summary


def _read_all(
    candidates: list[_Candidate], settings: Settings, progress: bool
) -> list[RawDocument | UnreadableFile]:
    """Every candidate read, in order; an unreadable one as its error.

    Files are read in `settings.read_workers` processes: reading a PDF by its
    layout, and OCR, keep one core busy per file.
    """
    paths = [c.path for c in candidates]
    limit = settings.max_file_mb
    bar = tqdm(total=len(paths), desc="Reading", unit="file", disable=not progress)
    try:
        if settings.read_workers <= 1 or len(paths) < 2:
            out = []
            for path in paths:
                out.append(_read_one(path, limit))
                bar.update()
            return out
        workers = min(settings.read_workers, len(paths))
        with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
            futures = [pool.submit(_read_one, path, limit) for path in paths]
            for future in futures:
                future.add_done_callback(lambda _f: bar.update())
            return [f.result() for f in futures]
    finally:
        bar.close()


def _read_one(path: Path, max_file_mb: float) -> RawDocument | UnreadableFile:
    try:
        return read_document(path, max_file_mb=max_file_mb)
    except UnreadableFile as exc:
        return exc


def ingest_key(file_hash: str, sizes: PassageSizes) -> str:
    """What decides whether a stored document is still up to date: the file's
    bytes, the cleaning version and the passage sizes."""
    return content_hash(
        f"{file_hash}|clean-{CLEANING_VERSION}|{sizes.min_words}-{sizes.target_words}-"
        f"{sizes.max_words}"
    )


def _metadata_changed(doc: Document, meta: Metadata, hints: DocumentHints) -> bool:
    return _with_metadata(doc, meta, hints) != doc


def _with_metadata(doc: Document, meta: Metadata, hints: DocumentHints) -> Document:
    """The document with `metadata.toml`'s fields, falling back to what the file says."""
    from dataclasses import replace

    return replace(
        doc,
        title=meta.title or hints.title or doc.title,
        author=meta.author or hints.author,
        kind=meta.kind,
        year=meta.year or hints.year,
        addressee=meta.addressee or doc.addressee,
        url=meta.url,
    )
