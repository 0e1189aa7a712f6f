"""Adding documents from the web app, and removing them, without risking the index.

An upload runs the pipeline of `advieszoeker index`: every file is checked
(`app.upload_checks`), stored under `<data>/uploads/` with a generated name
(`upload-<sha256>.<type>`; the browser's name is display metadata only and
never part of a path), ingested into the live store, and the next index
version is built (unchanged passages come from the embedding cache) and
published with the atomic pointer swap. The published index answers
searches throughout; `on_published` then lets the app switch to the new one.

Only one indexing job runs at a time (`index.jobs.index_job`, shared with
`advieszoeker index`). When a job fails (a full disk, a write error), what
it added is taken out of the live store and the uploads folder again, so the
user can simply retry; a process killed mid-job leaves the published index
untouched, and the retry finds the stored file and finishes the job.
"""

from __future__ import annotations

import errno
import hmac
import logging
import shutil
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.upload_checks import TYPE_NAMES, UploadRejected, allowed_types, dutch_reason
from app.upload_checks import inspect_upload as inspect
from app.upload_folder import UploadFolder
from index.build import EmbedderLike, build_index
from index.jobs import index_job
from index.manifest import SNAPSHOT, current_version, drop_unpublished
from ingest.errors import AdvieszoekerError
from ingest.settings import Settings
from ingest.store import Store, StoreError

log = logging.getLogger(__name__)

# Display names and upload times of the stored files, by generated name.
PREFIX = "upload-"
# Less free space than this after a failure: the disk is full, say so.
DISK_RESERVE = 4 * 1024 * 1024
# Progress callback: (file index or None for the whole upload, Dutch stage text).
Progress = Callable[[int | None, str], None]


class UploadsDisabled(AdvieszoekerError, PermissionError):
    """Uploading is off, or the token is wrong; the message says what to do."""


class UploadFailed(AdvieszoekerError, RuntimeError):
    """The upload could not be finished; nothing changed and it can be retried."""


@dataclass(frozen=True)
class Incoming:
    """A file as the browser sent it: where Gradio stored it, and its name (display only)."""

    path: Path
    name: str


@dataclass(frozen=True)
class FileMeta:
    """Metadata the user gave for one file; empty fields are left to what ingest reads."""

    title: str = ""
    author: str = ""
    kind: str = ""
    year: str = ""

    @classmethod
    def of(cls, value: Any) -> FileMeta:
        """From the API's or the panel's dict (unknown keys refused, in Dutch)."""
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise UploadRejected("De metadata van een bestand moet een object zijn.")
        unknown = set(value) - {"title", "author", "kind", "year"}
        if unknown:
            raise UploadRejected(
                f"Onbekend metadataveld {', '.join(sorted(unknown))}; gebruik title, "
                "author, kind en year."
            )
        return cls(**{k: str(v or "").strip() for k, v in value.items()})

    def entry(self) -> dict[str, Any]:
        """The `metadata.toml` fields (only those given)."""
        out: dict[str, Any] = {}
        for key in ("title", "author", "kind"):
            text = getattr(self, key)
            if len(text) > 300:
                raise UploadRejected(f"Het veld {key} is te lang (meer dan 300 tekens).")
            if text:
                out[key] = text
        if self.year:
            if not (self.year.isdigit() and 1800 <= int(self.year) <= 2200):
                raise UploadRejected(f"Het jaar {self.year!r} is geen jaartal zoals 2025.")
            out["year"] = int(self.year)
        return out


@dataclass
class FileResult:
    name: str
    status: str  # "added" or "rejected"
    message: str
    passages: int = 0
    doc_id: str | None = None
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "passages": self.passages,
            "doc_id": self.doc_id,
            "source": self.source,
        }


@dataclass(frozen=True)
class UploadedDocument:
    source: str  # the generated file name, also the document's source in the store
    name: str  # what the browser called it
    uploaded: str


@dataclass
class _Pending:
    index: int
    incoming: Incoming
    source: str
    meta: dict[str, Any] = field(default_factory=dict)


class Uploads:
    """The upload and removal jobs of one data folder."""

    def __init__(
        self,
        settings: Settings,
        embedder: Callable[[], EmbedderLike],
        on_published: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.folder = settings.uploads_dir
        self.files = UploadFolder(self.folder)
        self._embedder = embedder
        self._on_published = on_published

    # Who may upload

    @property
    def enabled(self) -> bool:
        return bool(self.settings.upload_token)

    def check_token(self, token: str | None) -> None:
        if not self.enabled:
            raise UploadsDisabled(
                "Documenten toevoegen staat uit. De beheerder zet het aan met "
                "`advieszoeker serve --upload-token …`."
            )
        if not hmac.compare_digest(str(token or "").encode(), self.settings.upload_token.encode()):
            raise UploadsDisabled("De toegangscode klopt niet. Vraag de beheerder om de juiste.")

    def limits(self) -> str:
        s = self.settings
        types = ", ".join(t.lstrip(".").upper() for t in allowed_types(s))
        return (
            f"{types}; hoogstens {s.upload_max_files} bestanden tegelijk, "
            f"{s.upload_max_mb:g} MB en {s.upload_max_pages} pagina's per bestand."
        )

    # Adding

    def add(
        self,
        files: Sequence[Incoming],
        metadata: Sequence[Any] | None = None,
        progress: Progress = lambda i, text: None,
    ) -> list[FileResult]:
        """Check, store, ingest and index `files`; one result per file, in order.

        Returns once the added documents are in the published index (and the
        app was told). Raises UploadFailed when the job itself failed.
        """
        if not files:
            raise UploadRejected("Kies eerst een of meer bestanden om toe te voegen.")
        if len(files) > self.settings.upload_max_files:
            raise UploadRejected(
                f"U koos {len(files)} bestanden; voeg er hoogstens "
                f"{self.settings.upload_max_files} tegelijk toe."
            )
        metas = list(metadata or [])
        results: list[FileResult | None] = [None] * len(files)
        pending: list[_Pending] = []
        for i, incoming in enumerate(files):
            name = display_name(incoming.name)
            progress(i, "controleren")
            try:
                meta = FileMeta.of(metas[i] if i < len(metas) else None).entry()
                checked = inspect(Path(incoming.path), name, self.settings)
            except UploadRejected as err:
                results[i] = FileResult(name, "rejected", str(err))
                continue
            source = f"{PREFIX}{checked.sha256[:20]}{checked.suffix}"
            pending.append(_Pending(i, Incoming(incoming.path, name), source, meta))
        if pending:

            def waiting(pid: int | None) -> None:
                progress(None, "wacht tot een andere indexering klaar is")

            with index_job(self.settings.data_dir, on_wait=waiting):
                self._add_locked(pending, results, progress)
            self._on_published()
        return [r for r in results if r is not None]

    def _add_locked(
        self, pending: list[_Pending], results: list[FileResult | None], progress: Progress
    ) -> None:
        drop_unpublished(self.settings.index_dir)
        published = self._published_titles()
        fresh: list[_Pending] = []
        for item in pending:
            name = item.incoming.name
            if item.source in published:
                title = published[item.source]
                message = f"Dit document staat er al in, als “{title}”."
                results[item.index] = FileResult(name, "rejected", message)
            elif any(item.source == other.source for other in fresh):
                results[item.index] = FileResult(
                    name, "rejected", "Dit bestand is gelijk aan een ander bestand van deze keuze."
                )
            else:
                fresh.append(item)
        if not fresh:
            return
        try:
            with Store.open(self.settings.db_path) as store:
                for item in fresh:
                    progress(item.index, "opslaan")
                    self.files.store(item.source, item.incoming.path, item.incoming.name, item.meta)
                for item in fresh:
                    progress(item.index, "lezen en in passages knippen")
                kept = self._ingest(store, fresh, results)
                if kept:
                    progress(None, "zoekindex bijwerken")
                    build_index(self.settings, store, self._embedder(), progress=False)
                for item in kept:
                    count = len(store.passages(item.source))
                    doc = store.document(item.source)
                    results[item.index] = FileResult(
                        item.incoming.name,
                        "added",
                        f"Toegevoegd: {count} passages, nu doorzoekbaar.",
                        count,
                        doc.doc_id if doc else None,
                        item.source,
                    )
        except (OSError, sqlite3.Error, StoreError, MemoryError) as exc:
            log.warning("upload failed, rolling back: %s", exc)
            self._roll_back(fresh)
            raise UploadFailed(_failure_message(exc, self.settings.data_dir)) from None
        except BaseException:
            self._roll_back(fresh)
            raise

    def _ingest(
        self, store: Store, items: list[_Pending], results: list[FileResult | None]
    ) -> list[_Pending]:
        """Ingest the stored files; the ones ingest skips are rejected and removed again."""
        from ingest.pipeline import ingest_paths

        # Read in this process: no worker processes forked from the server's threads.
        settings = self.settings.with_(read_workers=1)
        summary = ingest_paths(
            settings, [self.folder / i.source for i in items], store=store, progress=False
        )
        skipped = dict(summary.skipped)
        kept = []
        for item in items:
            if item.source in skipped:
                reason = dutch_reason(skipped[item.source])
                results[item.index] = FileResult(item.incoming.name, "rejected", reason)
                self.files.forget([item.source])
            else:
                kept.append(item)
        return kept

    # Removing

    def uploaded(self) -> list[UploadedDocument]:
        """The documents added in the app, newest first."""
        registry = self.files.registry()
        out = [
            UploadedDocument(source, str(entry.get("name", source)), str(entry.get("uploaded", "")))
            for source, entry in registry.items()
            if (self.folder / source).is_file()
        ]
        return sorted(out, key=lambda d: d.uploaded, reverse=True)

    def remove(self, source: str, progress: Progress = lambda i, text: None) -> str:
        """Take an uploaded document out of the index; the Dutch sentence saying so."""
        known = {d.source: d for d in self.uploaded()}
        if source not in known:
            raise UploadRejected(
                "Alleen documenten die in de app zijn toegevoegd kunnen hier verwijderd worden."
            )

        def waiting(pid: int | None) -> None:
            progress(None, "wacht tot een andere indexering klaar is")

        with index_job(self.settings.data_dir, on_wait=waiting):
            drop_unpublished(self.settings.index_dir)
            try:
                with Store.open(self.settings.db_path) as store:
                    store.remove_document(source)
                    progress(None, "zoekindex bijwerken")
                    build_index(self.settings, store, self._embedder(), progress=False)
            except (OSError, sqlite3.Error, StoreError, MemoryError) as exc:
                drop_unpublished(self.settings.index_dir)
                raise UploadFailed(_failure_message(exc, self.settings.data_dir)) from None
            # Only once the index without it is published: the file can go.
            self.files.forget([source])
        self._on_published()
        return f"“{known[source].name}” is verwijderd uit de documenten."

    # Files and registry

    def _roll_back(self, items: list[_Pending]) -> None:
        """Undo a failed job: its half-written version, and its files out of the live
        store and the uploads folder (best effort; called holding the job lock)."""
        drop_unpublished(self.settings.index_dir)
        try:
            with Store.open(self.settings.db_path) as store:
                for item in items:
                    store.remove_document(item.source)
        except (OSError, sqlite3.Error, AdvieszoekerError) as exc:
            log.warning("rollback could not clean the store: %s", exc)
        try:
            self.files.forget([i.source for i in items])
        except OSError as exc:
            log.warning("rollback could not clean the uploads folder: %s", exc)

    def _published_titles(self) -> dict[str, str]:
        """Source -> title of the documents the published index answers from."""
        folder = current_version(self.settings.index_dir)
        snapshot = folder / SNAPSHOT if folder else None
        if snapshot is None or not snapshot.is_file():
            return {}
        try:
            with Store.open(snapshot, create=False) as store:
                return {d.source: d.title for d in store.documents()}
        except StoreError:
            return {}  # e.g. a full disk: the job itself will fail and say so


def display_name(name: str) -> str:
    """The browser's file name, fit to show: its last part, no control characters."""
    last = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch for ch in last if ch.isprintable()).strip()
    return clean[:200] or "bestand"


def _failure_message(exc: BaseException, data_dir: Path) -> str:
    text = str(exc).lower()
    try:
        # SQLite reports a full disk as "disk I/O error" when it cannot create its side files.
        nearly_full = shutil.disk_usage(data_dir).free < DISK_RESERVE
    except OSError:
        nearly_full = False
    if getattr(exc, "errno", None) == errno.ENOSPC or "disk is full" in text or nearly_full:
        return (
            "De schijf van de server is vol; er is niets veranderd. Vraag de beheerder ruimte "
            "vrij te maken en probeer het dan opnieuw."
        )
    return (
        "Het toevoegen is mislukt en er is niets veranderd. Probeer het opnieuw; blijft het "
        "misgaan, meld het dan."
    )


__all__ = [
    "TYPE_NAMES",
    "FileMeta",
    "FileResult",
    "Incoming",
    "UploadFailed",
    "UploadedDocument",
    "Uploads",
    "UploadsDisabled",
]
