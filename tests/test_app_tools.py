"""The tools next to the search in the web app, without a browser, on `FakeSearcher`.

Quote check, recommendations, "Meer hierover" and export: their pages, their
API endpoints (called with gradio_client) and their messages for bad input.
"""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr
import pytest
from fake_searcher import FakeSearcher, running_app
from fastapi.testclient import TestClient
from gradio_client import Client

from app.asks_page import AsksService
from app.errors import api_endpoint
from app.page_shell import SHELL_SCRIPT
from app.quote_page import MAX_QUOTES, QuoteCheckService
from app.search_service import SearchService
from app.state import SearchState
from app.web import create_app
from ingest.settings import Settings

QUOTE = "De SERV vraagt meer werkplekken voor duaal leren."


@pytest.fixture(scope="module")
def searcher() -> FakeSearcher:
    return FakeSearcher()


@pytest.fixture(scope="module")
def service(searcher: FakeSearcher) -> SearchService:
    return SearchService(searcher, Settings())


@pytest.fixture(scope="module")
def client(searcher: FakeSearcher) -> Iterator[TestClient]:
    with TestClient(create_app(searcher, Settings())) as c:
        yield c


@pytest.fixture(scope="module")
def api(searcher: FakeSearcher) -> Iterator[Client]:
    with running_app(create_app(searcher, Settings())) as url:
        yield Client(url + "/", verbose=False)


@pytest.mark.parametrize("path", ["/citaat", "/aanbevelingen"])
def test_tool_pages_are_served_in_dutch(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert 'lang="nl"' in r.text and SHELL_SCRIPT in r.text


def test_check_quote_page_renders_verdicts_and_escapes(service: SearchService) -> None:
    checks = QuoteCheckService(service)
    html = checks.check_html(
        "De SERV vraagt meer werkplekken voor het duaal leren.\n"
        "Sectoren en bedrijven moeten leerplaatsen aanbieden.\n"
        "<script>alert(1)</script> staat nergens in de documenten hoor\n"
    )
    assert html.count("class='az-card az-check'") == 3
    assert "data-verdict='altered'" in html and "Toegevoegd: “het”" in html
    assert "data-verdict='shortened'" in html and "Weggelaten: “voldoende”" in html
    assert "data-verdict='not_found'" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Plak een citaat" in checks.check_html("   ")


def test_check_quote_api_returns_the_cli_objects(api: Client, searcher: FakeSearcher) -> None:
    (result,) = api.predict(QUOTE, api_name="/check_quote")
    assert result == searcher.check_quote(QUOTE).to_json()
    assert result["verdict"] == "exact" and result["source"] == "duaal.txt"
    assert result["source_text"] == QUOTE
    with pytest.raises(Exception, match="leeg"):
        api.predict("", api_name="/check_quote")
    with pytest.raises(Exception, match="Ongeldig jaar"):
        api.predict(QUOTE, None, None, None, ["twintig"], api_name="/check_quote")


def test_too_many_quotes_is_a_dutch_message(service: SearchService) -> None:
    endpoint = api_endpoint(QuoteCheckService(service).check_json)
    with pytest.raises(gr.Error, match=f"hoogstens {MAX_QUOTES}"):
        endpoint("\n".join(["een citaat"] * (MAX_QUOTES + 1)))


def test_asks_api_returns_the_cli_objects_and_filters(api: Client, searcher: FakeSearcher) -> None:
    result = api.predict("", api_name="/asks")
    assert result == [a.to_json() for a in searcher.asks()]
    assert "De SERV vraagt meer werkplekken voor duaal leren." in {a["text"] for a in result}
    only = api.predict("", ["uitval.txt"], api_name="/asks")
    assert only and {a["source"] for a in only} == {"uitval.txt"}
    with pytest.raises(Exception, match="Onbekend document"):
        api.predict("", ["geen.txt"], api_name="/asks")


def test_asks_page_lists_per_document_and_escapes(service: SearchService) -> None:
    asks = AsksService(service)
    html = asks.asks_html("", None, None, None, None)
    assert html.count("<section class='az-card az-asks-doc'") == 2
    assert "De SERV vraagt meer werkplekken voor duaal leren." in html
    assert "<script>" not in html
    found = asks.asks_html("werkplekken", None, None, None, None)
    assert "data-count='1'" in found
    assert "Geen aanbevelingen gevonden" in asks.asks_html("vliegtuig", None, None, None, None)


def test_result_cards_show_meer_hierover_from_other_documents(service: SearchService) -> None:
    html = service.results_html(SearchState(query="werkplekken duaal leren", k=1))
    card = html[html.index("<article") :]
    assert "<details class='az-more'" in card and "Meer hierover" in card
    more = card[card.index("<details class='az-more'") :]
    assert "Advies over schooluitval" in more or "Studie &lt;script&gt;" in more
    assert "<script>" not in html


def test_similar_api_returns_the_cli_objects(api: Client, searcher: FakeSearcher) -> None:
    passage = searcher.passages("duaal.txt")[1]
    result = api.predict(passage.id, 5, api_name="/similar")
    assert result == [r.to_json() for r in searcher.similar(passage.id)]
    assert result and all(r["source"] != "duaal.txt" for r in result)
    with pytest.raises(Exception, match="Onbekende passage"):
        api.predict("nope", 5, api_name="/similar")


def test_results_offer_export_links_carrying_the_search(service: SearchService) -> None:
    html = service.results_html(SearchState(query="duaal leren", k=3, authors=("SERV",)))
    export = html[html.index("<p class='az-export'>") :]
    assert "Exporteer deze resultaten" in export
    for fmt in ("csv", "ris", "txt"):
        assert f"href='export?q=duaal+leren&amp;k=3&amp;author=SERV&amp;format={fmt}'" in export


def test_export_route_serves_files_that_parse(client: TestClient, searcher: FakeSearcher) -> None:
    import csv
    import io

    import rispy

    params = {"q": "duaal leren", "k": "3"}
    r = client.get("/export", params={**params, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="advieszoeker-')
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    hits = searcher.search("duaal leren", k=3).hits
    assert [row["title"] for row in rows] == [h.document.title for h in hits]
    ris = client.get("/export", params={**params, "format": "ris"})
    records = rispy.loads(ris.content.decode("utf-8"))
    assert len(records) == len({h.document.source for h in hits})
    assert all(rec["notes"] for rec in records)
    text = client.get("/export", params={**params, "format": "txt"}).text
    assert text.startswith("Vraag: duaal leren") and f"[1] {hits[0].citation}" in text
    bad = client.get("/export", params={**params, "format": "pdf"})
    assert bad.status_code == 400 and "Onbekend formaat" in bad.text
    empty = client.get("/export", params={"q": " ", "format": "csv"})
    assert empty.status_code == 400 and "lege vraag" in empty.text
