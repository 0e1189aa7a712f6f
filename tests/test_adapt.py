"""Adapting the model to the corpus (index/adapt.py): the pairs it learns from,
when it adapts again, and that everything that embeds follows the adaptation."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from index_fixtures import CORPUS, make_documents

from app.cli import cli
from app.server import open_searcher
from index import build_index
from index.adapt import ensure_adapted, training_pairs
from ingest import ingest_paths
from ingest.settings import Settings
from ingest.store import Store

SEEDS = Path(__file__).parent.parent / "seeds"
QUESTION = "Hoeveel jongeren verlaten de school zonder diploma?"


def test_each_pair_is_a_sentence_against_its_own_passage_mostly_without_it() -> None:
    documents, passages = {}, []
    for document, parts in make_documents(CORPUS):
        documents[document.source] = document
        passages.extend(parts)
    by_id = {p.id: p for p in passages}

    pairs = training_pairs(passages, documents, "title+section", limit=10_000)

    assert pairs
    for pair in pairs:
        own = by_id[pair.passage_id]
        assert pair.query in own.text
        # Embedded as the index embeds the passage: its document's title first.
        assert pair.passage.startswith(documents[own.source].title)
    cut_out = [p for p in pairs if p.query not in p.passage]
    assert len(cut_out) >= 0.7 * len(pairs)
    assert len(training_pairs(passages, documents, "title+section", limit=3)) == 3


def test_an_unknown_adaptation_is_a_message_saying_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVIESZOEKER_MODEL_ADAPTATION", "ict2")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "nota.txt").write_text("De SERV vraagt meer stageplaatsen.\n", encoding="utf-8")

    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "index", str(corpus)])

    assert result.exit_code != 0
    assert "ADVIESZOEKER_MODEL_ADAPTATION" in result.output
    assert "ict, none" in result.output
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def base_model_dir(request: pytest.FixtureRequest) -> Path:
    """The real model, built once into pytest's cache (shared with test_model.py)."""
    from index.model import base_model

    shared = Settings(data_dir=Path(request.config.cache.mkdir("advieszoeker-model")))
    return Path(base_model(shared, progress=False)[0])


def _settings(tmp_path: Path, base_model_dir: Path) -> Settings:
    """A data folder of its own (adaptations land in it) around the shared base model."""
    settings = Settings(
        data_dir=tmp_path / "data",
        corpus_dir=tmp_path / "corpus",
        model_adaptation="ict",
        adapt_max_pairs=64,  # two training steps: the behaviour, not the quality
        query_runtime="torch",
    )
    settings.models_dir.mkdir(parents=True)
    (settings.models_dir / base_model_dir.name).symlink_to(base_model_dir, target_is_directory=True)
    return settings


def _corpus(folder: Path, *names: str) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy(SEEDS / name, folder / name)
    return folder


@pytest.mark.e2e
def test_the_model_is_adapted_once_per_corpus_and_used_by_whatever_embeds(
    tmp_path: Path, base_model_dir: Path
) -> None:
    from index.model import Embedder

    settings = _settings(tmp_path, base_model_dir)
    with Store.open(settings.db_path) as store:
        first_corpus = _corpus(settings.corpus_dir, "003_a453287e12c67ea4.txt")
        ingest_paths(settings, [first_corpus], store=store, progress=False)
        first = ensure_adapted(settings, store, progress=False)
        assert (first.status, first.pairs) == ("adapted", 64)
        adapted = Embedder.load(settings, progress=False)
        base = Embedder.load(settings, progress=False, adapted=False)
        assert adapted.fingerprint != base.fingerprint  # so the index is rebuilt with it
        assert "+adapted-" in adapted.source
        # Two steps move the weights a little: the loaded model is the trained one.
        asked = adapted.encode_queries([QUESTION])
        assert not np.allclose(asked, base.encode_queries([QUESTION]), atol=1e-4)

        # A document added to most of the same corpus: the adaptation still fits.
        more = _corpus(tmp_path / "more", "003_a453287e12c67ea4.txt", "004_165c6d2ad255d495.txt")
        ingest_paths(settings, [more], store=store, progress=False)
        kept = ensure_adapted(settings, store, progress=False)
        assert kept.status == "kept"
        assert Embedder.load(settings, progress=False).fingerprint == adapted.fingerprint
        build_index(settings, store, adapted, progress=False)
        serving = open_searcher(settings, concurrency=1)
        assert serving.embedder.fingerprint == adapted.fingerprint

        # A new corpus: adapted again, the old adaptation removed.
        other = _corpus(tmp_path / "other", "001_9a7f4dd358640069.txt")
        ingest_paths(settings, [other], store=store, progress=False)
        second = ensure_adapted(settings, store, progress=False)
        assert second.status == "adapted"
        readapted = Embedder.load(settings, progress=False)
        assert readapted.fingerprint not in (adapted.fingerprint, base.fingerprint)
        assert len([p for p in (settings.models_dir / "adapted").iterdir() if p.is_dir()]) == 1
        assert not np.allclose(readapted.encode_queries([QUESTION]), asked, atol=1e-4)

        # The running app, handed its loaded (now outdated) model, picks up the new one.
        build_index(settings, store, readapted, progress=False)
        reopened = open_searcher(settings, concurrency=1, embedder=serving.embedder)
        assert reopened.embedder.fingerprint == readapted.fingerprint
        assert reopened.search(QUESTION, k=3).hits
        reopened.close()
        serving.close()

        # Switched off: the base model again, whatever was adapted.
        off = settings.with_(model_adaptation="none")
        assert ensure_adapted(off, store, progress=False).status == "off"
        assert Embedder.load(off, progress=False).fingerprint == base.fingerprint
