"""Building, caching and opening the index: incremental, atomic, never stale."""

from __future__ import annotations

import json

import pytest
from index_fixtures import CORPUS, FakeEmbedder, fill_store, fixture_settings, make_documents

from index import IndexNotReady, Searcher, build_index
from index.manifest import MANIFEST, current_version


def test_manifest_records_what_built_the_index(tmp_path) -> None:
    settings = fixture_settings(tmp_path)
    with fill_store(settings) as store:
        report = build_index(settings, store, FakeEmbedder(), progress=False)
        manifest = json.loads((current_version(settings.index_dir) / MANIFEST).read_text())
        assert manifest["corpus_hash"] == store.corpus_hash()
    assert manifest["model_fingerprint"] == "fake-model|1"
    assert manifest["dimension"] == 64 and manifest["normalised"] is True
    assert manifest["passage_count"] == report.passages == 6
    assert manifest["dense_kind"] == "flat" and manifest["version"] == 1


def test_reindexing_embeds_only_changed_passages(tmp_path) -> None:
    settings = fixture_settings(tmp_path)
    embedder = FakeEmbedder()
    with fill_store(settings) as store:
        first = build_index(settings, store, embedder, progress=False)
        assert first.passages_embedded == 6 and first.from_cache == 0
        again = build_index(settings, store, embedder, progress=False)
        assert again.passages_embedded == 0 and again.sentences_embedded == 0

        # One passage of one document changes.
        changed = [list(doc) for doc in CORPUS]
        parts = list(changed[1][5])
        parts[1] = (parts[1][0], parts[1][1], "In 2024 had 41 procent een werkbare job.")
        changed[1][5] = parts
        document, passages = make_documents([tuple(changed[1])])[0]
        store.replace_document(document, passages)
        third = build_index(settings, store, embedder, progress=False)
    assert third.passages_embedded == 1
    assert third.sentences_embedded == 1
    assert third.from_cache == third.passages - 1 + third.sentences - 1


def test_no_index_says_how_to_build(tmp_path) -> None:
    settings = fixture_settings(tmp_path)
    with pytest.raises(IndexNotReady, match="advieszoeker index"):
        Searcher.open(settings, embedder=FakeEmbedder())
    fill_store(settings).close()
    with pytest.raises(IndexNotReady, match="make index"):
        Searcher.open(settings, embedder=FakeEmbedder())


def test_other_model_is_refused_and_a_changed_store_does_not_leak_in(tmp_path) -> None:
    settings = fixture_settings(tmp_path)
    with fill_store(settings) as store:
        build_index(settings, store, FakeEmbedder(), progress=False)
    with pytest.raises(IndexNotReady, match=r"another model.*advieszoeker index"):
        Searcher.open(settings, embedder=FakeEmbedder(version="2"))
    with fill_store(settings) as store:
        store.remove_document("002_brief.txt")
    # The published index answers from the snapshot it was built from, until rebuilt.
    searcher = Searcher.open(settings, embedder=FakeEmbedder())
    assert "002_brief.txt" in {d.source for d in searcher.documents()}
    for hit in searcher.search("werkdruk", k=20).hits:
        assert (
            hit.document.cleaned[hit.passage.char_start : hit.passage.char_end] == hit.passage.text
        )
    searcher.close()
    # A damaged snapshot is refused like any other damaged index file.
    (current_version(settings.index_dir) / "store.db").write_bytes(b"geen database" * 100)
    with pytest.raises(IndexNotReady, match="advieszoeker index"):
        Searcher.open(settings, embedder=FakeEmbedder())


def test_crash_during_build_keeps_previous_index(tmp_path) -> None:
    settings = fixture_settings(tmp_path)
    embedder = FakeEmbedder()
    with fill_store(settings) as store:
        build_index(settings, store, embedder, progress=False)
        before = current_version(settings.index_dir)
        broken = FakeEmbedder()
        broken.fail_after = 0
        settings_ctx = settings.with_(extra={"embed_context": "none"})
        with pytest.raises(RuntimeError, match="simulated crash"):
            build_index(settings_ctx, store, broken, progress=False)
    assert current_version(settings.index_dir) == before
    searcher = Searcher.open(settings, embedder=embedder)
    assert searcher.search("werkdruk").hits
    searcher.close()


def test_changed_index_setting_asks_for_rebuild(tmp_path) -> None:
    settings = fixture_settings(tmp_path)
    with fill_store(settings) as store:
        build_index(settings, store, FakeEmbedder(), progress=False)
    with pytest.raises(IndexNotReady, match="embed_context"):
        Searcher.open(settings.with_(extra={"embed_context": "none"}), embedder=FakeEmbedder())
