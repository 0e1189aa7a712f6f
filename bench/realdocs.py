"""`python -m bench.realdocs`: how well the pipeline reads the real PDFs of tests/data/realdocs.

Ingests and indexes the 20 real public-sector PDFs into a temporary data
folder through the public API (`ingest_paths`, `build_index`, `Searcher`),
then scores them against the gold of bench/realdocs/ (see
bench/realdocs_gold.py):

- metadata: the share of documents whose title, author and year are right;
- layout: running headers/footers found inside passages (must be 0), content
  numbers missing (must be 0), numbered paragraphs kept in the body, headings
  detected, footnotes separated and linked, table rows kept in order, scans
  read by OCR;
- quotes: the share found by exact-quote search ('"quote"') at rank 1, and
  the share whose cited page (the highlight's `page` where the search gives
  one, else the passage's) is the page the quote is printed on;
- questions: hit@5 and MRR@10 per method (keyword, dense, hybrid), with the model
  adapted to these PDFs first, as `advieszoeker index` adapts it to a new corpus;
- speed: ingest pages per second without the scans and with them (OCR).

The per-feature checks are plain functions over a document's passages, so
tests/test_realdocs.py asserts exactly what this benchmark counts.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.realdocs_gold import (
    PDF_DIR,
    QUOTE_KINDS,
    SPLITS,
    DocGold,
    GoldQuestion,
    GoldQuote,
    author_matches,
    cells_in_order,
    contains,
    heading_in_section,
    load_gold,
    load_questions,
    load_quotes,
    title_matches,
    year_matches,
)
from index import Searcher
from index.build import EmbedderLike, build_index
from index.evaluate import Question, Scores, evaluate
from ingest import Document, Passage, Settings, Store, ingest_paths

METHODS = ("keyword", "dense", "hybrid")

# --- per-feature checks: each returns what the gold wants and did not get -----


def furniture_in_passages(gold: DocGold, passages: list[Passage]) -> list[str]:
    """Running header/footer strings that ended up inside a passage (one entry per passage)."""
    return [f"{s!r} in passage {p.ordinal}" for s in gold.furniture for p in passages
            if contains(p.text, s)]  # fmt: skip


def numbers_missing(gold: DocGold, passages: list[Passage]) -> list[str]:
    return [n for n in gold.numbers if not any(contains(p.text, n) for p in passages)]


def numbered_paragraphs_lost(gold: DocGold, passages: list[Passage]) -> list[str]:
    """Numbered paragraphs whose number and first line are not together in a body passage."""
    body = [p for p in passages if p.kind == "body"]
    return [s for s in gold.numbered_paragraphs if not any(contains(p.text, s) for p in body)]


def headings_missed(gold: DocGold, passages: list[Passage]) -> list[str]:
    return [h for h in gold.headings if not any(heading_in_section(h, p.section) for p in passages)]


def footnotes_unlinked(gold: DocGold, passages: list[Passage]) -> list[str]:
    """Footnotes not kept apart as a footnote passage, left in the body, or cited by none."""
    problems = []
    body = [p for p in passages if p.kind == "body"]
    notes = [p for p in passages if p.kind == "footnote"]
    for note in gold.footnotes:
        why = []
        if not any(p.footnote == note.number and contains(p.text, note.text_start) for p in notes):
            why.append(f"no footnote passage holds {note.text_start!r}")
        if any(contains(p.text, note.text_start) for p in body):
            why.append("its text is inside a body passage")
        if not any(note.number in p.cites for p in body):
            why.append("no body passage cites it")
        if why:
            problems.append(f"footnote {note.number}: {'; '.join(why)}")
    return problems


def tables_broken(gold: DocGold, passages: list[Passage]) -> list[str]:
    """Table rows whose cells are not all in one passage, in the printed order."""
    return [" | ".join(row) for row in gold.tables
            if not any(cells_in_order(row, p.text) for p in passages)]  # fmt: skip


def scan_phrases_missing(quotes: list[GoldQuote], passages: list[Passage]) -> list[str]:
    """Phrases printed in a scan that no passage holds (the scan was not read by OCR)."""
    return [q.quote for q in quotes if not any(contains(p.text, q.quote) for p in passages)]


def metadata_right(gold: DocGold, document: Document | None) -> dict[str, bool]:
    if document is None:
        return {"title": False, "author": False, "year": False}
    return {
        "title": title_matches(document.title, gold.title, gold.subtitle),
        "author": author_matches(document.author, gold.author),
        "year": year_matches(document.year, gold.year),
    }


def quote_result(searcher: Searcher, quote: GoldQuote) -> dict[str, Any]:
    """Exact-quote search for the quote as printed: rank 1 right, and the page it cites."""
    response = searcher.search(f'"{quote.quote}"', k=10, mode="auto")
    hits = [h.to_json() for h in response.hits]
    rank1 = bool(hits) and response.mode == "exact" and hits[0]["source"] == quote.file
    own = (
        next((h for h in hits if h["source"] == quote.file), None)
        if response.mode == "exact"
        else None
    )
    page = None
    if own is not None:
        highlight_page = own["highlights"][0].get("page") if own["highlights"] else None
        page = highlight_page if highlight_page is not None else own["page"]
    return {"rank1": rank1, "page": page, "page_right": page == quote.page}


# --- the benchmark -----------------------------------------------------------


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def _share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 3) if flags else 0.0


def _ingest_timed(settings: Settings, store: Store, files: list[Path]) -> tuple[float, Any]:
    started = time.perf_counter()
    summary = ingest_paths(settings, files, store=store, progress=False)
    return time.perf_counter() - started, summary


def layout_report(gold: list[DocGold], quotes: list[GoldQuote], store: Store) -> dict[str, Any]:
    """Every per-feature check over every document, counted and listed."""
    found: Counter = Counter()
    wanted: Counter = Counter()
    failures: dict[str, dict[str, list[str]]] = {}
    metadata: dict[str, list[bool]] = {"title": [], "author": [], "year": []}
    wrong_titles = []
    for doc in gold:
        passages = store.passages(doc.file)
        document = store.document(doc.file)
        for field, ok in metadata_right(doc, document).items():
            metadata[field].append(ok)
        if not title_matches(document.title if document else None, doc.title, doc.subtitle):
            wrong_titles.append({"file": doc.file, "found": document.title if document else None})
        checks = {
            "furniture_in_passages": (furniture_in_passages(doc, passages), None),
            "numbers_missing": (numbers_missing(doc, passages), len(doc.numbers)),
            "numbered_paragraphs_lost": (
                numbered_paragraphs_lost(doc, passages), len(doc.numbered_paragraphs)),
            "headings_missed": (headings_missed(doc, passages), len(doc.headings)),
            "footnote_problems": (footnotes_unlinked(doc, passages), len(doc.footnotes)),
            "table_rows_broken": (tables_broken(doc, passages), len(doc.tables)),
        }  # fmt: skip
        if doc.scan:
            scan_quotes = [q for q in quotes if q.file == doc.file]
            checks["scan_phrases_missing"] = (
                scan_phrases_missing(scan_quotes, passages),
                len(scan_quotes),
            )
        for name, (misses, total) in checks.items():
            found[name] += len(misses)
            if total is not None:
                wanted[name] += total
            if misses:
                failures.setdefault(doc.file, {})[name] = misses
    return {
        "metadata": {f: _share(v) for f, v in metadata.items()},
        "wrong_titles": wrong_titles,
        "counts": {name: {"found": found[name], "of": wanted.get(name)} for name in found},
        "failures": failures,
    }


def quotes_report(searcher: Searcher, quotes: list[GoldQuote]) -> dict[str, Any]:
    results = [(q, quote_result(searcher, q)) for q in quotes]
    by_kind = {}
    for kind in QUOTE_KINDS:
        rows = [r for q, r in results if q.kind == kind]
        if rows:
            by_kind[kind] = {
                "n": len(rows),
                "rank1": _share([r["rank1"] for r in rows]),
                "page_right": _share([r["page_right"] for r in rows]),
            }
    return {
        "n": len(results),
        "rank1": _share([r["rank1"] for _, r in results]),
        "page_right": _share([r["page_right"] for _, r in results]),
        "by_kind": by_kind,
        "missed": [{"file": q.file, "page": q.page, "kind": q.kind, "quote": q.quote,
                    "cited_page": r["page"]} for q, r in results
                   if not (r["rank1"] and r["page_right"])],
    }  # fmt: skip


def _scores(s: Scores) -> dict[str, float]:
    return {"n": s.n, "hit@5": round(s.hit_at(5), 3), "mrr@10": round(s.mrr, 3)}


def questions_report(searcher: Searcher, questions: list[GoldQuestion]) -> dict[str, Any]:
    """hit@5 and MRR@10 under the project's hit rule: the passage holds the answer sentence."""
    asked = [
        Question(id=q.id, doc=q.file, type="advisor", lang="nl", question=q.question,
                 quotes=(q.answer,), split=q.split)
        for q in questions
    ]  # fmt: skip
    ev = evaluate(searcher, asked, methods=METHODS)
    return {
        method: {
            group: _scores(ev.get(method, group))
            for group in ("all", *(f"split:{s}" for s in SPLITS))
        }
        for method in METHODS
    }  # fmt: skip


def run(work_dir: Path | None = None, embedder: EmbedderLike | None = None) -> dict[str, Any]:
    """Ingest, index and score the real documents; the figures as a dict (see module doc).

    `work_dir` is emptied and used as the data folder (default: a temporary
    one, removed afterwards); `embedder` defaults to the real model.
    """
    gold, quotes, questions = load_gold(), load_quotes(), load_questions()
    scans = {d.file for d in gold if d.scan}
    text_files = [PDF_DIR / d.file for d in gold if not d.scan]
    scan_files = [PDF_DIR / d.file for d in gold if d.scan]
    temporary = work_dir is None
    data_dir = Path(tempfile.mkdtemp(prefix="realdocs-")) if temporary else work_dir
    shutil.rmtree(data_dir, ignore_errors=True)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        settings = Settings.from_env(data_dir=data_dir, corpus_dir=PDF_DIR)
        with Store.open(settings.db_path) as store:
            text_s, text_summary = _ingest_timed(settings, store, text_files)
            scan_s, scan_summary = _ingest_timed(settings, store, scan_files)
            stored = {d.source for d in store.documents()}
            text_pages = sum(_pages(f) for f in text_files)
            scan_pages = sum(_pages(f) for f in scan_files)
            read_scans = sorted(scans & stored)
            ingest = {
                "text_documents": len(text_files),
                "text_pages": text_pages,
                "text_s": round(text_s, 2),
                "pages_per_s_without_scans": round(text_pages / text_s, 1),
                "scan_documents": len(scan_files),
                "scans_read": len(read_scans),
                "scan_pages": scan_pages,
                "scan_s": round(scan_s, 2),
                "pages_per_s_with_scans": round((text_pages + scan_pages) / (text_s + scan_s), 1),
                "skipped": [
                    {"file": f, "reason": r} for f, r in text_summary.skipped + scan_summary.skipped
                ],
            }
            layout = layout_report(gold, quotes, store)
            adaptation: dict[str, Any] = {"status": "not with this embedder"}
            if embedder is None:
                from index.adapt import ensure_adapted
                from index.model import Embedder

                # What `advieszoeker index` does with a new corpus: adapt the model to it first.
                started = time.perf_counter()
                report = ensure_adapted(settings, store, progress=False)
                adaptation = {
                    "status": report.status,
                    "pairs": report.pairs,
                    "s": round(time.perf_counter() - started, 1),
                }
                embedder = Embedder.load(settings, progress=False)
            build_index(settings, store, embedder, progress=False)
        searcher = Searcher.open(settings, embedder)
        try:
            quotes_result = quotes_report(searcher, quotes)
            questions_result = questions_report(searcher, questions)
        finally:
            searcher.close()
    finally:
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)
    return {
        "documents": len(gold),
        "ingest": ingest,
        "metadata": layout["metadata"],
        "wrong_titles": layout["wrong_titles"],
        "layout": layout["counts"],
        "layout_failures": layout["failures"],
        "quotes": quotes_result,
        "questions": questions_result,
        "adaptation": adaptation,
    }


def _of(counts: dict[str, Any], name: str) -> str:
    c = counts.get(name, {"found": 0, "of": None})
    return f"{c['found']}" if c["of"] is None else f"{c['found']} of {c['of']}"


def _adaptation_line(adaptation: dict[str, Any]) -> str:
    if adaptation.get("status") == "adapted":
        return (
            f"The questions are asked as a user who indexed these PDFs would: the model "
            f"adapted to them first ({adaptation['pairs']} sentence–passage pairs, "
            f"{adaptation['s']:.0f} s), as `advieszoeker index` does with a new corpus."
        )
    return f"Model adaptation: {adaptation.get('status', 'not measured')}."


def markdown(result: dict[str, Any]) -> str:
    """The "Real documents" section of BENCHMARKS.md."""
    m, ing, lay, qs = result["metadata"], result["ingest"], result["layout"], result["quotes"]
    rows = [
        ("title right", f"{m['title']:.0%} of {result['documents']} documents"),
        ("author right", f"{m['author']:.0%}"),
        ("year right", f"{m['year']:.0%}"),
        ("running headers/footers inside passages (must be 0)", _of(lay, "furniture_in_passages")),
        ("content numbers missing (must be 0)", _of(lay, "numbers_missing")),
        ("numbered paragraphs not kept in the body", _of(lay, "numbered_paragraphs_lost")),
        ("headings not detected", _of(lay, "headings_missed")),
        ("footnotes not separated, left in the body or not cited",
         _of(lay, "footnote_problems")),
        ("table rows not kept in order in one passage", _of(lay, "table_rows_broken")),
        ("scan phrases not read (OCR)", _of(lay, "scan_phrases_missing")),
        (f"quotes found by exact-quote search at rank 1 ({qs['n']} quotes)", f"{qs['rank1']:.0%}"),
        ("quotes whose cited page is the printed page", f"{qs['page_right']:.0%}"),
        (f"ingest without scans ({ing['text_pages']} pages)",
         f"{ing['pages_per_s_without_scans']} pages/s"),
        (f"ingest with the {ing['scan_documents']} scans (OCR; {ing['scans_read']} read)",
         f"{ing['pages_per_s_with_scans']} pages/s"),
    ]  # fmt: skip
    out = [
        "## Real documents",
        "",
        f"{result['documents']} real public-sector PDFs (`tests/data/realdocs/`, provenance in "
        "`SOURCES.md`) scored against hand-checked gold in `bench/realdocs/` "
        "(`python -m bench.realdocs`; validate the gold with `python -m bench.check_realdocs`).",
        "",
        "| figure | value |",
        "|---|---:|",
        *(f"| {a} | {b} |" for a, b in rows),
        "",
        "| quote kind | n | rank 1 | page right |",
        "|---|---:|---:|---:|",
        *(f"| {k} | {v['n']} | {v['rank1']:.0%} | {v['page_right']:.0%} |"
          for k, v in qs["by_kind"].items()),
        "",
        _adaptation_line(result.get("adaptation", {})),
        "",
        "| questions | method | n | hit@5 | MRR@10 |",
        "|---|---|---:|---:|---:|",
    ]  # fmt: skip
    for method, groups in result["questions"].items():
        for group, s in groups.items():
            out.append(f"| {group} | {method} | {s['n']} | {s['hit@5']:.3f} | {s['mrr@10']:.3f} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="Keep the data folder here (emptied first).")
    parser.add_argument("--json", type=Path, help="Also write the full result to this file.")
    args = parser.parse_args(argv)
    result = run(args.data_dir)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), "utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
