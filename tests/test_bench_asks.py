"""The asks benchmark's scoring, and its hand-labelled gold file."""

from __future__ import annotations

import json
from pathlib import Path

from bench.asks import GOLD, same_ask, score

SEEDS = Path(__file__).parent.parent / "seeds"


class _Ask:
    def __init__(self, text: str) -> None:
        self.text = text


def test_same_ask_tolerates_a_title_glued_on_but_not_another_sentence() -> None:
    gold = "Verder bouwen op de sterktes van het huidige VSV-beleid"
    assert same_ask(gold, "• Verder bouwen op de sterktes van het huidige VSV-beleid Het aantal…")
    assert same_ask("Voorzie de nodige middelen.", "voorzie de NODIGE middelen")
    assert not same_ask(gold, "Voorzie de nodige middelen.")


def test_score_counts_precision_and_recall_per_document() -> None:
    gold = [
        {"source": "a.txt", "text": "Voorzie de nodige middelen."},
        {"source": "a.txt", "text": "Versterk het levenslang leren."},
    ]
    (result,) = score(gold, {"a.txt": [_Ask("Voorzie de nodige middelen."), _Ask("Het is laat.")]})
    assert (result.gold, result.found, result.correct, result.recalled) == (2, 2, 1, 1)
    assert result.missed == ["Versterk het levenslang leren."]
    assert result.wrong == ["Het is laat."]


def test_gold_labels_cover_two_seed_documents() -> None:
    labels = [json.loads(line) for line in GOLD.read_text("utf-8").splitlines()]
    sources = {label["source"] for label in labels}
    assert len(sources) >= 2 and all((SEEDS / s).is_file() for s in sources)
    assert all(
        label["text"].strip() and label["unit"] in ("sentence", "heading") for label in labels
    )
