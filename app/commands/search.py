"""What the `index`, `search` and `eval` commands do, kept out of cli.py's option lists.

User errors end as one plain sentence (click.ClickException, exit status 1),
never a traceback.
"""

from __future__ import annotations

import json
import statistics
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.commands.common import open_searcher, read_lines
from index.results import Filters, Hit, QueryError, SearchResponse
from ingest.settings import Settings

if TYPE_CHECKING:
    from index.evaluate import Evaluation, Question

MARK_OPEN, MARK_CLOSE = "»", "«"


def run_index(settings: Settings, paths: list[Path]) -> None:
    from index.build import build_index
    from ingest import ingest_paths
    from ingest.errors import AdvieszoekerError
    from ingest.store import Store

    paths = paths or [settings.corpus_dir]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise click.ClickException(
            f"Not found: {', '.join(missing)}. Give files or folders to index."
        )

    def say_waiting(pid: int | None) -> None:
        who = f" (pid {pid})" if pid else ""
        click.echo(
            f"Another indexing job{who} is running in {settings.data_dir}; "
            "waiting for it to end...",
            err=True,
        )

    try:
        from index.adapt import ensure_adapted
        from index.jobs import index_job
        from index.model import Embedder

        with (
            index_job(settings.data_dir, on_wait=say_waiting),
            Store.open(settings.db_path) as store,
        ):
            ingested = ingest_paths(settings, paths, store=store, progress=True)
            click.echo(_ingest_line(ingested))
            for source, reason in ingested.skipped:
                click.echo(f"Skipped {source}: {reason}", err=True)
            if not ingested.ok:
                raise click.ClickException(
                    "No readable documents found; give .txt, .pdf or .docx files or folders."
                )
            adaptation = ensure_adapted(settings, store, progress=True)
            click.echo(adaptation.summary())
            embedder = Embedder.load(settings)
            report = build_index(settings, store, embedder, progress=True)
    except AdvieszoekerError:
        raise  # already a message; cli.py says it
    except (OSError, RuntimeError) as exc:
        raise click.ClickException(f"Indexing failed: {exc}") from exc
    click.echo(report.summary())


def _ingest_line(summary) -> str:  # ingest.pipeline.IngestSummary
    counts = [
        f"{len(summary.added)} added",
        f"{len(summary.updated)} updated",
        f"{len(summary.unchanged)} unchanged",
        f"{len(summary.removed)} removed",
        f"{len(summary.skipped)} skipped",
    ]
    return (
        f"Ingested: {', '.join(counts)}; {summary.documents} documents, "
        f"{summary.passages} passages in the store."
    )


def run_search(
    settings: Settings,
    query: str | None,
    k: int,
    filters: Filters,
    mode: str,
    as_json: bool,
    fmt: str = "text",
) -> None:
    """Search each query; print text or JSON lines as they come, or at the end one CSV
    or RIS file for all of them (`fmt`; --json is "json")."""
    fmt = "json" if as_json else fmt
    files: list[SearchResponse] = []
    queries = read_lines(
        query,
        'Give a question, e.g. advieszoeker search "Wat vraagt de SERV over duaal leren?", '
        "or pipe one question per line on standard input.",
    )
    if query is not None:
        # Validate before the slow model load, so a typo costs no waiting.
        from index.search import clean_query

        try:
            clean_query(query, settings.max_query_chars)
        except QueryError as exc:
            raise click.ClickException(str(exc)) from exc
    searcher = open_searcher(settings)
    failed = 0
    for text in queries:
        try:
            response = searcher.search(text, k=k, filters=filters, mode=mode)
        except QueryError as exc:
            failed += 1
            click.echo(f"Error: {exc} (query: {text[:60]!r})", err=True)
            continue
        for notice in response.notices:
            click.echo(f"Note: {notice}", err=True)
        if fmt == "json":
            click.echo(json.dumps(response.to_json(), ensure_ascii=False))
        elif fmt == "text":
            click.echo(render(response))
        else:
            files.append(response)
    if fmt in ("csv", "ris"):
        from app.export import to_csv, to_ris

        click.echo((to_csv if fmt == "csv" else to_ris)(files), nl=False)
    if failed:
        if len(queries) == 1:
            sys.exit(1)
        raise click.ClickException(f"{failed} of {len(queries)} queries could not be searched.")


def _marked(hit: Hit) -> str:
    """The passage with its highlights between »…«, spacing tidied for the terminal."""
    text = hit.passage.text
    out: list[str] = []
    at = 0
    for h in sorted(hit.highlights, key=lambda h: h.start):
        if h.start < at:
            continue
        out += [text[at : h.start], MARK_OPEN, text[h.start : h.end], MARK_CLOSE]
        at = h.end
    out.append(text[at:])
    flat = " ".join("".join(out).split())
    styled = flat.replace(MARK_OPEN, MARK_OPEN + "\x1b[1m").replace(
        MARK_CLOSE, "\x1b[0m" + MARK_CLOSE
    )
    return styled


def render(response: SearchResponse) -> str:
    """Human output: the answer, then per hit rank, title, place, passage and citation."""
    lines = [click.style(f"Vraag: {response.query}", bold=True) + f"  ({response.mode})"]
    if not response.hits:
        lines.append("Geen resultaten.")
        return "\n".join(lines) + "\n"
    if response.answer:
        lines.append("Antwoord uit de documenten:")
        for sentence in response.answer:
            lines.append(f"  [{sentence.rank}] {' '.join(sentence.text.split())}")
    for hit in response.hits:
        p = hit.passage
        place = [p.section_label or "", p.pages_label or ""]
        if p.line_start is not None:
            place.append(f"r. {p.line_start}–{p.line_end}")
        place.append(p.source)
        lines.append("")
        lines.append(click.style(f"{hit.rank}. {hit.document.title}", bold=True)
                     + f"  [{hit.score:.3f}]")  # fmt: skip
        lines.append("   " + " · ".join(x for x in place if x))
        body = textwrap.fill(_marked(hit), width=96, initial_indent="   ", subsequent_indent="   ")
        lines.append(body)
        lines.append(f"   Citeer: {hit.citation}")
    return "\n".join(lines) + "\n"


def run_eval(
    settings: Settings,
    questions_path: Path,
    split: str,
    methods: list[str],
    as_json: bool,
    against: Path | None = None,
) -> None:
    from index.evaluate import METHODS, evaluate, load_questions

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise click.ClickException(
            f"Unknown method {', '.join(unknown)}; choose from {', '.join(METHODS)}."
        )
    if not questions_path.is_file():
        raise click.ClickException(f"No question set at {questions_path}.")
    try:
        questions = load_questions(questions_path, split)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not questions:
        raise click.ClickException(f"No questions in {questions_path} for split {split!r}.")
    if against is not None and not against.is_dir():
        raise click.ClickException(f"No data folder at {against} to compare with.")
    searcher = open_searcher(settings)
    result = evaluate(searcher, questions, methods)
    if against is not None:
        _print_comparison(settings, against, questions, methods, result, as_json)
        return
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    click.echo(f"{len(questions)} questions from {questions_path} (split: {split})\n")
    click.echo(result.table())
    click.echo("")
    for method, times in result.latency_ms.items():
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
        click.echo(
            f"latency {method:<8} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms"
        )
    click.echo("")
    for method in result.answers:
        rates = result.answer_rates(method)
        click.echo(
            f"answers {method:<8} gold quote marked {rates['in_marked']:.0%}, in the short "
            f"answer {rates['in_short_answer']:.0%} (of {rates['found']} found)"
        )


def _print_comparison(
    settings: Settings,
    against: Path,
    questions: list[Question],
    methods: list[str],
    result: Evaluation,
    as_json: bool,
) -> None:
    """This data folder's figures against another's, paired per question (index/compare.py)."""
    from dataclasses import asdict

    from index.compare import compare, table
    from index.evaluate import evaluate

    other = evaluate(open_searcher(settings.with_(data_dir=against)), questions, methods)
    per_method = {method: compare(other, result, questions, method) for method in methods}
    if as_json:
        click.echo(
            json.dumps({m: [asdict(d) for d in diffs] for m, diffs in per_method.items()}, indent=2)
        )
        return
    click.echo(
        f"{len(questions)} questions; before: the index in {against}, "
        f"after: the index in {settings.data_dir}"
    )
    for method, diffs in per_method.items():
        click.echo(f"\n{method}\n{table(diffs)}")
