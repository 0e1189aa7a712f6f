"""Advieszoeker: search Dutch policy advice and cite what it says.

\b
Examples:
  advieszoeker index seeds                 # ingest and index the seed corpus
  advieszoeker search "Wat vraagt de SERV over duaal leren?"
  advieszoeker search '"elke geïnvesteerde euro"' --json
  advieszoeker serve                       # the web app on http://127.0.0.1:7860

All state lives in one data folder (default ./data; set ADVIESZOEKER_DATA or
--data-dir to move it).
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ingest.settings import Settings


@click.group(help=__doc__)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ADVIESZOEKER_DATA",
    help="Folder for the database, model and indexes [default: ./data].",
)
@click.option("-v", "--verbose", is_flag=True, help="Show debug logging.")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = Settings.from_env(data_dir=data_dir)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
