"""Shared test helpers for the search stage: a tiny Dutch corpus and a fake embedder.

The fake embedder hashes stemmed words into a fixed number of dimensions: fast,
deterministic, and still "semantic" enough that a question about leerlingen
lands near passages about leerlingen. It has the interface of
`index.model.Embedder` and counts what it embeds, so tests can prove what the
cache saved.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from index.keyword import DutchAnalyzer
from ingest.document import Document, Passage, content_hash, passage_id
from ingest.settings import Settings
from ingest.store import Store


class FakeEmbedder:
    def __init__(self, dimension: int = 64, name: str = "fake-model", version: str = "1") -> None:
        self.name = name
        self.dimension = dimension
        self.fingerprint = f"{name}|{version}"
        self.embedded: list[str] = []
        self.fail_after: int | None = None
        self._analyzer = DutchAnalyzer(decompound=False)

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dimension, dtype=np.float32)
        v[0] = 0.05  # never the zero vector
        for term in self._analyzer.terms(text):
            h = int(hashlib.md5(term.encode()).hexdigest(), 16)
            v[h % self.dimension] += 1.0 if (h >> 20) % 2 else -1.0
        return v / np.linalg.norm(v)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])

    def encode_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if self.fail_after is not None and len(self.embedded) + len(texts) > self.fail_after:
            raise RuntimeError("simulated crash while embedding")
        self.embedded.extend(texts)
        return np.stack([self._vector(t) for t in texts])


# (source, title, author, kind, year, [(section, page, text), ...])
CORPUS = [
    (
        "000_advies.txt",
        "Ambitieus beleid voor excellent praktijkgericht onderwijs",
        "SERV",
        "advies",
        2025,
        [
            (
                ("3 Sterk starten", "3.2 Begeleiding"),
                12,
                "De SERV vraagt dat leerlingen in het beroepsonderwijs tijdig en grondig worden "
                "begeleid. Een goede start in het secundair onderwijs voorkomt vroegtijdig "
                "schoolverlaten. Scholen krijgen daarvoor extra middelen.",
            ),
            (
                ("3 Sterk starten", "3.3 Financiering"),
                13,
                "Investeren in onderwijs loont: elke geïnves-\nteerde euro in praktijkgericht "
                "onderwijs komt meervoudig terug. De raad vraagt een meerjarig financieringskader "
                "voor de scholen.",
            ),
            (
                ("4 Samenwerking",),
                15,
                "Leerwerkplekken in bedrijven zijn schaars. Ondernemingen en scholen moeten samen "
                "voldoende werkplekken voor duaal leren organiseren, met aandacht voor de "
                "arbeidsmarktfinaliteit van elke opleiding.",
            ),
        ],
    ),
    (
        "001_studie.txt",
        "Werkbaar werk in Vlaanderen",
        "SERV",
        "studie",
        2023,
        [
            (
                ("1 Inleiding",),
                2,
                "Werkbaar werk betekent dat werknemers hun job kunnen volhouden tot hun pensioen. "
                "Stress en werkdruk blijven de grootste knelpunten voor werknemers.",
            ),
            (
                ("2 Cijfers",),
                5,
                "In 2023 had 38 procent van de werknemers een werkbare job. Bij leraren ligt dat "
                "aandeel lager dan gemiddeld, vooral door de hoge werkdruk.",
            ),
        ],
    ),
    (
        "002_brief.txt",
        "Briefadvies over de lerarentekorten",
        None,
        "briefadvies",
        None,
        [
            (
                (),
                None,
                "Het lerarentekort vraagt dringende maatregelen. Zij-instromers uit de "
                "bedrijfswereld moeten sneller als leraar aan de slag kunnen. Een leerling heeft "
                "recht op een bevoegde leraar.",
            ),
        ],
    ),
]


def make_documents(corpus: list = CORPUS) -> list[tuple[Document, list[Passage]]]:
    out = []
    for source, title, author, kind, year, parts in corpus:
        cleaned = ""
        passages: list[Passage] = []
        line = 1
        for ordinal, (section, page, text) in enumerate(parts):
            start = len(cleaned)
            cleaned += text
            lines = text.count("\n")
            passages.append(
                Passage(
                    id=passage_id(source, text),
                    source=source,
                    ordinal=ordinal,
                    text=text,
                    char_start=start,
                    char_end=start + len(text),
                    section=tuple(section),
                    page=page,
                    line_start=line,
                    line_end=line + lines,
                )
            )
            cleaned += "\n\n"
            line += lines + 2
        document = Document(
            source=source, title=title, cleaned=cleaned, content_hash=content_hash(cleaned),
            author=author, kind=kind, year=year,
        )  # fmt: skip
        out.append((document, passages))
    return out


def fixture_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")


def fill_store(settings: Settings, corpus: list = CORPUS) -> Store:
    store = Store.open(settings.db_path)
    for document, passages in make_documents(corpus):
        store.replace_document(document, passages)
    return store


# The search suite runs on both backends; the milvus ones on Milvus Lite (the
# `milvus_lite` fixture of conftest.py gives each test module its own file).
BACKENDS = ["local", pytest.param("milvus", marks=pytest.mark.milvus)]


def on_backend(settings: Settings, backend: str, lite: Path, name: str) -> Settings:
    """Settings for a backend; milvus tests share their module's Lite file, each under
    its own alias (collection prefix)."""
    if backend == "local":
        return settings
    return settings.with_(backend="milvus", milvus_uri=str(lite), milvus_collection=name)
