"""Meer hierover (passages of other documents making the same point) and passage-id
stability across re-indexing, on small fixtures with the fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest
from index_fixtures import BACKENDS, CORPUS, FakeEmbedder, fill_store, fixture_settings, on_backend

from index import Searcher, build_index
from index.results import QueryError
from ingest.pipeline import ingest_paths
from ingest.store import Store

# A fourth document that repeats the first one's point about guidance and early school leaving.
ECHO = (
    "003_echo.txt", "Leerlingenbegeleiding", "SERV", "advies", 2021,
    [(("1 Begeleiding",), 3,
      "Leerlingen in het beroepsonderwijs moeten tijdig en grondig worden begeleid. Een goede "
      "start in het secundair onderwijs voorkomt vroegtijdig schoolverlaten, zegt de SERV.")],
)  # fmt: skip


@pytest.fixture(scope="module", params=BACKENDS)
def searcher(request, tmp_path_factory: pytest.TempPathFactory, milvus_lite) -> Searcher:
    """On each backend: Meer hierover asks the backend for a passage's vector and neighbours."""
    base = fixture_settings(tmp_path_factory.mktemp("similar")).with_(similar_min_score=-1.0)
    settings = on_backend(base, request.param, milvus_lite, "similar")
    embedder = FakeEmbedder()
    with fill_store(settings, [*CORPUS, ECHO]) as store:
        build_index(settings, store, embedder, progress=False)
    opened = Searcher.open(settings, embedder=embedder)
    yield opened
    opened.close()


def test_related_passages_come_from_other_documents_ordered_by_year(searcher: Searcher) -> None:
    start = searcher.passages("000_advies.txt")[0]
    related = searcher.similar(start.id, k=5)
    sources = [r.passage.source for r in related]
    assert "000_advies.txt" not in sources
    assert len(sources) == len(set(sources))  # one passage per document
    # The echo of the same point is the closest one.
    assert max(related, key=lambda r: r.score).passage.source == "003_echo.txt"
    years = [r.document.year for r in related]
    known = [y for y in years if y is not None]
    assert known == sorted(known) and years[: len(known)] == known  # unknown years last
    data = related[0].to_json()
    assert set(data) >= {"passage_id", "source", "title", "year", "text", "score", "citation"}


def test_similarity_floor_and_unknown_passage(searcher: Searcher) -> None:
    start = searcher.passages("000_advies.txt")[0]
    assert searcher.similar(start.id, min_score=0.999) == []
    with pytest.raises(QueryError, match="Onbekende passage"):
        searcher.similar("nope")


def test_an_unchanged_passage_keeps_its_id_across_re_indexing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paragraphs = [
        "De SERV vraagt meer leerwerkplekken voor duaal leren in alle sectoren van Vlaanderen.",
        "Scholen en bedrijven moeten samen de begeleiding van leerlingen op de werkplek regelen.",
        "Het lerarentekort vraagt dringende maatregelen en meer zij-instromers in het onderwijs.",
    ]
    doc = corpus / "advies.txt"
    doc.write_text("\n\n".join(paragraphs), "utf-8")
    settings = fixture_settings(tmp_path).with_(
        corpus_dir=corpus, passage_min_words=1, passage_target_words=5, passage_max_words=20
    )
    embedder = FakeEmbedder()

    def index() -> dict[str, str]:
        with Store.open(settings.db_path) as store:
            ingest_paths(settings, [corpus], store=store, progress=False)
            build_index(settings, store, embedder, progress=False)
            return {p.text: p.id for p in store.passages("advies.txt")}

    before = index()
    assert index() == before  # re-indexing unchanged text changes no id
    paragraphs[2] = "Het lerarentekort vraagt dringende maatregelen, zegt de raad."
    doc.write_text("\n\n".join(paragraphs), "utf-8")
    after = index()
    assert after[paragraphs[0]] == before[paragraphs[0]]
    assert after[paragraphs[1]] == before[paragraphs[1]]
    assert paragraphs[2] in after and after[paragraphs[2]] not in before.values()
