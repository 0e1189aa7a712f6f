"""The uploads folder: the stored files and what is known of them.

Each upload is kept under its generated name (`upload-<sha256>.<type>`);
`uploads.json` maps it to the name the browser sent (display only) and when
it came, and `metadata.toml` holds the metadata the user gave, which ingest
reads like any corpus folder's. Every write is atomic, so a failed job never
leaves half a file or half a registry behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.manifest import write_text_atomic
from ingest.metadata import METADATA_FILE

REGISTRY = "uploads.json"


class UploadFolder:
    """The files added in the web app, with their registry and metadata."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def store(self, source: str, incoming: Path, name: str, meta: dict[str, Any]) -> None:
        """Copy the upload into the uploads folder under its generated name, atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / source
        if not target.exists():
            # Copied under a hidden name, synced, then renamed: never half a file.
            partial = self.folder / f".incoming-{source}"
            try:
                shutil.copyfile(incoming, partial)
                with partial.open("rb+") as handle:
                    os.fsync(handle.fileno())
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
        registry = self.registry()
        registry[source] = {
            "name": name,
            "uploaded": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._write_registry(registry)
        entries = self._metadata()
        if meta:
            entries[source] = meta
        else:
            entries.pop(source, None)
        self._write_metadata(entries)

    def forget(self, sources: list[str]) -> None:
        """Delete stored files and their registry and metadata entries."""
        registry, entries = self.registry(), self._metadata()
        for source in sources:
            (self.folder / source).unlink(missing_ok=True)
            registry.pop(source, None)
            entries.pop(source, None)
        self._write_registry(registry)
        self._write_metadata(entries)

    def registry(self) -> dict[str, dict[str, Any]]:
        try:
            return json.loads((self.folder / REGISTRY).read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_registry(self, registry: dict[str, dict[str, Any]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(registry, ensure_ascii=False, indent=1)
        write_text_atomic(self.folder / REGISTRY, text)

    def _metadata(self) -> dict[str, dict[str, Any]]:
        try:
            return tomllib.loads((self.folder / METADATA_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_metadata(self, entries: dict[str, dict[str, Any]]) -> None:
        # JSON strings are valid TOML basic strings: no TOML writer needed.
        lines = ["# Metadata of the documents added in the web app (app/uploads.py)."]
        for source, fields in sorted(entries.items()):
            lines.append(f"\n[{json.dumps(source)}]")
            lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}"
                      for key, value in fields.items()]  # fmt: skip
        self.folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.folder / METADATA_FILE, "\n".join(lines) + "\n")
