"""Dense search at scale: exact vs approximate FAISS indexes on synthetic vectors.

The corpus is random normalised 384-d vectors. Each query is a corpus vector
plus noise (cosine about 0.8 to it, like a real question and the passage that
answers it), so "planted@10" says whether the index still finds the one
passage that answers. "recall@10" against the exact top 10 is also shown; on
structureless random vectors the other nine neighbours are near ties, so that
figure is a floor, not what users see. The point is the corpus size where the
exact index gets too slow for interactive use.

    python -m bench.faiss_scale [--sizes 100000,1000000]
"""

from __future__ import annotations

import argparse
import gc
import time
from dataclasses import asdict, dataclass

import faiss
import numpy as np
import psutil

DIM = 384
QUERIES = 200
K = 10
HNSW_MAX_BENCH = 200_000


@dataclass
class ScaleRow:
    size: int
    index: str
    build_s: float
    latency_median_ms: float
    latency_p95_ms: float
    recall_at_10: float
    planted_at_10: float
    memory_mb: float


def _random_unit(n: int, rng: np.random.Generator, chunk: int = 200_000) -> np.ndarray:
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, chunk):
        block = rng.standard_normal((min(chunk, n - start), DIM), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + len(block)] = block
    return out


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _time_queries(index: faiss.Index, queries: np.ndarray) -> tuple[np.ndarray, list[float]]:
    # One query at a time, as the app sends them.
    found = np.empty((len(queries), K), dtype=np.int64)
    times = []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        _, ids = index.search(q[None, :], K)
        times.append((time.perf_counter() - t0) * 1000)
        found[i] = ids[0]
    return found, times


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth, strict=True)]))


def measure(sizes: list[int], seed: int = 7) -> list[ScaleRow]:
    rng = np.random.default_rng(seed)
    rows: list[ScaleRow] = []
    for size in sizes:
        vectors = _random_unit(size, rng)
        planted = rng.choice(size, QUERIES, replace=False)
        noise = _random_unit(QUERIES, rng) * 0.75
        queries = vectors[planted] + noise
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        truth = None
        # HNSW takes minutes to build at 1M on two cores; it is measured where
        # its build stays in proportion to a benchmark run.
        kinds = ["flat", f"ivf{_nlist(size)},nprobe32"]
        if size <= HNSW_MAX_BENCH:
            kinds.insert(1, "hnsw32")
        for name in kinds:
            gc.collect()
            before = _rss_mb()
            t0 = time.perf_counter()
            index = _build(name, vectors)
            build_s = time.perf_counter() - t0
            memory = _rss_mb() - before
            found, times = _time_queries(index, queries)
            hits = zip(planted, found, strict=True)
            if truth is None:
                truth = found  # the flat index is exact
            rows.append(
                ScaleRow(
                    size=size,
                    index=name,
                    build_s=round(build_s, 2),
                    latency_median_ms=round(float(np.median(times)), 3),
                    latency_p95_ms=round(float(np.percentile(times, 95)), 3),
                    recall_at_10=round(_recall(found, truth), 4),
                    planted_at_10=round(float(np.mean([p in f for p, f in hits])), 4),
                    memory_mb=round(max(memory, 0.0), 1),
                )
            )
            print(rows[-1], flush=True)
            del index
        del vectors
    return rows


def _nlist(size: int) -> int:
    return int(4 * np.sqrt(size))


def _build(name: str, vectors: np.ndarray) -> faiss.Index:
    if name == "flat":
        index = faiss.IndexFlatIP(DIM)
    elif name.startswith("hnsw"):
        index = faiss.IndexHNSWFlat(DIM, int(name[4:]), faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 40
        index.hnsw.efSearch = 128
    else:
        nlist = int(name[3:].split(",")[0])
        quantizer = faiss.IndexFlatIP(DIM)
        index = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
        picks = np.random.default_rng(0).choice(len(vectors), min(len(vectors), 50 * nlist), False)
        sample = vectors[picks]
        index.train(sample)
        index.nprobe = 32
    index.add(vectors)
    return index


def to_markdown(rows: list[ScaleRow]) -> str:
    head = (
        "| passages | index | build (s) | median (ms) | p95 (ms) | recall@10 vs exact "
        "| planted@10 | memory (MB) |\n|---:|---|---:|---:|---:|---:|---:|---:|\n"
    )
    return head + "".join(
        f"| {r.size:,} | {r.index} | {r.build_s} | {r.latency_median_ms} | {r.latency_p95_ms} "
        f"| {r.recall_at_10} | {r.planted_at_10} | {r.memory_mb} |\n"
        for r in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args()
    rows = measure([int(s) for s in args.sizes.split(",")])
    print(to_markdown(rows))
    print([asdict(r) for r in rows])


if __name__ == "__main__":
    main()
