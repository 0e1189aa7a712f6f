"""Advieszoeker: search Dutch policy advice and cite what it says.

\b
Examples:
  advieszoeker index seeds                 # ingest and index the seed corpus
  advieszoeker search "Wat vraagt de SERV over duaal leren?"
  advieszoeker search '"elke geïnvesteerde euro"' --json
  advieszoeker serve                       # the web app on http://127.0.0.1:7860
  advieszoeker backup /backups/2026-12-02  # a consistent copy, also while serving

All state lives in one data folder (default ./data; set ADVIESZOEKER_DATA or
--data-dir to move it).
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ingest.errors import AdvieszoekerError
from ingest.settings import Settings


class AdvieszoekerGroup(click.Group):
    """Turns every AdvieszoekerError into one line and exit status 1, in one place."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except AdvieszoekerError as err:
            raise click.ClickException(str(err)) from None


@click.group(cls=AdvieszoekerGroup, help=__doc__)
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


# --- ingest (the ingest stage) ----------------------------------------------


@cli.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--keep-missing",
    is_flag=True,
    help="Keep stored documents whose file is no longer in the folder.",
)
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@click.pass_obj
def ingest_command(
    settings: Settings,
    paths: tuple[Path, ...],
    as_json: bool,
    keep_missing: bool,
    no_progress: bool,
) -> None:
    """Read PATHS (files or folders; default: the corpus folder) into the passage store.

    Unchanged files are not processed again; a changed file's passages are
    replaced; when a folder is ingested, documents whose file left the folder
    are removed (unless --keep-missing). Exit status is non-zero only if
    nothing usable was ingested.
    """
    import json

    from ingest.pipeline import ingest_paths

    summary = ingest_paths(
        settings,
        list(paths) or None,
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


# --- index, search, eval (the search stage) ---------------------------------


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def index_command(settings: Settings, paths: tuple[Path, ...]) -> None:
    """Ingest PATHS (files or folders; default: the corpus folder) and build the search index.

    Unchanged files are skipped and unchanged passages are not embedded again,
    so running it after editing one document is quick.
    """
    from app.search_cli import run_index

    run_index(settings, list(paths))


@cli.command("search")
@click.argument("query", required=False)
@click.option(
    "-k",
    "--top",
    "k",
    type=click.IntRange(1, 100),
    default=None,
    help="Number of results [default: 10].",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per query, one a line.")
@click.option("--doc", "docs", multiple=True, metavar="FILE", help="Only this document.")
@click.option("--author", "authors", multiple=True, help="Only documents by this author.")
@click.option("--kind", "kinds", multiple=True, help="Only this kind (advies, studie, ...).")
@click.option("--year", "years", multiple=True, type=int, help="Only documents of this year.")
@click.option(
    "--mode",
    type=click.Choice(["auto", "hybrid", "keyword", "dense", "exact"]),
    default="auto",
    show_default=True,
    help='auto: exact-quote search for "quoted phrases", else hybrid.',
)
@click.pass_obj
def search_command(settings: Settings, query: str | None, k: int | None, as_json: bool,
                   docs: tuple[str, ...], authors: tuple[str, ...], kinds: tuple[str, ...],
                   years: tuple[int, ...], mode: str) -> None:  # fmt: skip
    """Search the indexed documents for QUERY.

    Without QUERY, reads one question per line from standard input and answers
    each. Put a phrase in double quotes to find it literally:
    advieszoeker search '"elke geïnvesteerde euro"'. Queries longer than the
    maximum (1000 characters) are cut off with a notice on stderr.
    """
    from app.search_cli import run_search
    from index.results import Filters

    filters = Filters(sources=docs, authors=authors, kinds=kinds, years=years)
    run_search(settings, query, k or settings.default_k, filters, mode, as_json)


@cli.command("eval")
@click.option(
    "--questions",
    "questions_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("bench/questions.jsonl"),
    show_default=True,
)
@click.option(
    "--split", type=click.Choice(["all", "tune", "heldout"]), default="all", show_default=True
)
@click.option(
    "--methods",
    default="keyword,dense,hybrid",
    show_default=True,
    help="Comma-separated: keyword, dense, hybrid.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def eval_command(settings: Settings, questions_path: Path, split: str, methods: str,
                 as_json: bool) -> None:  # fmt: skip
    """Print hit@1/5/10 and MRR@10 per method, question type and split."""
    from app.search_cli import run_eval

    run_eval(settings, questions_path, split, [m.strip() for m in methods.split(",")], as_json)


# --- serve (the web app) ------------------------------------------------------


@cli.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    envvar="ADVIESZOEKER_HOST",
    help="Interface to listen on; 0.0.0.0 exposes the app to your network.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=7860,
    show_default=True,
    envvar="ADVIESZOEKER_PORT",
    help="Port to listen on.",
)
@click.option(
    "--log-queries",
    is_flag=True,
    help="Put the query text in the access log (left out by default: searches are confidential).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    envvar="ADVIESZOEKER_CONCURRENCY",
    help="Searches answered at once (their query embeddings are batched); 1: one by one.",
)
@click.option(
    "--upload-token",
    default=None,
    metavar="TOKEN",
    help="Let users who give TOKEN add documents in the app [default: "
    "ADVIESZOEKER_UPLOAD_TOKEN; unset: adding documents is off].",
)
@click.pass_obj
def serve_command(
    settings: Settings,
    host: str,
    port: int,
    log_queries: bool,
    concurrency: int,
    upload_token: str | None,
) -> None:
    """Start the web app: search, short answers, citations and the document view.

    It listens on 127.0.0.1 only, unless --host says otherwise. The search is
    also available as the Gradio API endpoint `search` (see the README), the
    health check at /healthz. One JSON access-log line per search goes to
    stderr. SIGTERM or Ctrl+C lets the searches in flight finish, then stops;
    a second one stops at once. With an upload token, the page's panel
    "Documenten toevoegen" and the API endpoint `add_documents` add documents.
    """
    from app.server import serve

    if upload_token is not None:
        settings = settings.with_(upload_token=upload_token)
    serve(
        settings,
        host=host,
        port=port,
        announce=click.echo,
        log_queries=log_queries,
        concurrency=concurrency,
    )


# --- backup and restore --------------------------------------------------------


@cli.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@click.pass_obj
def backup_command(settings: Settings, dest: Path) -> None:
    """Write a consistent copy of the data folder to DEST (a new or empty folder).

    Safe while the app serves: the database is copied with SQLite's online
    backup, the published index version as it is, plus uploaded files. The
    model and the embedding cache are left out (they are rebuilt).
    """
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


@cli.command("restore")
@click.argument("src", type=click.Path(path_type=Path))
@click.pass_obj
def restore_command(settings: Settings, src: Path) -> None:
    """Replace the data folder's database, index and uploads with the backup in SRC.

    Refuses while a server uses the data folder, and checks the backup's
    checksums and index manifest first. What it replaces is moved aside to
    replaced-<time>/ in the data folder, not deleted.
    """
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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
