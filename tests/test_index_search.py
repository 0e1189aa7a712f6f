"""The Searcher on a small Dutch fixture corpus, with a fake deterministic embedder."""

from __future__ import annotations

import pytest
from index_fixtures import BACKENDS, FakeEmbedder, fill_store, fixture_settings, on_backend

from index import Filters, QueryError, Searcher, build_index


@pytest.fixture(scope="module", params=BACKENDS)
def searcher(request, tmp_path_factory, milvus_lite) -> Searcher:
    """The fixture corpus indexed on each backend: every test here runs on both."""
    base = fixture_settings(tmp_path_factory.mktemp("search"))
    settings = on_backend(base, request.param, milvus_lite, "search")
    embedder = FakeEmbedder()
    with fill_store(settings) as store:
        build_index(settings, store, embedder, progress=False)
    opened = Searcher.open(settings, embedder=embedder)
    yield opened
    opened.close()


def test_hybrid_finds_the_passage_and_marks_answer_sentences(searcher: Searcher) -> None:
    response = searcher.search("Hoe worden leerlingen in het beroepsonderwijs begeleid?", k=3)
    assert response.mode == "hybrid"
    top = response.hits[0]
    assert (top.passage.source, top.passage.ordinal) == ("000_advies.txt", 0)
    assert 1 <= len(top.highlights) <= 3
    for h in top.highlights:
        assert top.passage.text[h.start : h.end] == h.text
    assert "begeleid" in top.highlights[0].text
    assert [h.rank for h in response.hits] == [1, 2, 3]
    assert response.answer and response.answer[0].rank in (1, 2, 3)


def test_exact_quote_across_hyphen_with_highlight(searcher: Searcher) -> None:
    response = searcher.search("“Elke geinvesteerde  EURO”")
    assert response.mode == "exact"
    (hit,) = response.hits
    (h,) = hit.highlights
    assert hit.passage.text[h.start : h.end] == "elke geïnves-\nteerde euro"


def test_exact_quote_over_a_passage_boundary_shows_both_parts(searcher: Searcher) -> None:
    response = searcher.search('"financieringskader voor de scholen. Leerwerkplekken in bedrijven"')
    assert response.mode == "exact"
    assert [(h.passage.source, h.passage.ordinal) for h in response.hits] == [
        ("000_advies.txt", 1),
        ("000_advies.txt", 2),
    ]
    assert [h.highlights[0].text for h in response.hits] == [
        "financieringskader voor de scholen.",
        "Leerwerkplekken in bedrijven",
    ]
    assert any("grens van twee passages" in n for n in response.notices)
    # A phrase inside one passage is not reported as split.
    assert not any("grens" in n for n in searcher.search('"voor de scholen"').notices)


def test_exact_results_come_in_document_order(searcher: Searcher) -> None:
    response = searcher.search('"de"', k=10)
    order = [(h.passage.source, h.passage.ordinal) for h in response.hits]
    assert order == sorted(order) and len(order) >= 3


def test_phrases_must_all_match_and_words_rank(searcher: Searcher) -> None:
    both = searcher.search('"elke geïnvesteerde euro" "meerjarig financieringskader"')
    assert [h.passage.ordinal for h in both.hits] == [1]
    assert len(both.hits[0].highlights) == 2
    none = searcher.search('"elke geïnvesteerde euro" "werkbaar werk"')
    assert none.mode == "hybrid" and any("letterlijk" in n for n in none.notices)
    ranked = searcher.search('"de" werkdruk leraren', k=3)
    assert ranked.mode == "exact"
    assert (ranked.hits[0].passage.source, ranked.hits[0].passage.ordinal) == ("001_studie.txt", 1)


def test_unbalanced_quote_is_a_notice_not_an_error(searcher: Searcher) -> None:
    response = searcher.search('"elke geïnvesteerde euro')
    assert response.hits and any("niet gesloten" in n for n in response.notices)


@pytest.mark.parametrize(
    ("filters", "sources"),
    [
        (Filters(sources=("001_studie.txt",)), {"001_studie.txt"}),
        (Filters(sources=("some/folder/001_studie.txt",)), {"001_studie.txt"}),
        (Filters(kinds=("Briefadvies",)), {"002_brief.txt"}),
        (Filters(years=(2025,)), {"000_advies.txt"}),
        (Filters(authors=("serv",), years=(2023,)), {"001_studie.txt"}),
    ],
)
def test_filters_restrict_every_mode(searcher: Searcher, filters: Filters, sources: set) -> None:
    for mode in ("hybrid", "keyword", "dense"):
        response = searcher.search("leraar leerling werkdruk", k=10, filters=filters, mode=mode)
        assert response.hits and {h.passage.source for h in response.hits} == sources
    exact = searcher.search('"de"', filters=filters)
    assert {h.passage.source for h in exact.hits} == sources


def test_unknown_filter_value_matches_nothing_with_notice(searcher: Searcher) -> None:
    response = searcher.search("leraar", filters=Filters(years=(1999,)))
    assert response.hits == ()
    assert "2023, 2025" in response.notices[0]


def test_filter_takes_top_k_after_filtering(searcher: Searcher) -> None:
    # The brief's passage ranks low for this question; filtered it must still come back.
    response = searcher.search(
        "werkbaar werk werkdruk", k=1, filters=Filters(kinds=("briefadvies",)), mode="dense"
    )
    assert [h.passage.source for h in response.hits] == ["002_brief.txt"]


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "\x00\x07\x1b", "?!…", '""'])
def test_bad_queries_raise_query_error(searcher: Searcher, query: str) -> None:
    with pytest.raises(QueryError):
        searcher.search(query)


def test_control_characters_are_dropped_from_a_real_query(searcher: Searcher) -> None:
    response = searcher.search("werk\x00druk\x1b leraren")
    assert response.query == "werk druk leraren" and response.hits


def test_overlong_query_is_truncated_with_notice(searcher: Searcher) -> None:
    response = searcher.search("werkdruk bij leraren " * 500)
    assert len(response.query) <= searcher.settings.max_query_chars
    assert any("ingekort" in n for n in response.notices)
    assert response.hits


def test_bad_mode_and_k(searcher: Searcher) -> None:
    with pytest.raises(QueryError, match="kies uit"):
        searcher.search("leraar", mode="fuzzy")
    with pytest.raises(QueryError):
        searcher.search("leraar", k=0)


def test_citation_and_browsing(searcher: Searcher) -> None:
    hit = searcher.search("meerjarig financieringskader", k=1).hits[0]
    assert hit.citation == (
        "SERV (2025). Ambitieus beleid voor excellent praktijkgericht onderwijs. "
        "Advies, § 3.3 Financiering, p. 13 / r. 3–4."
    )
    assert searcher.cite(hit, "Investeren in onderwijs loont.").startswith("“Investeren")
    ctx = searcher.context(hit.passage.id, radius=1)
    assert [p.ordinal for p in ctx] == [0, 1, 2]
    assert searcher.document(hit.document.doc_id) == hit.document
    assert [p.ordinal for p in searcher.passages("000_advies.txt")] == [0, 1, 2]
    facets = searcher.facets()
    assert facets["kinds"] == ["advies", "briefadvies", "studie"]
    assert facets["years"] == [2023, 2025]


def test_to_json_schema(searcher: Searcher) -> None:
    response = searcher.search("leraar", k=2)
    data = response.to_json()
    assert set(data) == {"query", "results", "answer", "notices"}
    # The short answer as the page shows it: verbatim sentences with their result number.
    assert data["answer"] and data["answer"] == [
        {"rank": a.rank, "text": a.text} for a in response.answer
    ]
    for sentence in data["answer"]:
        assert sentence["text"] in data["results"][sentence["rank"] - 1]["text"]
    assert data["notices"] == []
    truncated = searcher.search("leraar " * 400, k=1).to_json()
    assert truncated["notices"] and "ingekort" in truncated["notices"][0]
    result = data["results"][0]
    # The schema only grows: every field programs read stays, new ones are added.
    assert set(result) >= {
        "rank", "score", "source", "title", "section", "page", "lines", "char_start",
        "char_end", "text", "highlights", "citation",
    }  # fmt: skip
    assert {"page_end", "ocr"} <= set(result)
    for highlight in result["highlights"]:
        assert {"text", "start", "end", "page", "page_end", "lines"} <= set(highlight)


def test_sentence_rescoring_equals_a_plain_loop(searcher: Searcher) -> None:
    import numpy as np

    qvec = searcher.query_vector("werkdruk bij leraren")
    rows = np.arange(len(searcher.passages()))
    sentences = searcher.backend.sentences(rows)
    best = searcher.backend.best_sentences(rows, qvec)
    for row in rows:
        _, vectors = sentences.of(int(row))
        sims = [float(v @ qvec) for v in vectors if np.any(v != 0)]
        assert best[row] == pytest.approx(max(sims) if sims else -np.inf, abs=1e-5)
    # The large-corpus path (rescoring only the dense candidates) agrees on a small corpus.
    full = searcher.ranker.dense_with_sentences(qvec, 5, None)
    partial = searcher.ranker.dense_with_sentences(qvec, 5, None, scan=False)
    assert [r for r, _ in partial] == [r for r, _ in full]


@pytest.mark.parametrize("backend", BACKENDS)
def test_link_only_passage_stays_out_of_the_dense_ranking(tmp_path, backend, milvus_lite) -> None:
    from index_fixtures import CORPUS

    from index.ranking import prose_words

    link = "https://leerpunt.be/leidraden"
    assert prose_words(link) == 0 and prose_words(f"Zie {link}") == 1
    corpus = [*CORPUS, ("003_links.txt", "Links", None, None, None, [((), 4, link)])]
    settings = on_backend(fixture_settings(tmp_path), backend, milvus_lite, "links")
    embedder = FakeEmbedder()
    with fill_store(settings, corpus) as store:
        build_index(settings, store, embedder, progress=False)
    searcher = Searcher.open(settings, embedder=embedder)
    try:
        # The plain dense baseline puts it first for its own words; the hybrid's
        # dense side leaves it out; keyword search and exact quotes still find it.
        assert searcher.search(link, k=1, mode="dense").hits[0].passage.source == "003_links.txt"
        qvec = searcher.query_vector(link)
        passages = searcher.passages()
        dense_rows = [r for r, _ in searcher.ranker.dense_with_sentences(qvec, 10, None)]
        assert all(passages[r].source != "003_links.txt" for r in dense_rows)
        for query, mode in (("leidraden", "keyword"), ('"leerpunt.be/leidraden"', "auto")):
            hit = searcher.search(query, k=1, mode=mode).hits[0]
            assert hit.passage.source == "003_links.txt"
    finally:
        searcher.close()
