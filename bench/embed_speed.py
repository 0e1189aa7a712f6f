"""Embedding speed and agreement: plain float32 sentence-transformers versus
the `Embedder` variants (precision, batch size), on real seed text.

    python -m bench.embed_speed [--data-dir DIR] [--passages 120] [--words 150]

prints, per variant, passages per second, the speed-up over plain float32
sentence-transformers, the mean and minimum cosine to the float32 `Embedder`
(same windowing, so only precision differs) and warm single-query latency
(median and 95th percentile). `measure()` returns the same figures for
`make bench`.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.model import Embedder
from ingest.settings import Settings

logger = logging.getLogger(__name__)

# (label, precision, batch size); the first fp32 row is the agreement reference.
DEFAULT_VARIANTS: tuple[tuple[str, str, int], ...] = (
    ("fp32 embedder bs16", "fp32", 16),
    ("bf16 autocast bs8", "bf16", 8),
    ("bf16 autocast bs16", "bf16", 16),
    ("bf16 autocast bs32", "bf16", 32),
)
PLAIN_BATCH_SIZE = 32  # sentence-transformers' default


@dataclass(frozen=True)
class VariantResult:
    label: str
    seconds: float
    passages_per_s: float
    speedup: float
    cos_mean: float
    cos_min: float
    query_median_ms: float
    query_p95_ms: float

    def as_dict(self) -> dict[str, float | str]:
        return dict(self.__dict__)


def seed_passages(corpus_dir: Path, n: int = 120, words: int = 150) -> list[str]:
    """`n` chunks of `words` words from the seed texts, by plain splitting, spread
    over all files so every document's style is in the sample."""
    files = sorted(corpus_dir.glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"No *.txt seeds in {corpus_dir}")
    chunks: list[list[str]] = []
    for path in files:
        tokens = path.read_text(encoding="utf-8").split()
        chunks.append(
            [" ".join(tokens[i : i + words]) for i in range(0, len(tokens) - words + 1, words)]
        )
    out: list[str] = []
    # Round-robin over files until n chunks are taken.
    for i in range(max(len(c) for c in chunks)):
        for file_chunks in chunks:
            if i < len(file_chunks) and len(out) < n:
                out.append(file_chunks[i])
    return out


def seed_queries(passages: Sequence[str], n: int = 60) -> list[str]:
    """Query-length texts (4 to 12 words) cut from the passages."""
    out = []
    for i, text in enumerate(passages[:n]):
        tokens = text.split()
        length = 4 + i % 9
        start = (i * 7) % max(1, len(tokens) - length)
        out.append(" ".join(tokens[start : start + length]))
    return out


def _latencies_ms(embedder: Embedder, queries: Sequence[str]) -> tuple[float, float]:
    # In the variant's own precision (the app embeds queries in float32).
    embedder.encode_queries([queries[0]], embedder.precision)  # warm-up
    times = []
    for query in queries:
        started = time.perf_counter()
        embedder.encode_queries([query], embedder.precision)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def measure(
    settings: Settings,
    texts: Sequence[str],
    queries: Sequence[str] | None = None,
    variants: Sequence[tuple[str, str, int]] = DEFAULT_VARIANTS,
    repeats: int = 2,
) -> dict:
    """Time plain float32 sentence-transformers and each variant on `texts`.

    Rounds are interleaved and the fastest of `repeats` rounds counts, so load
    from other processes on a shared machine hits every variant alike.
    Returns {"passages": n, "baseline": {...}, "variants": [{...}], "best": label}.
    """
    import torch

    texts = list(texts)
    queries = list(queries or seed_queries(texts))
    reference = Embedder.load(settings.with_(embed_precision="fp32"))
    model = reference.model
    embedders = [Embedder(model, reference.name, p, bs) for _, p, bs in variants]

    def plain() -> None:
        # Plain sentence-transformers: float32, default batch size, no extras.
        model.encode(
            texts,
            prompt_name=reference.passage_prompt_name,
            batch_size=PLAIN_BATCH_SIZE,
            show_progress_bar=False,
        )

    plain_s = float("inf")
    seconds = [float("inf")] * len(variants)
    vectors: list[np.ndarray] = [np.empty(0)] * len(variants)
    for round_ in range(repeats):
        started = time.perf_counter()
        plain()
        plain_s = min(plain_s, time.perf_counter() - started)
        for i, embedder in enumerate(embedders):
            started = time.perf_counter()
            vectors[i] = embedder.encode_passages(texts)
            seconds[i] = min(seconds[i], time.perf_counter() - started)
        logger.info(
            "round %d: plain %.1f s, variants %s",
            round_ + 1,
            plain_s,
            ", ".join(f"{s:.1f}" for s in seconds),
        )

    plain_latency = []
    model.encode(queries[0], prompt_name=reference.query_prompt_name, show_progress_bar=False)
    for query in queries:
        started = time.perf_counter()
        model.encode(query, prompt_name=reference.query_prompt_name, show_progress_bar=False)
        plain_latency.append((time.perf_counter() - started) * 1000)
    plain_latency.sort()
    baseline = {
        "label": f"plain sentence-transformers fp32 bs{PLAIN_BATCH_SIZE}",
        "seconds": plain_s,
        "passages_per_s": len(texts) / plain_s,
        "query_median_ms": statistics.median(plain_latency),
        "query_p95_ms": plain_latency[round(0.95 * (len(plain_latency) - 1))],
    }

    results: list[VariantResult] = []
    for (label, _, _), embedder, secs, vecs in zip(
        variants, embedders, seconds, vectors, strict=True
    ):
        cos = (vecs * vectors[0]).sum(axis=1)
        median_ms, p95_ms = _latencies_ms(embedder, queries)
        results.append(
            VariantResult(
                label,
                secs,
                len(texts) / secs,
                plain_s / secs,
                float(cos.mean()),
                float(cos.min()),
                median_ms,
                p95_ms,
            )
        )
    best = max(
        (r for r in results if r.cos_min >= 0.999),
        key=lambda r: r.passages_per_s,
        default=results[0],
    )
    return {
        "passages": len(texts),
        "queries": len(queries),
        "threads": torch.get_num_threads(),
        "repeats": repeats,
        "baseline": baseline,
        "variants": [r.as_dict() for r in results],
        "best": best.label,
    }


def format_table(report: dict) -> str:
    """The figures as a Markdown table."""
    base = report["baseline"]
    lines = [
        f"{report['passages']} passages, {report['queries']} queries, {report['threads']} threads, "
        f"best of {report['repeats']} rounds; cosine against the fp32 embedder",
        "",
        "| variant | passages/s | speed-up | cos mean | cos min | query median ms | query p95 ms |",
        "|---|---|---|---|---|---|---|",
        f"| {base['label']} | {base['passages_per_s']:.1f} | 1.00 | – | – | "
        f"{base['query_median_ms']:.1f} | {base['query_p95_ms']:.1f} |",
    ]
    for r in report["variants"]:
        lines.append(
            f"| {r['label']} | {r['passages_per_s']:.1f} | {r['speedup']:.2f} | "
            f"{r['cos_mean']:.5f} | {r['cos_min']:.5f} | "
            f"{r['query_median_ms']:.1f} | {r['query_p95_ms']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--corpus-dir", type=Path, default=None)
    parser.add_argument("--passages", type=int, default=120)
    parser.add_argument("--words", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings.from_env(data_dir=args.data_dir, corpus_dir=args.corpus_dir)
    texts = seed_passages(settings.corpus_dir, args.passages, args.words)
    print(format_table(measure(settings, texts, repeats=args.repeats)))


if __name__ == "__main__":
    main()
