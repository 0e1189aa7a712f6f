"""The named Gradio API endpoint `search`, called with gradio_client on the real app."""

from __future__ import annotations

import json
import subprocess

import pytest
from app_server import ROOT, cli, cli_env
from gradio_client import Client

pytestmark = pytest.mark.e2e

RESULT_TYPES = {
    "rank": int,
    "score": float,
    "source": str,
    "title": str,
    "section": (str, type(None)),
    "page": (int, type(None)),
    "lines": (list, type(None)),
    "char_start": int,
    "char_end": int,
    "text": str,
    "highlights": list,
    "citation": str,
}


def without_score(results: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "score"} for r in results]


@pytest.fixture(scope="module")
def client(app_url: str) -> Client:
    return Client(app_url + "/", verbose=False)


def test_search_endpoint_returns_the_cli_json_schema(client: Client, seeds_data_dir) -> None:
    question = "Wat vraagt de SERV over duaal leren?"
    result = client.predict(question, 5, api_name="/search")
    # Fields only ever grow: the first schema's keys all stay, new ones are added.
    assert set(result) >= {"query", "results", "answer", "notices"}
    assert result["query"] == question
    assert [r["rank"] for r in result["results"]] == [1, 2, 3, 4, 5]
    for r in result["results"]:
        assert set(r) >= set(RESULT_TYPES)
        for key, kind in RESULT_TYPES.items():
            assert isinstance(r[key], kind), key
        assert r["char_end"] - r["char_start"] == len(r["text"])
        for h in r["highlights"]:
            assert set(h) >= {"text", "start", "end", "page", "lines"}
            assert r["text"][h["start"] : h["end"]] == h["text"]
    # The same objects as `advieszoeker search --json`.
    searched = subprocess.run(
        cli("--data-dir", str(seeds_data_dir), "search", question, "-k", "5", "--json"),
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    expected = json.loads(searched.stdout.splitlines()[0])
    assert without_score(result["results"]) == without_score(expected["results"])
    scores = [r["score"] for r in result["results"]]
    assert scores == pytest.approx([r["score"] for r in expected["results"]], rel=1e-3)


def test_search_endpoint_filters_and_exact_mode(client: Client) -> None:
    result = client.predict(
        "Vlaams Regeerakkoord", 3, ["004_165c6d2ad255d495.txt"], None, None, None, "exact",
        api_name="/search",
    )  # fmt: skip
    assert result["results"]
    assert {r["source"] for r in result["results"]} == {"004_165c6d2ad255d495.txt"}
    assert result["results"][0]["highlights"][0]["text"].lower() == "vlaams regeerakkoord"


def test_search_endpoint_explains_a_bad_query(client: Client) -> None:
    with pytest.raises(Exception, match="leeg"):
        client.predict("   ", 3, api_name="/search")
