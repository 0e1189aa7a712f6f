"""Validate the project's evaluation question sets (bench/questions*.jsonl).

A question set is only worth something if every gold quote really stands in
its document: a quote that does not match after normalisation can never be
hit, and would silently lower every method's score. This module checks the
schema and the quotes, and prints counts per document, type, language and
split so that the balance of the set stays visible.

The users' set (bench/questions_users.jsonl, ``--users``) is held to one more
rule, because users rarely use the documents' words: every question carries
its answering sentence (`answer`, verbatim from the seed, holding the quotes),
and shares at most a third of that sentence's content words, counted after the
keyword analyzer's own Dutch analysis (folding, stopwords, stemming). A set
written by copying the answer's words would measure an easier task than users
set.

Run it as ``python -m bench.check_questions [path] [--users]``; the exit code
is 1 when any problem is found. ``validate()`` is the importable entry point
used by the tests.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = REPO_ROOT / "bench" / "questions.jsonl"
USERS_QUESTIONS = REPO_ROOT / "bench" / "questions_users.jsonl"
DEFAULT_SEEDS = REPO_ROOT / "seeds"

TYPES = ("advisor", "teacher", "journalist", "crosslingual")
LANGS = ("nl", "en", "fr")
SPLITS = ("tune", "heldout")
REQUIRED = ("id", "doc", "type", "lang", "question", "quotes", "split")
MIN_QUOTE_WORDS = 5
MAX_QUOTE_WORDS = 15
MAX_QUOTES = 3
# At most this share of the answer sentence's content words may stand in the question.
MAX_SHARED = 1 / 3
ID_PATTERN = re.compile(r"^[a-z]-\d{3,}$")
_NON_ALNUM = re.compile(r"[^a-z0-9]")


def normalise(text: str) -> str:
    """Return the matching form of evaluation.md: lower-case, no accents, only a-z0-9.

    Dropping everything but letters and digits makes PDF line-break hyphens,
    spacing and punctuation irrelevant to whether a quote is found.
    """
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", stripped)


@dataclass
class Report:
    """Outcome of a validation: problems found and the counts of the set."""

    problems: list[str] = field(default_factory=list)
    questions: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self, key: str) -> Counter:
        return Counter(str(q.get(key)) for q in self.questions)

    @staticmethod
    def _cells(rows: list[dict]) -> str:
        by_type = Counter(q.get("type") for q in rows)
        by_split = Counter(q.get("split") for q in rows)
        return "".join(f"{by_type.get(t, 0):>13}" for t in TYPES) + "".join(
            f"{by_split.get(s, 0):>9}" for s in SPLITS
        )

    def table(self) -> str:
        """Counts per document × type, plus totals per language and split."""
        docs = sorted(self.counts("doc"))
        header = (
            f"{'doc':<28}"
            + "".join(f"{t:>13}" for t in TYPES)
            + "".join(f"{s:>9}" for s in SPLITS)
            + f"{'total':>8}"
        )
        lines = [header]
        for doc in docs:
            row = [q for q in self.questions if q.get("doc") == doc]
            lines.append(f"{doc:<28}{self._cells(row)}{len(row):>8}")
        lines.append(f"{'total':<28}{self._cells(self.questions)}{len(self.questions):>8}")
        for key in ("lang", "split"):
            parts = ", ".join(f"{k}: {v}" for k, v in sorted(self.counts(key).items()))
            lines.append(f"{key}: {parts}")
        for split in SPLITS:
            subset = [q for q in self.questions if q.get("split") == split]
            parts = ", ".join(f"{t}: {sum(1 for q in subset if q.get('type') == t)}" for t in TYPES)
            lines.append(f"{split} by type: {parts}")
        return "\n".join(lines)


def content_words(text: str) -> set[str]:
    """The question's or sentence's content words, as the keyword search sees them."""
    from index.keyword import DutchAnalyzer

    return set(DutchAnalyzer(decompound=False).terms(text))


def shared_share(question: str, answer: str) -> float:
    """Share of the answer sentence's content words that the question also uses."""
    wanted = content_words(answer)
    return len(wanted & content_words(question)) / len(wanted) if wanted else 1.0


def _check_answer(q: dict, where: str, doc_text: str | None) -> list[str]:
    """The users' set rule: a verbatim answer sentence that the question does not echo."""
    answer = q.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        return [f"{where}: missing field 'answer' (the answering sentence, verbatim)"]
    problems = []
    if doc_text is not None and normalise(answer) not in doc_text:
        problems.append(f"{where}: answer not found in {q['doc']}: {answer[:80]!r}")
    first = q["quotes"][0] if q["quotes"] and isinstance(q["quotes"][0], str) else ""
    if first and normalise(first) not in normalise(answer):
        problems.append(f"{where}: the answer sentence does not hold the first quote")
    share = shared_share(str(q["question"]), answer)
    if share > MAX_SHARED:
        problems.append(
            f"{where}: question shares {share:.0%} of the answer's content words "
            f"(at most {MAX_SHARED:.0%}); ask it in other words"
        )
    return problems


def _check_question(q: dict, where: str, seeds: dict[str, str], users: bool = False) -> list[str]:
    """Return the problems of one question (empty when it is sound)."""
    problems = [f"{where}: missing field '{k}'" for k in REQUIRED if k not in q]
    if problems:
        return problems
    if not ID_PATTERN.match(str(q["id"])):
        problems.append(f"{where}: id {q['id']!r} is not of the form q-001 or u-001")
    if q["type"] not in TYPES:
        problems.append(f"{where}: type {q['type']!r} is not one of {', '.join(TYPES)}")
    if q["lang"] not in LANGS:
        problems.append(f"{where}: lang {q['lang']!r} is not one of {', '.join(LANGS)}")
    if q["split"] not in SPLITS:
        problems.append(f"{where}: split {q['split']!r} is not one of {', '.join(SPLITS)}")
    if q["type"] == "crosslingual" and q["lang"] == "nl":
        problems.append(f"{where}: a crosslingual question must be in English or French")
    if q["type"] != "crosslingual" and q["lang"] != "nl":
        problems.append(f"{where}: a {q['type']} question must be in Dutch (lang nl)")
    if not isinstance(q["question"], str) or len(q["question"].split()) < 3:
        problems.append(f"{where}: question is empty or too short")
    quotes = q["quotes"]
    if not isinstance(quotes, list) or not 1 <= len(quotes) <= MAX_QUOTES:
        problems.append(f"{where}: quotes must be a list of 1 to {MAX_QUOTES} phrases")
        return problems
    doc_text = seeds.get(q["doc"])
    if doc_text is None:
        problems.append(f"{where}: doc {q['doc']!r} is not a file in seeds/")
    for quote in quotes:
        if not isinstance(quote, str):
            problems.append(f"{where}: quote {quote!r} is not a string")
            continue
        words = len(quote.split())
        if not MIN_QUOTE_WORDS <= words <= MAX_QUOTE_WORDS:
            problems.append(
                f"{where}: quote has {words} words, needs {MIN_QUOTE_WORDS}-{MAX_QUOTE_WORDS}:"
                f" {quote!r}"
            )
        if doc_text is not None and normalise(quote) not in doc_text:
            problems.append(f"{where}: quote not found in {q['doc']}: {quote!r}")
    if users:
        problems.extend(_check_answer(q, where, doc_text))
    return problems


def load_seeds(seeds_dir: Path) -> dict[str, str]:
    """Map each seed file name to its normalised text."""
    return {
        p.name: normalise(p.read_text(encoding="utf-8")) for p in sorted(seeds_dir.glob("*.txt"))
    }


def validate(
    questions_path: Path = DEFAULT_QUESTIONS, seeds_dir: Path = DEFAULT_SEEDS, users: bool = False
) -> Report:
    """Check every question of ``questions_path`` against the seeds in ``seeds_dir``.

    ``users`` adds the users' set rule (answer sentence, at most a third shared).
    """
    report = Report()
    if not questions_path.is_file():
        report.problems.append(f"{questions_path}: no such file")
        return report
    seeds = load_seeds(seeds_dir)
    if not seeds:
        report.problems.append(f"{seeds_dir}: no seed documents (*.txt) found")
    seen: set[str] = set()
    lines = questions_path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            report.problems.append(f"{where}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(q, dict):
            report.problems.append(f"{where}: not a JSON object")
            continue
        where = f"line {number} ({q.get('id', 'no id')})"
        if q.get("id") in seen:
            report.problems.append(f"{where}: duplicate id")
        seen.add(str(q.get("id")))
        report.problems.extend(_check_question(q, where, seeds, users))
        report.questions.append(q)
    if not report.questions:
        report.problems.append(f"{questions_path}: contains no questions")
    elif users:
        # Tuning on one split and reporting the other needs both.
        missing = [s for s in SPLITS if s not in report.counts("split")]
        if missing:
            report.problems.append(f"{questions_path}: no question in split {', '.join(missing)}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate the evaluation question set.")
    parser.add_argument("questions", nargs="?", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS)
    parser.add_argument(
        "--users",
        action="store_true",
        help="Also require answer sentences that share at most a third of their content words.",
    )
    args = parser.parse_args(argv)
    report = validate(args.questions, args.seeds, args.users)
    print(report.table())
    if args.users and report.questions:
        shares = [
            shared_share(str(q.get("question", "")), str(q.get("answer", "")))
            for q in report.questions
            if isinstance(q.get("answer"), str)
        ]
        if shares:
            print(f"answer content words in the question: mean {sum(shares) / len(shares):.0%}")
    for problem in report.problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    if report.ok:
        print(f"OK: {len(report.questions)} questions")
        return 0
    print(f"{len(report.problems)} problem(s)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
