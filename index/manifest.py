"""What built an index, and whether it still fits the model and the store.

Every index version folder carries a `manifest.json` (model, fingerprint,
dimension, normalisation, passage count, corpus hash, the settings that shape
the index, format version). Opening an index whose manifest does not match the
current model or store raises `IndexNotReady` with the command that rebuilds
it: a stale index must never answer with the wrong passages.

Versions are swapped atomically: a build writes a complete new folder
`index/v-<stamp>/`, then replaces the one-line pointer `index/CURRENT` with
`os.replace`. A build killed halfway leaves the previous index in use.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.results import IndexNotReady

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
POINTER = "CURRENT"
# The copy of the store an index version was built from, and answers from.
SNAPSHOT = "store.db"
REBUILD = "Run `make index` or `advieszoeker index` to build the search index."


@dataclass(frozen=True)
class Manifest:
    model_name: str
    model_fingerprint: str
    dimension: int
    passage_count: int
    corpus_hash: str
    dense_kind: str
    settings: dict[str, Any] = field(default_factory=dict)
    normalised: bool = True
    version: int = FORMAT_VERSION
    created: str = ""
    build: dict[str, Any] = field(default_factory=dict)
    # The milvus backend: this version's collections ("passages", "sentences").
    collections: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def mismatch(
        self, *, fingerprint: str, corpus_hash: str, passage_count: int, settings: dict[str, Any]
    ) -> str | None:
        """Why this index cannot serve the current model and store, or None if it can."""
        if self.version != FORMAT_VERSION:
            return (
                f"the index has format version {self.version}, this program needs {FORMAT_VERSION}"
            )
        if self.model_fingerprint != fingerprint:
            return f"the index was built with another model ({self.model_name})"
        if self.corpus_hash != corpus_hash or self.passage_count != passage_count:
            return "the documents changed since the index was built"
        for key, value in settings.items():
            if self.settings.get(key) != value:
                return f"the setting {key} changed ({self.settings.get(key)!r} -> {value!r})"
        return None


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_version(index_dir: Path) -> Path | None:
    """The folder of the index in use, or None when there is none."""
    pointer = index_dir / POINTER
    if not pointer.is_file():
        return None
    folder = index_dir / pointer.read_text("utf-8").strip()
    return folder if (folder / MANIFEST).is_file() else None


def read_manifest(index_dir: Path) -> tuple[Path, Manifest]:
    folder = current_version(index_dir)
    if folder is None:
        raise IndexNotReady(f"No search index in {index_dir}. {REBUILD}")
    try:
        return folder, Manifest.from_json((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexNotReady(f"The search index in {folder} is damaged ({exc}). {REBUILD}") from exc


def new_version_dir(index_dir: Path, stamp: str) -> Path:
    index_dir.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=index_dir, prefix=f"v-{stamp}-"))


def publish(index_dir: Path, folder: Path, manifest: Manifest) -> None:
    """Write the manifest last, switch the pointer, then drop older versions."""
    write_text_atomic(folder / MANIFEST, manifest.to_json())
    write_text_atomic(index_dir / POINTER, folder.name + "\n")
    for old in index_dir.glob("v-*"):
        if old.is_dir() and old != folder:
            shutil.rmtree(old, ignore_errors=True)


def drop_unpublished(index_dir: Path) -> list[str]:
    """Remove version folders no pointer names: what a killed or failed build left.

    Only safe while holding the indexing lock (`index.jobs.index_job`), when
    no other build can be writing one.
    """
    current = current_version(index_dir)
    dropped = []
    for folder in index_dir.glob("v-*"):
        if folder.is_dir() and folder != current:
            shutil.rmtree(folder, ignore_errors=True)
            dropped.append(folder.name)
    return dropped
