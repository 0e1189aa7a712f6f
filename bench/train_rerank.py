"""Fit the learned reranking on the tune split of the users' questions.

For every tune question the hybrid's fused top `rerank_depth` candidates are
described by `index.ranking.FEATURES` and labelled by the hit rule (the
candidate holds a gold quote). A logistic regression on standardised features
is small and explainable: its weights, printed per feature, say what the
ranking learned. The held-out split is never seen here.

    python -m bench.train_rerank [--data-dir DIR] [--out index/rerank.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from index import Searcher
from index.evaluate import is_hit, load_questions
from index.ranking import FEATURES
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
USERS = ROOT / "bench" / "questions_users.jsonl"


def collect(searcher: Searcher, split: str = "tune") -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of the fused candidates of one split's questions."""
    ranker = searcher.ranker
    passages = searcher.passages()
    xs, ys = [], []
    for question in load_questions(USERS, split):
        qvec = searcher.query_vector(question.question)
        words, extra = ranker.keyword_query(question.question)
        depth = ranker.ranking.depth
        keyword = ranker.keyword.search(words, depth, None, extra, ranker.ranking.expansion_weight)
        fused, _ = ranker.rank(question.question, "hybrid", depth, None, searcher.query_vector)
        head = fused[: ranker.ranking.rerank_depth]
        xs.append(ranker.features(question.question, qvec, head, keyword))
        ys.extend(is_hit(question, passages[row].source, passages[row].text) for row, _ in head)
    return np.concatenate(xs), np.array(ys, dtype=np.int64)


def fit(x: np.ndarray, y: np.ndarray, c: float = 0.3) -> dict:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=1000)
    model.fit((x - mean) / scale, y)
    return {
        "features": list(FEATURES),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "weights": model.coef_[0].tolist(),
        "trained_on": "bench/questions_users.jsonl, split tune",
        "C": c,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "index" / "rerank.json")
    parser.add_argument("--C", type=float, default=0.3, help="Inverse regularisation strength.")
    parser.add_argument("--extra", default="{}", help="Ranking knobs as JSON (experiments).")
    args = parser.parse_args()
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    settings = Settings.from_env(**overrides)
    # Candidates come from the ranking without a reranking.
    extra = {**settings.extra, **json.loads(args.extra), "rerank": ""}
    searcher = Searcher.open(settings.with_(extra=extra))
    x, y = collect(searcher)
    model = fit(x, y, args.C)
    args.out.write_text(json.dumps(model, indent=2) + "\n", "utf-8")
    for name, weight in sorted(
        zip(FEATURES, model["weights"], strict=True), key=lambda t: -abs(t[1])
    ):
        print(f"{name:<10}{weight:+.3f}")
    print(f"{int(y.sum())} relevant of {len(y)} candidates; wrote {args.out}")


if __name__ == "__main__":
    main()
