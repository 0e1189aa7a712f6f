"""What `advieszoeker ingest` does."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ingest.settings import Settings


def run_ingest(
    settings: Settings, paths: list[Path], as_json: bool, keep_missing: bool, no_progress: bool
) -> None:
    from ingest.pipeline import ingest_paths

    summary = ingest_paths(
        settings,
        paths or None,
        progress=not (no_progress or as_json),
        keep_missing=keep_missing,
    )
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        for source, reason in summary.skipped:
            click.echo(f"skipped {source}: {reason}", err=True)
        for source, note in summary.notes:
            click.echo(f"note {source}: {note}", err=True)
        click.echo(
            f"{len(summary.added)} added, {len(summary.updated)} updated, "
            f"{len(summary.unchanged)} unchanged, {len(summary.removed)} removed, "
            f"{len(summary.skipped)} skipped; {summary.documents} documents, "
            f"{summary.passages} passages in {settings.db_path}"
        )
    if not summary.ok:
        raise SystemExit(1)
