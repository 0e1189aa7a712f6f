"""`make bench` stage milvus: the milvus backend against the local one.

Parity: the seeds indexed on both backends (Milvus Lite in a second data
folder, vectors from the embedding cache), every question of both sets asked
of both in hybrid mode: how many have the same top 10, and MRR@10 on each.
Latency: the warm query median on each backend, with the query embedding
(cache cleared) and without it (ranking alone, the vector cached).

Scale: synthetic passages (random unit vectors, two answer sentences each, one
above 100,000 passages to fit in memory, 60 words drawn from a Zipf-distributed
pseudo-Dutch vocabulary) built into each
backend, timed from vectors to a searchable index (the BM25 weights included,
embedding excluded), then hybrid queries timed through the same ranking code
the app uses (`HybridRanker.rank` with a given query vector).

    python -m bench.milvus_stage [--sizes 100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index import Searcher, build_index
from index.backends.local import LocalBackend
from index.backends.milvus import MilvusBackend
from index.backends.milvus_client import connect
from index.backends.milvus_publish import MilvusWriter
from index.dense import DenseIndex, choose_kind
from index.evaluate import Evaluation, evaluate, load_questions
from index.keyword import BM25Index
from index.ranking import HybridRanker, Ranking, prose_words
from index.sentences import SentenceVectors
from ingest.document import Document, Passage
from ingest.settings import Settings
from ingest.store import Store

DIM = 384
SENTENCES_PER_PASSAGE = 2
WORDS_PER_PASSAGE = 60
VOCABULARY = 20_000
SCALE_QUERIES = 50


@dataclass(frozen=True)
class Parity:
    questions: int
    same_top10: int
    mrr_local: float
    mrr_milvus: float
    median_ms_local: float
    median_ms_milvus: float
    ranking_ms_local: float
    ranking_ms_milvus: float
    milvus_build_s: float

    @property
    def share(self) -> float:
        return self.same_top10 / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class Scale:
    backend: str
    size: int
    dense_index: str
    build_s: float
    query_median_ms: float
    query_p95_ms: float


def milvus_copy(data_dir: Path, out: Path) -> Settings:
    """A second data folder holding the same store and embedding cache, set to Milvus Lite."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copy2(data_dir / "advieszoeker.db", out / "advieszoeker.db")
    shutil.copytree(data_dir / "cache", out / "cache")
    return Settings.from_env(data_dir=out, backend="milvus", milvus_uri="")


def _top10(searcher: Searcher, question: str) -> list[str]:
    return [h.passage.id for h in searcher.search(question, k=10, mode="hybrid").hits]


def _ranking_ms(searcher: Searcher, questions: list[str]) -> list[float]:
    """Search times with every query vector already cached: the ranking alone."""
    out = []
    for q in questions:
        searcher.query_vector(q)
        started = time.perf_counter()
        searcher.search(q, k=10, mode="hybrid")
        out.append((time.perf_counter() - started) * 1000)
    return out


def parity(data_dir: Path, out: Path, question_sets: dict[str, Path]) -> Parity:
    local = Searcher.open(Settings.from_env(data_dir=data_dir, backend="local"))
    settings = milvus_copy(data_dir, out)
    started = time.perf_counter()
    with Store.open(settings.db_path) as store:
        build_index(settings, store, local.embedder, progress=False)
    build_s = time.perf_counter() - started
    milvus = Searcher.open(settings, embedder=local.embedder)
    try:
        questions = [q for path in question_sets.values() for q in load_questions(path)]
        same = sum(_top10(local, q.question) == _top10(milvus, q.question) for q in questions)
        evals: dict[str, Evaluation] = {}
        for name, searcher in (("local", local), ("milvus", milvus)):
            evals[name] = evaluate(searcher, questions, methods=("hybrid",))
        texts = [q.question for q in questions]
        pairs = (("local", local), ("milvus", milvus))
        ranking = {name: _ranking_ms(searcher, texts) for name, searcher in pairs}
    finally:
        milvus.close()
        local.close()
    return Parity(
        questions=len(questions),
        same_top10=int(same),
        mrr_local=round(evals["local"].get("hybrid").mrr, 4),
        mrr_milvus=round(evals["milvus"].get("hybrid").mrr, 4),
        median_ms_local=round(statistics.median(evals["local"].latency_ms["hybrid"]), 1),
        median_ms_milvus=round(statistics.median(evals["milvus"].latency_ms["hybrid"]), 1),
        ranking_ms_local=round(statistics.median(ranking["local"]), 1),
        ranking_ms_milvus=round(statistics.median(ranking["milvus"]), 1),
        milvus_build_s=round(build_s, 1),
    )


def synthetic(n: int, seed: int = 0) -> tuple[list[Passage], np.ndarray, SentenceVectors]:
    """n passages of pseudo words with unit passage vectors and their answer sentences."""
    per = SENTENCES_PER_PASSAGE if n <= 100_000 else 1
    rng = np.random.default_rng(seed)
    letters = np.array(list("abdeghiklmnoprstuvw"))
    vocab = ["".join(rng.choice(letters, size=rng.integers(4, 9))) for _ in range(VOCABULARY)]
    zipf = 1.0 / np.arange(1, VOCABULARY + 1)
    draws = rng.choice(VOCABULARY, size=(n, WORDS_PER_PASSAGE), p=zipf / zipf.sum())
    passages: list[Passage] = []
    half = WORDS_PER_PASSAGE // 2
    for row in range(n):
        words = [vocab[i] for i in draws[row]]
        text = " ".join(words[:half]) + ". " + " ".join(words[half:]) + "."
        source = f"doc{row // 50:05d}.txt"
        passages.append(
            Passage(
                id=f"p{row}",
                source=source,
                ordinal=row % 50,
                text=text,
                char_start=0,
                char_end=len(text),
            )
        )
    vectors = _unit(rng.normal(size=(n, DIM)).astype(np.float32))
    count = n * per
    offsets = np.arange(0, count + 1, per, dtype=np.int64)
    if per == 2:
        first = [len(" ".join(vocab[i] for i in draws[r][:half])) + 1 for r in range(n)]
        spans = np.array(
            [s for r, f in enumerate(first) for s in ((0, f), (f + 1, len(passages[r].text)))],
            dtype=np.int32,
        )
    else:
        spans = np.array([(0, len(p.text)) for p in passages], dtype=np.int32)
    # Sentences near their passage, as real ones are.
    noise = rng.normal(scale=0.5, size=(count, DIM)).astype(np.float32)
    sentence_vectors = _unit(np.repeat(vectors, per, axis=0) + noise / DIM**0.5)
    return passages, vectors, SentenceVectors(offsets, spans, sentence_vectors)


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def _queries(passages: list[Passage], vectors: np.ndarray, seed: int = 1) -> list[tuple]:
    rng = np.random.default_rng(seed)
    out = []
    for row in rng.choice(len(passages), size=SCALE_QUERIES, replace=False):
        words = passages[row].text.rstrip(".").split()
        text = " ".join(rng.choice(words, size=3, replace=False))
        noisy = vectors[row] + rng.normal(scale=0.05, size=DIM).astype(np.float32)
        out.append((text, _unit(noisy[None, :])[0].astype(np.float32)))
    return out


def _time_queries(ranker: HybridRanker, queries: list[tuple]) -> tuple[float, float]:
    ranker.rank(queries[0][0], "hybrid", 10, None, lambda _: queries[0][1])  # warm-up
    times = []
    for text, qvec in queries:
        started = time.perf_counter()
        ranker.rank(text, "hybrid", 10, None, lambda _, v=qvec: v)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def scale(size: int, work: Path) -> list[Scale]:
    """Build time and hybrid query latency for `size` synthetic passages on both backends."""
    passages, vectors, sentences = synthetic(size)
    queries = _queries(passages, vectors)
    ranking = Ranking()
    settings = Settings(data_dir=work)
    results = []

    started = time.perf_counter()
    keyword = BM25Index.build([p.text for p in passages])
    bm25_s = time.perf_counter() - started

    started = time.perf_counter()
    kind = choose_kind(settings.dense_index, size, settings.hnsw_threshold)
    local = LocalBackend(DenseIndex.build(vectors, kind), keyword, sentences)
    local_s = time.perf_counter() - started + bm25_s
    ranker = HybridRanker(ranking, passages, local, keyword.analyzer.terms)
    median, p95 = _time_queries(ranker, queries)
    results.append(Scale("local", size, kind, round(local_s, 1), round(median, 1), round(p95, 1)))
    del ranker, local

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    lite = settings.with_(backend="milvus", milvus_uri=str(work / "scale.db"))
    started = time.perf_counter()
    writer = MilvusWriter(lite)
    documents: dict[str, Document] = {}
    prose = [prose_words(p.text) for p in passages]
    names, milvus_kind = writer.write("20000101T000000_scale", passages, documents, vectors,
                                      keyword, sentences, prose)  # fmt: skip
    writer.close()
    milvus_s = time.perf_counter() - started + bm25_s
    client = connect(lite)
    backend = MilvusBackend(client, lite.milvus_address, names, keyword.analyzer, keyword.terms,
                            [p.text for p in passages], DIM, milvus_kind)  # fmt: skip
    ranker = HybridRanker(ranking, passages, backend, keyword.analyzer.terms)
    median, p95 = _time_queries(ranker, queries)
    name = "milvus (Lite)"
    results.append(
        Scale(name, size, milvus_kind, round(milvus_s, 1), round(median, 1), round(p95, 1))
    )
    backend.close()
    _stop_lite(work / "scale.db")
    shutil.rmtree(work, ignore_errors=True)
    return results


def _stop_lite(path: Path) -> None:
    from milvus_lite.server_manager import server_manager_instance

    server_manager_instance.release_server(str(path))


def markdown(p: Parity | None, rows: list[Scale], load: float | None = None) -> str:
    parts = ["## Milvus backend\n"]
    if p is not None:
        parts.append(
            "The seeds indexed on both backends (Milvus Lite 2.5.1, FLAT; vectors from the "
            f"embedding cache), the {p.questions} questions of both sets asked of both in hybrid "
            f"mode:\n\n"
            "| figure | local | milvus |\n|---|---:|---:|\n"
            f"| questions with the same top 10 | — | **{p.same_top10} of {p.questions} "
            f"({p.share:.1%})** |\n"
            f"| MRR@10 | {p.mrr_local:.4f} | {p.mrr_milvus:.4f} |\n"
            f"| warm query median, query embedding included | {p.median_ms_local} ms | "
            f"{p.median_ms_milvus} ms |\n"
            f"| warm query median, ranking alone (vector cached) | {p.ranking_ms_local} ms | "
            f"{p.ranking_ms_milvus} ms |\n"
            f"| index build of the seeds (vectors from the cache) | — | {p.milvus_build_s} s |\n"
        )
    if rows:
        parts.append(
            "\nAt scale (synthetic passages, see `bench/milvus_stage.py`): build from vectors "
            "to a searchable index (BM25 weights included, embedding excluded) and hybrid "
            f"query latency over {SCALE_QUERIES} queries through the app's ranking code "
            "(query embedding excluded).\n\n"
            "| backend | passages | dense index | build | query median | query p95 |\n"
            "|---|---:|---|---:|---:|---:|\n"
            + "\n".join(
                f"| {r.backend} | {r.size:,} | {r.dense_index} | {r.build_s} s | "
                f"{r.query_median_ms} ms | {r.query_p95_ms} ms |"
                for r in rows
            )
            + "\n"
        )
    if load is not None:
        parts.append(f"\n1-minute load average when measured: {load:.1f} (2 shared cores).\n")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--out", type=Path, default=Path("bench/out/milvus-scale"))
    args = parser.parse_args()
    rows = [r for n in args.sizes.split(",") for r in scale(int(n), args.out)]
    print(json.dumps([asdict(r) for r in rows], indent=2))
    print(markdown(None, rows))


if __name__ == "__main__":
    main()
