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

# Click declarations only: what each command does is in app/commands/.


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
    from app.commands.ingest import run_ingest

    run_ingest(settings, list(paths), as_json, keep_missing, no_progress)


# --- index, search, eval (the search stage) ---------------------------------


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def index_command(settings: Settings, paths: tuple[Path, ...]) -> None:
    """Ingest PATHS (files or folders; default: the corpus folder) and build the search index.

    Unchanged files are skipped and unchanged passages are not embedded again,
    so running it after editing one document is quick. For a new corpus, the
    model is adapted to it first (some six minutes; set
    ADVIESZOEKER_MODEL_ADAPTATION=none to skip): it is kept while at least half
    of the corpus's passages were seen in that training.
    """
    from app.commands.search import run_index

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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv", "ris"]),
    default="text",
    show_default=True,
    help="csv: one row per hit (spreadsheets); ris: one record per cited document "
    "(Zotero, EndNote); json: as --json.",
)
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
                   fmt: str, docs: tuple[str, ...], authors: tuple[str, ...],
                   kinds: tuple[str, ...], years: tuple[int, ...], mode: str) -> None:  # fmt: skip
    """Search the indexed documents for QUERY.

    Without QUERY, reads one question per line from standard input and answers
    each. Put a phrase in double quotes to find it literally:
    advieszoeker search '"elke geïnvesteerde euro"'. Queries longer than the
    maximum (1000 characters) are cut off with a notice on stderr.
    """
    from app.commands.search import run_search
    from index.results import Filters

    filters = Filters(sources=docs, authors=authors, kinds=kinds, years=years)
    run_search(settings, query, k or settings.default_k, filters, mode, as_json, fmt)


@cli.command("check-quote")
@click.argument("quote", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per quote, one a line.")
@click.option("--doc", "docs", multiple=True, metavar="FILE", help="Only this document.")
@click.option("--author", "authors", multiple=True, help="Only documents by this author.")
@click.option("--kind", "kinds", multiple=True, help="Only this kind (advies, studie, ...).")
@click.option("--year", "years", multiple=True, type=int, help="Only documents of this year.")
@click.pass_obj
def check_quote_command(settings: Settings, quote: str | None, as_json: bool,
                        docs: tuple[str, ...], authors: tuple[str, ...], kinds: tuple[str, ...],
                        years: tuple[int, ...]) -> None:  # fmt: skip
    """Find where QUOTE comes from and say exactly how it differs from the source.

    Verdicts: exact, shortened (words left out, the rest verbatim), altered
    (words changed or added) or not_found. Case, accents, quotation marks, line
    breaks and PDF hyphenation do not count. Without QUOTE, reads one quote per
    line from standard input.
    """
    from app.commands.quote_check import run_check_quote
    from index.results import Filters

    filters = Filters(sources=docs, authors=authors, kinds=kinds, years=years)
    run_check_quote(settings, quote, filters, as_json)


@cli.command("asks")
@click.option("--query", "-q", default="", help="Only the asks about this (search words).")
@click.option("--document", "docs", multiple=True, metavar="FILE", help="Only this document.")
@click.option("--author", "authors", multiple=True, help="Only documents by this author.")
@click.option("--kind", "kinds", multiple=True, help="Only this kind (advies, studie, ...).")
@click.option("--year", "years", multiple=True, type=int, help="Only documents of this year.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of the asks.")
@click.pass_obj
def asks_command(settings: Settings, query: str, docs: tuple[str, ...],
                 authors: tuple[str, ...], kinds: tuple[str, ...], years: tuple[int, ...],
                 as_json: bool) -> None:  # fmt: skip
    """List what the SERV asks: the recommendations of each document, verbatim.

    Imperatives ("Zet in op …"), "De SERV vraagt / pleit voor / beveelt aan …",
    what must happen, and the items of sections of recommendations, each with
    its document, section, page or lines and citation. --document takes a file
    name or a document id.
    """
    from app.commands.asks import run_asks

    run_asks(settings, query, docs, authors, kinds, years, as_json)


@cli.command("similar")
@click.argument("passage_id")
@click.option(
    "-k", "--top", "k", type=click.IntRange(1, 20), default=5, show_default=True,
    help="At most this many documents.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of the passages.")
@click.pass_obj
def similar_command(settings: Settings, passage_id: str, k: int, as_json: bool) -> None:
    """Passages of OTHER documents making the same point as PASSAGE_ID, ordered by year.

    PASSAGE_ID is the `passage_id` of a search result (`search --json`); ids
    stay the same across re-indexing while the passage's text is unchanged.
    """
    from app.commands.similar import run_similar

    run_similar(settings, passage_id, k, as_json)


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
@click.option(
    "--against",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DATA_DIR",
    help="Also run the questions on the index in DATA_DIR (say, one built before a change) "
    "and print, question by question, how each metric moved, with its standard error.",
)
@click.pass_obj
def eval_command(settings: Settings, questions_path: Path, split: str, methods: str,
                 as_json: bool, against: Path | None) -> None:  # fmt: skip
    """Print hit@1/5/10 and MRR@10 per method, question type and split."""
    from app.commands.search import run_eval

    run_eval(
        settings, questions_path, split, [m.strip() for m in methods.split(",")], as_json, against
    )


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
    from app.commands.backup import run_backup

    run_backup(settings, dest)


@cli.command("restore")
@click.argument("src", type=click.Path(path_type=Path))
@click.pass_obj
def restore_command(settings: Settings, src: Path) -> None:
    """Replace the data folder's database, index and uploads with the backup in SRC.

    Refuses while a server uses the data folder, and checks the backup's
    checksums and index manifest first. What it replaces is moved aside to
    replaced-<time>/ in the data folder, not deleted.
    """
    from app.commands.backup import run_restore

    run_restore(settings, src)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
