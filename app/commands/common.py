"""What several commands share: opening the Searcher and reading arguments or stdin."""

from __future__ import annotations

import sys

import click

from ingest.settings import Settings


def open_searcher(settings: Settings):  # -> index.Searcher
    from index.search import Searcher

    return Searcher.open(settings)  # IndexNotReady, ModelUnavailable: cli.py says them


def read_lines(argument: str | None, hint: str) -> list[str]:
    """The argument, or else one item per non-empty line of standard input.

    `hint` says what to type when there is neither (stdin is a terminal)."""
    if argument is not None:
        return [argument]
    if sys.stdin.isatty():
        raise click.ClickException(hint)
    lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
    if not lines:
        raise click.ClickException("Nothing given: standard input was empty.")
    return lines
