"""The evaluation question set must stay valid: every gold quote has to stand in its seed.

A question whose quote is not in the document can never be hit, so it would
silently lower every method's score; these tests make such a question fail the
suite instead. They also check that the validator itself catches bad input.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent


def _load_checker() -> ModuleType:
    # bench/ is not an installed package; load the module from its file so the
    # test does not depend on the working directory being on sys.path.
    spec = importlib.util.spec_from_file_location(
        "bench_check_questions", REPO / "bench" / "check_questions.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


cq = _load_checker()


@pytest.fixture(scope="module")
def report():
    return cq.validate(REPO / "bench" / "questions.jsonl", REPO / "seeds")


def test_question_set_is_valid(report) -> None:
    assert report.problems == []


def test_question_set_covers_all_seeds_and_types(report) -> None:
    questions = report.questions
    assert len(questions) >= 170
    seeds = {p.name for p in (REPO / "seeds").glob("*.txt")}
    per_doc = Counter(q["doc"] for q in questions)
    assert set(per_doc) == seeds
    assert min(per_doc.values()) >= 15
    per_type = Counter(q["type"] for q in questions)
    assert set(per_type) == set(cq.TYPES)
    assert per_type["crosslingual"] >= 20
    assert {q["lang"] for q in questions if q["type"] == "crosslingual"} <= {"en", "fr"}


def test_splits_are_balanced_per_type(report) -> None:
    for question_type in cq.TYPES:
        rows = [q for q in report.questions if q["type"] == question_type]
        tune = sum(q["split"] == "tune" for q in rows)
        assert abs(tune - (len(rows) - tune)) <= 2, question_type


def test_normalise_follows_the_hit_rule() -> None:
    assert cq.normalise("Ééns, be-\n\nter: 13,2%!") == "eensbeter132"
    assert cq.normalise("Regeerak-\n\nkoord") == cq.normalise("regeerakkoord")


def _write(path: Path, rows: list[dict | str]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _question(**overrides) -> dict:
    question = {
        "id": "q-001",
        "doc": "a.txt",
        "type": "advisor",
        "lang": "nl",
        "question": "Wat vraagt de raad over beter onderwijs?",
        "quotes": ["de raad vraagt een beter en sterker onderwijs"],
        "split": "tune",
    }
    question.update(overrides)
    return question


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    # PDF-style text: a line-break hyphen and blank lines inside the quote.
    (folder / "a.txt").write_text(
        "De raad vraagt een be-\n\nter en ster-\n\nker onderwijs voor iedereen.\n",
        encoding="utf-8",
    )
    return folder


def test_quote_matches_across_pdf_hyphenation(tmp_path: Path, seeds: Path) -> None:
    path = _write(tmp_path / "q.jsonl", [_question()])
    result = cq.validate(path, seeds)
    assert result.ok, result.problems


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"quotes": ["de raad vraagt een slechter onderwijs"]}, "quote not found"),
        ({"quotes": ["de raad vraagt"]}, "needs 5-15"),
        ({"quotes": []}, "quotes must be a list"),
        ({"doc": "missing.txt"}, "not a file in seeds"),
        ({"type": "student"}, "type 'student' is not one of"),
        ({"split": "test"}, "split 'test' is not one of"),
        ({"type": "crosslingual", "lang": "nl"}, "must be in English or French"),
        ({"lang": "en"}, "must be in Dutch"),
        ({"id": "7"}, "not of the form"),
    ],
)
def test_validator_reports_bad_questions(
    tmp_path: Path, seeds: Path, overrides: dict, expected: str
) -> None:
    path = _write(tmp_path / "q.jsonl", [_question(**overrides)])
    result = cq.validate(path, seeds)
    assert any(expected in problem for problem in result.problems), result.problems


def test_validator_reports_duplicates_and_broken_lines(tmp_path: Path, seeds: Path) -> None:
    rows: list[dict | str] = [_question(), _question(), "{not json", _question(id="q-002")]
    del rows[3]["split"]  # type: ignore[union-attr]
    result = cq.validate(_write(tmp_path / "q.jsonl", rows), seeds)
    joined = "\n".join(result.problems)
    assert "duplicate id" in joined
    assert "not valid JSON" in joined
    assert "missing field 'split'" in joined


def test_main_exit_codes(tmp_path: Path, seeds: Path, capsys) -> None:
    good = _write(tmp_path / "good.jsonl", [_question()])
    assert cq.main([str(good), "--seeds", str(seeds)]) == 0
    assert "OK: 1 questions" in capsys.readouterr().out
    bad = _write(tmp_path / "bad.jsonl", [_question(quotes=["nergens te vinden in de tekst"])])
    assert cq.main([str(bad), "--seeds", str(seeds)]) == 1
    assert "quote not found" in capsys.readouterr().err
    assert cq.main([str(tmp_path / "absent.jsonl"), "--seeds", str(seeds)]) == 1


# The users' set: questions in the users' own words, each with its answer sentence.


@pytest.fixture(scope="module")
def users_report():
    return cq.validate(REPO / "bench" / "questions_users.jsonl", REPO / "seeds", users=True)


def test_users_set_is_valid(users_report) -> None:
    assert users_report.problems == []


def test_users_set_covers_seeds_types_and_languages(users_report) -> None:
    questions = users_report.questions
    assert len(questions) >= 150
    per_type = Counter(q["type"] for q in questions)
    assert set(per_type) == set(cq.TYPES)
    assert per_type["teacher"] >= 40
    assert {q["lang"] for q in questions} == {"nl", "en", "fr"}
    assert {q["doc"] for q in questions} == {p.name for p in (REPO / "seeds").glob("*.txt")}
    for question_type in cq.TYPES:
        rows = [q for q in questions if q["type"] == question_type]
        tune = sum(q["split"] == "tune" for q in rows)
        assert abs(tune - (len(rows) - tune)) <= 2, question_type


def test_shared_share_counts_stems_not_stopwords() -> None:
    answer = "De leerlingen volgen een opleiding in het duaal leren."
    # "leerling" and "leerlingen" are one stem; "de", "het", "een" are not counted.
    assert cq.shared_share("Welke leerling zit in het duaal?", answer) == pytest.approx(2 / 5)
    assert cq.shared_share("Wat doen jongeren op de werkvloer?", answer) == 0.0


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"question": "Wat vraagt de raad over beter en sterker onderwijs?"},
            "ask it in other words",
        ),
        ({"answer": "De raad vraagt slechter onderwijs voor iedereen."}, "answer not found"),
        ({"answer": "ker onderwijs voor iedereen."}, "does not hold the first quote"),
        ({"answer": None}, "missing field 'answer'"),
    ],
)
def test_validator_enforces_the_users_rule(
    tmp_path: Path, seeds: Path, overrides: dict, expected: str
) -> None:
    question = _question(
        question="Wat wil het college voor alle scholieren?",
        answer="De raad vraagt een beter en sterker onderwijs voor iedereen.",
    )
    question.update(overrides)
    result = cq.validate(_write(tmp_path / "u.jsonl", [question]), seeds, users=True)
    assert any(expected in problem for problem in result.problems), result.problems


def test_users_rule_passes_a_question_in_other_words(tmp_path: Path, seeds: Path) -> None:
    question = _question(
        question="Wat wil het college voor alle scholieren?",
        answer="De raad vraagt een beter en sterker onderwijs voor iedereen.",
        split="tune",
    )
    other = {**question, "id": "q-002", "split": "heldout"}
    result = cq.validate(_write(tmp_path / "u.jsonl", [question, other]), seeds, users=True)
    assert result.ok, result.problems


def test_validator_needs_both_splits(tmp_path: Path, seeds: Path) -> None:
    question = _question(
        question="Wat wil het college voor alle scholieren?",
        answer="De raad vraagt een beter en sterker onderwijs voor iedereen.",
    )
    result = cq.validate(_write(tmp_path / "q.jsonl", [question]), seeds, users=True)
    assert any("no question in split heldout" in p for p in result.problems)
