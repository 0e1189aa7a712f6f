"""Soak test: many searches from 16 clients against the served app, memory sampled.

Half the searches repeat the benchmark questions (users ask the same things
again, and page through results); the other half are each distinct, so no
cache can hide what a new query costs. The server's resident memory is
sampled every `sample_every` searches; it holds when the memory in the second
half grows by at most 3% of its level at the half-way point, with 0 errors.

    python -m bench.soak --data-dir data [--searches 20000] [--clients 16]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.load import LoadReport, load_questions, run_load
from bench.server import running_app

SEARCHES = 20_000
CLIENTS = 16
SAMPLE_EVERY = 1_000
GROWTH_BOUND = 0.03  # of the memory at the half-way point


@dataclass
class SoakReport:
    load: LoadReport
    half_mb: float
    second_half_max_mb: float
    growth_pct: float
    bound_pct: float = GROWTH_BOUND * 100

    @property
    def ok(self) -> bool:
        return self.load.errors == 0 and self.growth_pct <= self.bound_pct


def soak_queries(questions: list[str]) -> Callable[[int], str]:
    """Search i: even i repeat the questions in turn, odd i are each a distinct query."""

    def query(i: int) -> str:
        question = questions[(i // 2) % len(questions)]
        return question if i % 2 == 0 else f"{question} (vraag {i})"

    return query


def judge(load: LoadReport) -> SoakReport:
    """Growth of the second half's highest sample over the half-way sample."""
    samples = load.memory_samples
    half_at = load.queries // 2
    half = min(samples, key=lambda s: abs(s[0] - half_at))
    later = [mb for done, mb in samples if done >= half[0]]
    growth = (max(later) - half[1]) / half[1] * 100
    return SoakReport(load, half[1], max(later), round(growth, 2))


def run_soak(
    url: str,
    pid: int,
    questions: list[str],
    searches: int = SEARCHES,
    clients: int = CLIENTS,
    sample_every: int = SAMPLE_EVERY,
) -> SoakReport:
    load = run_load(
        url,
        pid,
        questions,
        clients=clients,
        total=searches,
        time_limit_s=6 * 3600,
        query_for=soak_queries(questions),
        sample_every=sample_every,
    )
    return judge(load)


def plot(report: SoakReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done, mb = zip(*report.load.memory_samples, strict=True)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(done, mb, marker="o", label="server resident memory")
    ax.axhline(
        report.half_mb * (1 + GROWTH_BOUND),
        color="tab:red",
        linestyle="--",
        label="bound: half-way level + 3%",
    )
    ax.axvline(report.load.queries / 2, color="grey", linestyle=":", label="half-way")
    ax.set_xlabel("searches answered")
    ax.set_ylabel("MB")
    ax.set_ylim(0, max(mb) * 1.15)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(f"Soak: {report.load.queries:,} searches from {report.load.clients} clients")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(report: SoakReport, image: str) -> str:
    load = report.load
    every = load.memory_samples[1][0] if len(load.memory_samples) > 1 else 0
    return (
        f"## Soak\n\n{load.queries:,} searches from {load.clients} clients (Gradio's HTTP API) "
        "against the served app (half repeat the benchmark questions, half are each "
        f"distinct), memory sampled every {every:,}: "
        f"**{load.errors} errors**, memory {report.half_mb} MB at the half-way point, at most "
        f"{report.second_half_max_mb} MB in the second half: **{report.growth_pct:+.2f}%** "
        f"(bound ≤ {report.bound_pct:.0f}%: {'held' if report.ok else 'EXCEEDED'}). "
        f"{load.throughput_qps} searches/s, latency median {load.latency_median_ms} ms, "
        f"95th percentile {load.latency_p95_ms} ms.\n\n![server memory during the soak]({image})\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--searches", type=int, default=SEARCHES)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--sample-every", type=int, default=SAMPLE_EVERY)
    parser.add_argument("--questions", type=Path, default=Path("bench/questions.jsonl"))
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--serve-arg", action="append", default=[], help="Passed to serve.")
    args = parser.parse_args()
    questions = load_questions(args.questions)
    with running_app(args.data_dir, serve_args=args.serve_arg) as (url, pid):
        report = run_soak(url, pid, questions, args.searches, args.clients, args.sample_every)
    if args.plot:
        plot(report, args.plot)
    print(json.dumps(asdict(report) | {"ok": report.ok}, indent=2))


if __name__ == "__main__":
    main()
