"""SentenceVectors: built, saved and loaded by one class, for build.py and the Searcher."""

from __future__ import annotations

import numpy as np

from index.sentences import SentenceVectors
from ingest.document import Passage


def _passage(ordinal: int, text: str) -> Passage:
    return Passage(
        id=f"a-{ordinal}",
        source="a.txt",
        ordinal=ordinal,
        text=text,
        char_start=0,
        char_end=len(text),
        section=(),
        page=None,
    )


def test_sentence_vectors_build_save_and_load(tmp_path) -> None:
    passages = [
        _passage(0, "Kop. De raad vraagt een nieuw actieplan tegen schooluitval."),
        _passage(1, "Een tweede passage met een zin van genoeg woorden. En nog een zin erbij."),
    ]
    embedded: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        embedded.extend(texts)
        return np.eye(len(texts), 4, dtype=np.float32)

    built = SentenceVectors.build(passages, embed, dimension=4)
    assert built.passages == 2 and built.count == 4
    # "Kop." is too short to answer: never embedded, never a best sentence.
    assert "Kop." not in embedded and built.embedded == 3
    built.save(tmp_path)
    loaded = SentenceVectors.load(tmp_path)
    spans, vectors = loaded.of(0)
    assert passages[0].text[spans[1][0] : spans[1][1]].startswith("De raad vraagt")
    assert np.allclose(vectors, built.of(0)[1])
    best = loaded.best(np.array([0, 1]), np.array([1, 0, 0, 0], dtype=np.float32))
    assert best.tolist() == [1.0, 0.0]
