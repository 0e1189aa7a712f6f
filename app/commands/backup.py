"""What `advieszoeker backup` and `advieszoeker restore` do."""

from __future__ import annotations

from pathlib import Path

import click

from ingest.settings import Settings


def run_backup(settings: Settings, dest: Path) -> None:
    from app.backup import backup

    try:
        summary = backup(settings, dest)
    except OSError as err:
        raise click.ClickException(_reason(err)) from None
    click.echo(
        f"Backup written to {summary.path}: {summary.documents} documents, "
        f"{summary.passages} passages, index {summary.index_version or '(none)'}, "
        f"{summary.files} files, {summary.bytes / 2**20:.1f} MB."
    )


def run_restore(settings: Settings, src: Path) -> None:
    from app.backup import restore

    try:
        aside = restore(settings, src)
    except OSError as err:
        raise click.ClickException(_reason(err)) from None
    click.echo(f"Restored {src} into {settings.data_dir}.")
    if aside is not None:
        click.echo(f"The data it replaced is in {aside}; delete it once all is well.")


def _reason(err: OSError) -> str:
    if err.strerror:
        return f"{err.strerror}: {err.filename}. Check the path and its permissions."
    return str(err)
