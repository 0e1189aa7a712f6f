"""Upload to searchable, with searches running meanwhile.

The real app (`advieszoeker serve --upload-token …`, real model) on a copy of
an indexed data folder; its embedding cache is copied, so the uploaded PDF's
passages are really embedded. Search clients keep asking a question through
the `search` API while each PDF is sent to `add_documents`; the figure is the
time from sending the file to the call's return (it returns once the app
answers from the new index), checked by an exact quote of the PDF found
right after. Every answer during the upload must come whole from the old or
the new index: no error, no source that neither has.

    python -m bench.upload --data-dir data [--pdf FILE ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from gradio_client import Client, handle_file

from bench.server import ROOT, running_app

TOKEN = "bench-upload-token"
REALDOCS = ROOT / "tests" / "data" / "realdocs"
# About 20 pages each: a standard (17 pages) and a framework (25 pages).
PDFS = (
    REALDOCS / "VlaamseURI-StandaardVoorData-V1.0.pdf",
    REALDOCS / "OSLO-Conformiteitsraamwerk-v1.00-DRAFT.pdf",
)
QUESTION = "Wat vraagt de SERV over duaal leren?"


def copy_data(source: Path, target: Path) -> None:
    """The store, index and embedding cache copied; the model shared by a symlink."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "advieszoeker.db", target / "advieszoeker.db")
    shutil.copytree(source / "index", target / "index")
    if (source / "cache").exists():
        shutil.copytree(source / "cache", target / "cache", symlinks=False)
    (target / "models").symlink_to((source / "models").resolve(), target_is_directory=True)


def quote_of(pdf: Path) -> str:
    """Eight words from a body line in the middle of the PDF, as an exact quote."""
    from ingest.readers import read_document

    lines = [ln.text for ln in read_document(pdf).lines if len(ln.text.split()) >= 10]
    words = lines[len(lines) // 2].split()[:8]
    return '"' + " ".join(words) + '"'


def measure(data_dir: Path, pdfs: tuple[Path, ...] = PDFS, clients: int = 3) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="advieszoeker-bench-upload-"))
    try:
        copy_data(data_dir, work / "data")
        return _run(work / "data", pdfs, clients)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(data: Path, pdfs: tuple[Path, ...], clients: int) -> dict[str, Any]:
    quotes = {pdf: quote_of(pdf) for pdf in pdfs}
    with running_app(data, serve_args=["--upload-token", TOKEN]) as (url, _pid):
        client = Client(url + "/", verbose=False)
        before = client.predict(QUESTION, 10, api_name="/search")
        known = {r["source"] for r in before["results"]}
        stop = threading.Event()
        answers: list[tuple[float, set[str], float]] = []
        errors: list[str] = []

        def keep_searching() -> None:
            own = Client(url + "/", verbose=False)
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    result = own.predict(QUESTION, 10, api_name="/search")
                    sources = {r["source"] for r in result["results"]}
                    answers.append((t0, sources, time.perf_counter() - t0))
                except Exception as err:
                    errors.append(f"{type(err).__name__}: {err}")
            own.close()

        workers = [threading.Thread(target=keep_searching) for _ in range(clients)]
        for w in workers:
            w.start()
        time.sleep(2.0)  # searches are running before the first upload
        uploads = []
        for pdf in pdfs:
            started = time.perf_counter()
            [result] = client.predict([handle_file(str(pdf))], TOKEN, None,
                                      api_name="/add_documents")  # fmt: skip
            returned = time.perf_counter() - started
            found = client.predict(quotes[pdf], 3, api_name="/search")
            hit = bool(found["results"]) and found["results"][0]["source"] == result["source"]
            uploads.append({
                "pdf": pdf.name,
                "status": result["status"],
                "passages": result["passages"],
                "seconds_to_searchable": round(returned, 2),
                "quote_found_right_after": hit,
            })  # fmt: skip
            known.add(str(result.get("source")))
        time.sleep(1.0)
        stop.set()
        for w in workers:
            w.join(timeout=60)
        client.close()
    uploaded = {u["pdf"] for u in uploads}
    # Sources the corpus had before (all seeds) or the uploads added.
    seeds = {p.name for p in (ROOT / "seeds").iterdir()}
    stray = [s for _, found, _ in answers for s in found if s not in seeds and s not in known]
    latencies = [lat * 1000 for _, _, lat in answers]
    return {
        "uploads": uploads,
        "searches_during": len(answers),
        "search_errors": len(errors),
        "error_examples": errors[:3],
        "answers_from_neither_index": len(stray),
        "search_median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "search_max_ms": round(max(latencies), 1) if latencies else None,
        "pdfs": sorted(uploaded),
    }


def markdown(report: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {u['pdf']} | {u['passages']} | {u['seconds_to_searchable']} s | "
        f"{'yes' if u['quote_found_right_after'] else 'NO'} |"
        for u in report["uploads"]
    )
    return (
        "## Upload to searchable\n\n"
        "A PDF sent to the running app's `add_documents` until the call returns (it returns "
        "once the app answers from the new index version), with "
        f"{report['searches_during']} searches answered meanwhile: "
        f"{report['search_errors']} errors, {report['answers_from_neither_index']} answers "
        "from neither the old nor the new index, search median "
        f"{report['search_median_ms']} ms (max {report['search_max_ms']} ms).\n\n"
        "| PDF | passages | upload to searchable | exact quote found right after |\n"
        f"|---|---:|---:|---|\n{rows}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="An indexed data folder.")
    parser.add_argument("--pdf", type=Path, action="append", help="PDFs to upload.")
    parser.add_argument("--clients", type=int, default=3)
    args = parser.parse_args()
    report = measure(args.data_dir, tuple(args.pdf or PDFS), args.clients)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    print(markdown(report))


if __name__ == "__main__":
    main()
