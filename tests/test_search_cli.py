"""`advieszoeker index`, `search` and `eval` driven as a user would, with a fake model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from index_fixtures import FakeEmbedder, fill_store, fixture_settings

from app.cli import cli
from index import build_index

RESULT_KEYS = {
    "rank", "score", "source", "title", "section", "page", "lines", "char_start", "char_end",
    "text", "highlights", "citation",
}  # fmt: skip


@pytest.fixture(autouse=True)
def fake_model(monkeypatch) -> FakeEmbedder:
    embedder = FakeEmbedder()
    monkeypatch.setattr("index.model.Embedder.load", classmethod(lambda cls, *a, **k: embedder))
    return embedder


@pytest.fixture
def data_dir(tmp_path, fake_model):
    settings = fixture_settings(tmp_path)
    with fill_store(settings) as store:
        build_index(settings, store, fake_model, progress=False)
    return settings.data_dir


def run(data_dir, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], input=input)


def _check_schema(line: str) -> dict:
    data = json.loads(line)
    assert set(data) == {"query", "results", "answer", "notices"}
    assert all(isinstance(n, str) for n in data["notices"])
    for sentence in data["answer"]:
        assert set(sentence) == {"rank", "text"}
        # Quoted verbatim from the result it names.
        assert sentence["text"] in data["results"][sentence["rank"] - 1]["text"]
    for r in data["results"]:
        # Fields are only ever added: all of the first schema's keys stay.
        assert set(r) >= RESULT_KEYS
        assert isinstance(r["rank"], int) and isinstance(r["score"], float)
        assert r["lines"] is None or (
            len(r["lines"]) == 2 and all(isinstance(x, int) for x in r["lines"])
        )
        for h in r["highlights"]:
            assert r["text"][h["start"] : h["end"]] == h["text"]
            # Each marked sentence has its own lines, inside the passage's.
            if r["lines"] is not None:
                first, last = h["lines"]
                assert r["lines"][0] <= first <= last <= r["lines"][1]
    return data


def test_json_output_schema(data_dir) -> None:
    result = run(data_dir, "search", "Hoe hoog is de werkdruk bij leraren?", "--json", "-k", "3")
    assert result.exit_code == 0, result.output
    (line,) = result.output.strip().splitlines()
    data = _check_schema(line)
    assert [r["rank"] for r in data["results"]] == [1, 2, 3]
    assert data["results"][0]["source"] == "001_studie.txt"


def test_batch_from_stdin_one_line_per_query(data_dir) -> None:
    result = run(
        data_dir, "search", "--json", input="werkdruk leraren\n\n“elke geïnvesteerde euro”\n"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    exact = _check_schema(lines[1])
    assert exact["results"][0]["highlights"][0]["text"] == "elke geïnves-\nteerde euro"


def test_human_output_has_rank_title_place_marks_and_citation(data_dir) -> None:
    result = run(data_dir, "search", "meerjarig financieringskader")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "1. Ambitieus beleid voor excellent praktijkgericht onderwijs" in out
    assert "p. 13" in out and "»" in out and "«" in out
    assert "Citeer: SERV (2025)." in out
    assert "\x1b[" not in out  # no ANSI codes when not a terminal


def test_filters_on_the_command_line(data_dir) -> None:
    result = run(data_dir, "search", "leraar", "--json", "--kind", "studie", "--year", "2023")
    sources = {r["source"] for r in json.loads(result.output)["results"]}
    assert sources == {"001_studie.txt"}
    result = run(data_dir, "search", "leraar", "--json", "--doc", "corpus/002_brief.txt")
    assert {r["source"] for r in json.loads(result.output)["results"]} == {"002_brief.txt"}


@pytest.mark.parametrize("query", ["", "   ", "\x00\x01", "???"])
def test_bad_query_clear_message_nonzero_exit(data_dir, query: str) -> None:
    result = run(data_dir, "search", query)
    assert result.exit_code != 0
    assert "Error:" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_overlong_query_truncated_with_notice(data_dir) -> None:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "search", "werkdruk " * 400, "--json"]
    )
    assert result.exit_code == 0
    assert "ingekort" in result.stderr
    assert len(json.loads(result.stdout)["query"]) <= 1000


def test_no_index_says_what_to_run(tmp_path) -> None:
    result = run(tmp_path / "empty", "search", "werkdruk")
    assert result.exit_code == 1
    assert "make index" in result.output and "advieszoeker index" in result.output
    assert "Traceback" not in result.output


def test_index_command_ingests_and_indexes(tmp_path, fake_model) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "advies.txt").write_text(
        "Advies over werkbaar werk\n\nDe SERV vraagt meer aandacht voor de werkdruk van "
        "leraren in het secundair onderwijs. Werkbaar werk is een gedeelde opdracht.\n",
        "utf-8",
    )
    data = tmp_path / "data"
    result = run(data, "index", str(corpus))
    assert result.exit_code == 0, result.output
    assert "Indexed" in result.output and "1 added" in result.output
    again = run(data, "index", str(corpus))
    assert "embedded 0 passages" in again.output
    found = run(data, "search", "werkdruk leraren", "--json")
    assert json.loads(found.output)["results"][0]["source"] == "advies.txt"


def test_index_command_missing_path(tmp_path) -> None:
    result = run(tmp_path / "data", "index", str(tmp_path / "nope"))
    assert result.exit_code == 1 and "Not found" in result.output


def write_questions(tmp_path: Path) -> Path:
    questions = tmp_path / "q.jsonl"
    rows = [
        {"id": "q-001", "doc": "001_studie.txt", "type": "advisor", "lang": "nl",
         "question": "Hoeveel werknemers hebben werkbaar werk?",
         "quotes": ["38 procent van de werknemers"], "split": "tune"},
        {"id": "q-002", "doc": "000_advies.txt", "type": "journalist", "lang": "nl",
         "question": "elke geïnvesteerde euro komt terug",
         "quotes": ["elke geinvesteerde euro in praktijkgericht onderwijs"], "split": "heldout"},
    ]  # fmt: skip
    questions.write_text("\n".join(json.dumps(r) for r in rows), "utf-8")
    return questions


def test_eval_prints_the_metrics_table(data_dir, tmp_path) -> None:
    questions = write_questions(tmp_path)
    result = run(data_dir, "eval", "--questions", str(questions))
    assert result.exit_code == 0, result.output
    for word in (
        "hit@1",
        "MRR@10",
        "keyword",
        "dense",
        "hybrid",
        "split:heldout",
        "type:journalist",
    ):
        assert word in result.output
    result = run(data_dir, "eval", "--questions", str(questions), "--methods", "fuzzy")
    assert result.exit_code == 1 and "choose from" in result.output


def test_eval_against_another_index_prints_paired_changes(data_dir, tmp_path) -> None:
    questions = write_questions(tmp_path)
    args = ["eval", "--questions", str(questions), "--methods", "hybrid"]
    result = run(data_dir, *args, "--against", str(data_dir))
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line.startswith("all ")]
    assert [row[1] for row in rows] == ["MRR@10", "hit@5", "short"]
    # The same index on both sides: every change is zero, no question rose or fell.
    assert all(row[-4:] == ["+0.000", "0.000", "0", "0"] for row in rows)
    as_json = json.loads(run(data_dir, *args, "--against", str(data_dir), "--json").output)
    assert {d["metric"] for d in as_json["hybrid"]} == {"MRR@10", "hit@5", "short answer"}
    missing = run(data_dir, *args, "--against", str(tmp_path / "nowhere"))
    assert missing.exit_code != 0 and "No data folder" in missing.output
    assert "Traceback" not in missing.output


def test_every_user_error_ends_as_one_line_without_a_traceback(tmp_path: Path) -> None:
    """An AdvieszoekerError from any command is turned into a message by the CLI group."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "advieszoeker.db").write_bytes(b"this is not a SQLite database" * 50)
    (tmp_path / "advies.txt").write_text("De SERV vraagt meer werkplekleren.\n", encoding="utf-8")
    result = run(tmp_path / "data", "ingest", "--no-progress", str(tmp_path / "advies.txt"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output and result.output.startswith("Error: ")
    assert len(result.output.strip().splitlines()) == 1


def test_check_quote_json_one_object_per_stdin_line(data_dir) -> None:
    quotes = (
        "elke geïnvesteerde euro in praktijkgericht onderwijs komt dubbel terug\n"
        "De regering moet de belastingen op vliegtuigtickets verhogen voor iedereen.\n"
    )
    result = run(data_dir, "check-quote", "--json", input=quotes)
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.output.strip().splitlines())
    assert first["verdict"] == "altered" and first["source"] == "000_advies.txt"
    assert first["changes"] == [{"op": "replace", "quote": "dubbel", "source": "meervoudig"}]
    assert "p. 13" in first["citation"]
    assert second["verdict"] == "not_found" and second["source"] is None


def test_check_quote_text_says_the_verdict_in_dutch(data_dir) -> None:
    result = run(data_dir, "check-quote", "De SERV vraagt dat leerlingen … tijdig worden begeleid")
    assert result.exit_code == 0, result.output
    assert "Ingekort" in result.output
    assert "Weggelaten: “in het beroepsonderwijs”" in result.output
    assert "Weggelaten: “en grondig”" in result.output


def test_asks_json_lists_the_recommendations_with_their_place(data_dir) -> None:
    result = run(data_dir, "asks", "--json")
    assert result.exit_code == 0, result.output
    asks = json.loads(result.output)
    assert all(
        set(a) >= {"text", "source", "title", "section", "page", "lines", "citation"} for a in asks
    )
    texts = {a["text"]: a for a in asks}
    ask = texts["De raad vraagt een meerjarig financieringskader voor de scholen."]
    assert ask["source"] == "000_advies.txt" and ask["page"] == 13
    assert ask["section"] == "3 Sterk starten › 3.3 Financiering"
    # A statement of fact is not an ask.
    assert not any(t.startswith("Stress en werkdruk") for t in texts)


def test_asks_query_and_document_filters(data_dir) -> None:
    result = run(data_dir, "asks", "--json", "-q", "financieringskader")
    assert [a["text"] for a in json.loads(result.output)] == [
        "De raad vraagt een meerjarig financieringskader voor de scholen."
    ]
    result = run(data_dir, "asks", "--document", "002_brief.txt")
    assert result.exit_code == 0, result.output
    assert "Briefadvies over de lerarentekorten" in result.output
    assert "Zij-instromers uit de bedrijfswereld moeten sneller" in result.output
    bad = run(data_dir, "asks", "--document", "geen.txt")
    assert bad.exit_code == 1 and "Onbekend document 'geen.txt'" in bad.output


def test_similar_takes_a_passage_id_from_search_json(data_dir) -> None:
    searched = run(data_dir, "search", "lerarentekort zij-instromers", "--json", "-k", "1")
    (hit,) = json.loads(searched.output)["results"]
    result = run(data_dir, "similar", hit["passage_id"], "--json")
    assert result.exit_code == 0, result.output
    related = json.loads(result.output)
    assert all(r["source"] != hit["source"] for r in related)
    text = run(data_dir, "similar", hit["passage_id"])
    assert text.exit_code == 0 and text.output.startswith("Meer hierover: ")
    bad = run(data_dir, "similar", "0000")
    assert bad.exit_code == 1 and "Onbekende passage '0000'" in bad.output


def test_search_csv_export_opens_as_one_row_per_hit(data_dir) -> None:
    import csv
    import io

    question = "Hoe hoog is de werkdruk bij leraren?"
    result = run(data_dir, "search", question, "--format", "csv", "-k", "3")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("\ufeff")  # so spreadsheets read UTF-8
    rows = list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"))))
    hits = json.loads(run(data_dir, "search", question, "--json", "-k", "3").output)["results"]
    assert [int(r["rank"]) for r in rows] == [1, 2, 3]
    assert set(rows[0]) >= {
        "rank", "title", "author", "year", "section", "page", "lines", "citation", "text",
    }  # fmt: skip
    for row, hit in zip(rows, hits, strict=True):
        assert row["query"] == question and row["citation"] == hit["citation"]
        assert row["text"] == " ".join(hit["text"].split()) and row["title"] == hit["title"]


def test_search_ris_export_is_one_record_per_cited_document(data_dir) -> None:
    import re

    import rispy

    result = run(data_dir, "search", "leerlingen scholen", "--format", "ris", "-k", "5")
    assert result.exit_code == 0, result.output
    # Strictly "XX  - value" lines, records ending in "ER  - ".
    lines = [line for line in result.output.split("\n") if line]
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines), lines
    records = rispy.loads(result.output)
    hits = json.loads(run(data_dir, "search", "leerlingen scholen", "--json", "-k", "5").output)
    sources = list(dict.fromkeys(h["source"] for h in hits["results"]))
    assert len(records) == len(sources) == sum(line == "ER  - " for line in lines)
    by_title = {r["title"]: r for r in records}
    advies = by_title["Ambitieus beleid voor excellent praktijkgericht onderwijs"]
    assert advies["type_of_reference"] == "RPRT" and advies["year"] == "2025"
    assert advies["authors"] == ["SERV"]
    quoted = [h for h in hits["results"] if h["source"] == "000_advies.txt"]
    assert len(advies["notes"]) == len(quoted)
    assert all(n.startswith("“") for n in advies["notes"])


def test_search_format_json_is_exactly_json(data_dir) -> None:
    a = run(data_dir, "search", "werkdruk", "--json")
    b = run(data_dir, "search", "werkdruk", "--format", "json")
    assert a.output == b.output and json.loads(a.output)["results"]
