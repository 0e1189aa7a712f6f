"""End to end: the real model on the real seeds, through `Searcher`.

The model is built once into pytest's cache (shared with test_model.py) and
the seeds' index lives there too, so its embedding cache makes reruns quick.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import Searcher, build_index
from ingest import ingest_paths
from ingest.settings import Settings
from ingest.store import Store

SEEDS = Path(__file__).parent.parent / "seeds"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def searcher(request: pytest.FixtureRequest) -> Searcher:
    from index.model import Embedder

    model_settings = Settings(data_dir=Path(request.config.cache.mkdir("advieszoeker-model")))
    embedder = Embedder.load(model_settings, progress=False)
    settings = Settings(
        data_dir=Path(request.config.cache.mkdir("advieszoeker-search-e2e")), corpus_dir=SEEDS
    )
    with Store.open(settings.db_path) as store:
        ingest_paths(settings, [SEEDS], store=store, progress=False)
        build_index(settings, store, embedder, progress=False)
    opened = Searcher.open(settings, embedder=embedder)
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("question", "source"),
    [
        (
            "Wie moet volgens de sociale partners de regie nemen over het duaal leren?",
            "004_165c6d2ad255d495.txt",
        ),
        (
            "Welk doel voor vroegtijdig schoolverlaten stond in het Pact 2020?",
            "003_a453287e12c67ea4.txt",
        ),
        (
            "What does the SERV advise about the programming requests for dual learning?",
            "001_9a7f4dd358640069.txt",
        ),
    ],
)
def test_question_finds_its_document_in_top_3(
    searcher: Searcher, question: str, source: str
) -> None:
    response = searcher.search(question, k=3)
    assert source in [h.passage.source for h in response.hits]
    assert response.hits[0].highlights and response.answer


def test_exact_quote_in_the_seeds(searcher: Searcher) -> None:
    # In the PDF text this phrase is broken over a line with a hyphen ("vroeg- tijdige").
    response = searcher.search('"aantal vroegtijdige schoolverlaters blijft te hoog"')
    assert response.mode == "exact"
    assert response.hits[0].passage.source == "003_a453287e12c67ea4.txt"
    assert response.hits[0].highlights


@pytest.mark.parametrize(
    ("quote", "verdict", "source", "change"),
    [
        (
            # As a newspaper might print it: one word changed, word order shifted.
            "Structurele middelen moeten worden voorzien: elke geïnvesteerde euro in het "
            "VSV-beleid verdient zich dubbel terug",
            "altered",
            "003_a453287e12c67ea4.txt",
            {"op": "replace", "quote": "dubbel", "source": "meermaals"},
        ),
        (
            "Er zijn heel veel organisaties bezig met Duaal Leren maar niemand neemt echt de lead",
            "shortened",
            "004_165c6d2ad255d495.txt",
            {"op": "delete", "quote": "", "source": "en structuren"},
        ),
        ("De SERV wil de btw op fietsen afschaffen voor alle studenten in Vlaanderen.",
         "not_found", None, None),
    ],
)  # fmt: skip
def test_planted_misquotes_in_the_seeds(
    searcher: Searcher, quote: str, verdict: str, source: str | None, change: dict | None
) -> None:
    result = searcher.check_quote(quote).to_json()
    assert result["verdict"] == verdict
    assert result["source"] == source
    if change is not None:
        assert change in result["changes"]
        assert result["citation"] and result["lines"]


def test_late_interaction_finds_a_passage_from_a_piece_of_it(searcher: Searcher) -> None:
    """The index's token vectors and a query's line up token for token
    (index/tokens.py): a passage's own opening words score it first."""
    tokens = searcher.ranker.tokens
    passages = searcher.store.passages()
    assert tokens is not None and tokens.passages == len(passages)
    rows = list(range(len(passages)))
    for row in (0, len(passages) // 2, len(passages) - 1):
        query = searcher.query_tokens(passages[row].text[:200])
        assert int(np.argmax(tokens.maxsim(rows, query))) == row
