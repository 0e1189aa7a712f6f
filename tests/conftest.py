"""Shared fixtures: every test runs against its own data folder, never the user's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest.settings import Settings

DATA = Path(__file__).parent / "data"
SEEDS = Path(__file__).parent.parent / "seeds"


def pytest_configure(config: pytest.Config) -> None:
    """No adapting the model to each test's corpus (minutes each, index/adapt.py),
    in this process or the CLIs and apps it starts; tests/test_adapt.py turns it on."""
    os.environ["ADVIESZOEKER_MODEL_ADAPTATION"] = "none"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ADVIESZOEKER_DATA at a temporary folder for every test."""
    data_dir = tmp_path / "advieszoeker-data"
    monkeypatch.setenv("ADVIESZOEKER_DATA", str(data_dir))
    return data_dir


@pytest.fixture
def settings(isolated_data_dir: Path) -> Settings:
    return Settings(data_dir=isolated_data_dir, corpus_dir=SEEDS)


@pytest.fixture(scope="module")
def milvus_lite(tmp_path_factory: pytest.TempPathFactory):
    """One Milvus Lite file, so one engine process, per test module; stopped at its end."""
    path = tmp_path_factory.mktemp("milvus") / "milvus.db"
    yield path
    try:
        from milvus_lite.server_manager import server_manager_instance
    except ImportError:
        return
    if path.exists():
        server_manager_instance.release_server(str(path))
