"""The web app without a browser: document route, shared links, search service, API.

Runs against `FakeSearcher` (fast, no model); the browser tests in
tests/browser/ drive the same app on the real index.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
import pytest
from click.testing import CliRunner
from fake_searcher import FakeSearcher, running_app
from fastapi.testclient import TestClient
from gradio_client import Client
from starlette.datastructures import QueryParams

from app.cli import cli
from app.page_shell import SHELL_SCRIPT, shell_page
from app.search_service import SearchService
from app.state import MAX_K, FilterChoices, SearchState
from app.web import create_app
from ingest.settings import Settings


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


def doc_id(searcher: FakeSearcher, source: str) -> str:
    return next(d.doc_id for d in searcher.documents() if d.source == source)


def test_document_route_serves_corpus_documents_by_id(
    client: TestClient, searcher: FakeSearcher
) -> None:
    ident = doc_id(searcher, "duaal.txt")
    target = searcher.passages("duaal.txt")[1].id
    r = client.get(f"/doc/{ident}", params={"p": target})
    assert r.status_code == 200
    assert "Duaal Leren voor de toekomst" in r.text
    assert f"class='az-p az-target' id='p-{target}'" in r.text
    assert r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "path",
    [
        "/doc/000000000000",  # well-formed but unknown
        "/doc/duaal.txt",  # a source name is not an id
        "/doc/..%2F..%2Fetc%2Fpasswd",
        "/doc/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/doc/../../etc/passwd",
        "/doc//etc/passwd",
        "/doc/0123456789ab/../../../etc/passwd",
    ],
)
def test_document_route_refuses_everything_else(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert "root:" not in r.text


def test_bad_passage_target_is_ignored_not_rendered(
    client: TestClient, searcher: FakeSearcher
) -> None:
    r = client.get(f"/doc/{doc_id(searcher, 'uitval.txt')}", params={"p": "<script>x</script>"})
    assert r.status_code == 200
    assert "az-target" not in r.text.split("<body>")[1].split("<script>")[0]
    assert "<script>x" not in r.text


def test_shared_link_is_read_back_keeping_only_known_values(searcher: FakeSearcher) -> None:
    choices = FilterChoices.from_corpus(searcher.documents(), searcher.facets())
    ident = doc_id(searcher, "uitval.txt")
    params = QueryParams(
        f"q=schooluitval&k=999&exact=1&doc={ident}&doc=evil&author=SERV&author=<x>"
        "&kind=advies&year=2021&year=1066"
    )
    state = SearchState.from_params(params, choices, default_k=10)
    assert state == SearchState(
        query="schooluitval",
        k=MAX_K,
        exact=True,
        doc_ids=(ident,),
        authors=("SERV",),
        kinds=("advies",),
        years=("2021",),
    )
    filters = state.filters(choices)
    assert filters.sources == ("uitval.txt",) and filters.years == (2021,)
    assert SearchState.from_params(QueryParams("k=abc"), choices, 10).k == 10


def test_service_renders_results_and_passes_filters_and_mode(
    service: SearchService, searcher: FakeSearcher
) -> None:
    ident = doc_id(searcher, "uitval.txt")
    html = service.results_html(SearchState(query="schooluitval", k=5, doc_ids=(ident,)))
    assert "az-card" in html and "Advies over schooluitval" in html
    # No card of another document ("Meer hierover" may still point to one).
    assert "class='az-title'>Duaal Leren voor de toekomst" not in html
    query, k, filters, mode = searcher.calls[-1]
    assert (query, k, mode) == ("schooluitval", 5, "auto")
    assert filters is not None and filters.sources == ("uitval.txt",)
    service.results_html(SearchState(query="Vlaams Regeerakkoord", exact=True))
    assert searcher.calls[-1][3] == "exact"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", "lege vraag"),
        ("   ", "lege vraag"),
        ("zzzonbekendzzz", "Geen passages gevonden"),
    ],
)
def test_service_explains_instead_of_failing(
    service: SearchService, query: str, expected: str
) -> None:
    html = service.results_html(SearchState(query=query))
    assert expected in html
    assert "Traceback" not in html


def test_service_turns_unexpected_errors_into_a_dutch_message(searcher: FakeSearcher) -> None:
    class Broken(FakeSearcher):
        def search(self, *args: object, **kwargs: object):  # type: ignore[override]
            raise RuntimeError("boom /secret/path")

    html = SearchService(Broken(), Settings()).results_html(SearchState(query="x"))
    assert "Er ging iets mis" in html and "secret" not in html


def test_too_long_query_shows_the_searchers_notice(service: SearchService) -> None:
    html = service.results_html(SearchState(query="duaal leren " * 200))
    assert "ingekort" in html


def test_search_api_endpoint_with_gradio_client(searcher: FakeSearcher) -> None:
    with running_app(create_app(searcher, Settings())) as url:
        client = Client(url + "/", verbose=False)
        assert (
            "/search" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        )
        result = client.predict("duaal leren", 2, api_name="/search")
        assert result == searcher.search("duaal leren", k=2).to_json()
        filtered = client.predict(
            "duaal leren", 5, [doc_id(searcher, "payload.txt")], None, None, [2020], "auto",
            api_name="/search",
        )  # fmt: skip
        assert {r["source"] for r in filtered["results"]} == {"payload.txt"}
        with pytest.raises(Exception, match="lege vraag"):
            client.predict("  ", 3, api_name="/search")


def test_serve_without_an_index_says_how_to_build_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "empty"), "serve"])
    assert result.exit_code == 1
    assert "advieszoeker index" in result.output
    assert "Traceback" not in result.output


def test_serve_on_a_busy_port_says_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["--data-dir", str(tmp_path), "serve", "--port", str(port)]
        )
    assert result.exit_code == 1
    assert "--port" in result.output and "Traceback" not in result.output


def test_serve_binds_to_loopback_by_default() -> None:
    host = next(p for p in cli.commands["serve"].params if p.name == "host")
    assert host.default == "127.0.0.1"


@pytest.mark.parametrize("path", ["/", "/?q=duaal+leren&k=3"])
def test_page_is_served_in_dutch_with_the_shell_script_first(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    html = r.text
    assert 'lang="nl"' in html and 'lang="en"' not in html
    # The shell script runs before any of Gradio's own scripts.
    head = html[html.index("<head>") :]
    assert head.startswith("<head>" + SHELL_SCRIPT)
    assert head.index(SHELL_SCRIPT) < head.index("<script type=")
    assert int(r.headers["content-length"]) == len(r.content)


def test_page_shell_leaves_other_answers_alone(client: TestClient, searcher: FakeSearcher) -> None:
    page = client.get(f"/doc/{doc_id(searcher, 'duaal.txt')}")
    assert SHELL_SCRIPT not in page.text
    assert int(page.headers["content-length"]) == len(page.content)
    config = client.get("/config")
    assert config.status_code == 200 and SHELL_SCRIPT not in config.text


def test_shell_page_rewrites_only_the_first_lang_and_head() -> None:
    html = '<html lang="en"><head><title>x</title></head><body><p lang="en">Hi</p></body></html>'
    shelled = shell_page(html)
    assert shelled.startswith(f'<html lang="nl"><head>{SHELL_SCRIPT}<title>')
    assert '<p lang="en">Hi</p>' in shelled  # marked-up English stays English


def test_api_filter_values_that_do_not_exist_are_named_in_dutch(
    service: SearchService, searcher: FakeSearcher
) -> None:
    with pytest.raises(gr.Error, match=r"Ongeldig jaar 'twintig'.*2021"):
        service.search_json("schooluitval", years=["twintig"])
    with pytest.raises(gr.Error, match=r"Onbekend document 'geen.txt'.*uitval\.txt"):
        service.search_json("schooluitval", documents=["geen.txt"])
    with pytest.raises(gr.Error, match=r"Onbekende auteur 'NASA'.*SERV"):
        service.search_json("schooluitval", authors=["NASA"])
    answer = service.search_json("schooluitval", documents=["uitval.txt"], years=["2021"])
    assert answer["results"] and {hit["source"] for hit in answer["results"]} == {"uitval.txt"}
