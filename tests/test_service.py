"""Running it for an office: health check, access log, graceful stop, the data lock,
batched query embeddings. Fast: FakeSearcher and the fake embedder, no model."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_searcher import FakeSearcher, running_app
from fastapi.testclient import TestClient
from gradio_client import Client
from index_fixtures import FakeEmbedder

from app.access_log import ACCESS_LOGGER, AccessLog
from app.health import IndexInfo, ServiceStatus
from app.lifecycle import FORCED_EXIT_STATUS, DataFolderBusy, DataLock, holder
from app.search_service import SearchService
from app.state import SearchState
from app.web import create_app
from index.batching import BatchingEmbedder
from index.tokens import Tokens
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
INFO = IndexInfo("v-20261202-abc", "2026-12-02T10:00:00+00:00", 3, 7, "fake-model")


# --------------------------------------------------------------- /healthz


def test_healthz_describes_the_served_index() -> None:
    status = ServiceStatus(INFO, started=time.monotonic() - 5)
    with TestClient(create_app(FakeSearcher(), Settings(), status=status)) as client:
        r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["index_version"] == "v-20261202-abc"
    assert body["index_built"] == "2026-12-02T10:00:00+00:00"
    assert (body["documents"], body["passages"], body["model"]) == (3, 7, "fake-model")
    assert body["uptime_s"] >= 5
    assert r.headers["cache-control"] == "no-store"


def test_healthz_is_503_without_an_index_and_while_stopping(tmp_path: Path) -> None:
    # FakeSearcher has no manifest and the data folder no published index.
    app = create_app(FakeSearcher(), Settings(data_dir=tmp_path))
    with TestClient(app) as client:
        r = client.get("/healthz")
        assert (r.status_code, r.json()["status"]) == (503, "no index")
    status = ServiceStatus(INFO)
    with TestClient(create_app(FakeSearcher(), Settings(), status=status)) as client:
        status.stopping = True
        r = client.get("/healthz")
    assert (r.status_code, r.json()["status"]) == (503, "stopping")


def test_index_info_reads_the_published_manifest(tmp_path: Path) -> None:
    from index_fixtures import fill_store

    from index import build_index
    from index.search import Searcher

    settings = Settings(data_dir=tmp_path / "data")
    embedder = FakeEmbedder()
    with fill_store(settings) as store:
        build_index(settings, store, embedder, progress=False)
    searcher = Searcher.open(settings, embedder=embedder)
    info = IndexInfo.of(searcher, settings.index_dir, 2, 9)
    assert info is not None
    assert info.version == (settings.index_dir / "CURRENT").read_text().strip()
    assert info.built == searcher.manifest.created and info.built
    assert info.model == "fake-model"


# --------------------------------------------------------------- access log


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]


def test_one_access_line_per_search_without_the_query(caplog: pytest.LogCaptureFixture) -> None:
    service = SearchService(FakeSearcher(), Settings())
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    service.results_html(SearchState(query="geheime vraag over duaal leren", k=2))
    service.search_json("duaal leren", k=1)
    service.results_html(SearchState(query="   "))  # a query the user must fix
    lines = _access_lines(caplog)
    assert [(e["endpoint"], e["status"]) for e in lines] == [
        ("page", 200), ("api", 200), ("page", 400)
    ]  # fmt: skip
    assert [e["results"] for e in lines] == [2, 1, 0]
    assert lines[0]["mode"] == "hybrid" and lines[0]["latency_ms"] >= 0
    assert lines[0]["time"].endswith("Z")
    assert not any("query" in e for e in lines)
    assert "geheime" not in caplog.text


def test_log_queries_puts_the_query_in(caplog: pytest.LogCaptureFixture) -> None:
    service = SearchService(FakeSearcher(), Settings(), access=AccessLog(log_queries=True))
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    service.search_json("duaal leren", k=1)
    assert _access_lines(caplog)[0]["query"] == "duaal leren"


def test_failed_search_is_logged_as_500(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(FakeSearcher):
        def search(self, *args: object, **kwargs: object) -> object:
            raise RuntimeError("disk gone")

    service = SearchService(Broken(), Settings())
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    html = service.results_html(SearchState(query="duaal"))
    assert "Er ging iets mis" in html
    assert _access_lines(caplog)[0]["status"] == 500


def test_serve_has_a_log_queries_flag() -> None:
    from click.testing import CliRunner

    from app.cli import cli

    out = CliRunner().invoke(cli, ["serve", "--help"]).output
    assert "--log-queries" in out


def test_gradio_keeps_a_bounded_number_of_event_records() -> None:
    from app.memory import GRADIO_ANALYTICS_EVENTS

    app = create_app(FakeSearcher(), Settings())
    queue = app.state.demo._queue
    with running_app(app) as url:
        client = Client(url + "/", verbose=False)
        for i in range(GRADIO_ANALYTICS_EVENTS + 30):
            client.predict(f"duaal leren {i}", 1, api_name="/search")
    assert 0 < len(queue.event_analytics) <= GRADIO_ANALYTICS_EVENTS


def test_gradio_keeps_a_bounded_number_of_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.web

    monkeypatch.setattr(app.web, "SESSION_CAPACITY", 5)
    fastapi_app = create_app(FakeSearcher(), Settings())
    with running_app(fastapi_app) as url:
        for i in range(12):  # each client is a new session, as each page load is
            Client(url + "/", verbose=False).predict(f"duaal {i}", 1, api_name="/search")
        holder = fastapi_app.state.demo.state_holder
        assert 0 < len(holder.session_data) <= 5


# --------------------------------------------------------------- data lock


def test_data_lock_admits_one_server_per_folder(tmp_path: Path) -> None:
    assert holder(tmp_path) is None
    with DataLock(tmp_path):
        assert holder(tmp_path) == os.getpid()
        with pytest.raises(DataFolderBusy, match=str(os.getpid())):
            DataLock(tmp_path).acquire()
    assert holder(tmp_path) is None  # released: a stale file is no lock


# --------------------------------------------------------------- batching


class SlowEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        time.sleep(0.03)
        return super().encode_queries(texts)


def _concurrently(call: Callable[[int], object], n: int) -> dict[int, Any]:
    """call(0) … call(n - 1), each in its own thread started at once; their results."""
    out: dict[int, Any] = {}
    threads = [threading.Thread(target=lambda i=i: out.update({i: call(i)})) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_concurrent_queries_share_model_calls_and_get_their_own_rows() -> None:
    inner = SlowEmbedder()
    batching = BatchingEmbedder(inner)
    texts = [f"vraag {i} over leerlingen en werkplekken {i}" for i in range(12)]
    out = _concurrently(lambda i: batching.encode_queries([texts[i]]), len(texts))
    assert sum(inner.calls) == 12 and len(inner.calls) < 6
    plain = FakeEmbedder()
    for i, text in enumerate(texts):
        np.testing.assert_allclose(out[i], plain.encode_queries([text]))
    assert batching.fingerprint == inner.fingerprint  # the rest is the wrapped embedder's


def test_a_failing_batch_fails_each_caller_and_the_next_one_works() -> None:
    class Flaky(FakeEmbedder):
        fail = True

        def encode_queries(self, texts: list[str]) -> np.ndarray:
            if self.fail:
                self.fail = False
                raise RuntimeError("model hiccup")
            return super().encode_queries(texts)

    batching = BatchingEmbedder(Flaky())
    with pytest.raises(RuntimeError, match="hiccup"):
        batching.encode_queries(["eerste"])
    assert batching.encode_queries(["tweede"]).shape == (1, 64)


def _with_tokens(embedder: FakeEmbedder, text: str) -> tuple[np.ndarray, Tokens]:
    """A fake query's vector and token vectors: one hashed vector per word."""
    words = text.split()
    ids = np.array([len(w) for w in words], dtype=np.int32)
    return embedder._vector(text), (ids, np.stack([embedder._vector(w) for w in words]))


class SlowTokenEmbedder(SlowEmbedder):
    def encode_queries_with_tokens(self, texts: list[str]) -> list[tuple[np.ndarray, Tokens]]:
        self.calls.append(len(texts))
        time.sleep(0.03)
        return [_with_tokens(self, t) for t in texts]


def _assert_same_tokens(got: tuple[np.ndarray, Tokens], text: str) -> None:
    vector, (ids, vectors) = _with_tokens(FakeEmbedder(), text)
    np.testing.assert_allclose(got[0], vector)
    np.testing.assert_array_equal(got[1][0], ids)
    np.testing.assert_allclose(got[1][1], vectors)


def test_concurrent_queries_with_tokens_share_model_calls_and_get_their_own_rows() -> None:
    inner = SlowTokenEmbedder()
    batching = BatchingEmbedder(inner)
    texts = [f"vraag {i} over {'stages ' * (i % 3)}leerlingen" for i in range(12)]
    out = _concurrently(lambda i: batching.encode_query_with_tokens(texts[i]), len(texts))
    assert sum(inner.calls) == 12 and len(inner.calls) < 6
    for i, text in enumerate(texts):
        _assert_same_tokens(out[i], text)


class GatedEmbedder(FakeEmbedder):
    """Holds its first call until `open` is set, so the requests made meanwhile
    wait together for the next batch; records each call; fails once if `fail`."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []
        self.open = threading.Event()
        self.fail = False

    def _called(self, kind: str, texts: list[str]) -> None:
        first = not self.calls
        self.calls.append((kind, len(texts)))
        if first:
            assert self.open.wait(10)
        elif self.fail:
            self.fail = False
            raise RuntimeError("model hiccup")

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self._called("plain", texts)
        return super().encode_queries(texts)

    def encode_queries_with_tokens(self, texts: list[str]) -> list[tuple[np.ndarray, Tokens]]:
        self._called("tokens", texts)
        return [_with_tokens(self, t) for t in texts]


def _in_one_batch(requests: list[tuple[str, str]], inner: GatedEmbedder) -> list[object]:
    """What each caller gets (or the exception it hears) when the (kind, text)
    requests are made together while a first call holds the model thread, so
    they wait for the next batch all together."""
    batching = BatchingEmbedder(inner)
    held = threading.Thread(target=lambda: batching.encode_queries(["eerst"]))
    held.start()
    deadline = time.monotonic() + 10
    while not inner.calls and time.monotonic() < deadline:
        time.sleep(0.001)
    out: list[object] = [None] * len(requests)

    def ask(i: int) -> None:
        kind, text = requests[i]
        try:
            if kind == "tokens":
                out[i] = batching.encode_query_with_tokens(text)
            else:
                out[i] = batching.encode_queries([text])
        except Exception as exc:
            out[i] = exc

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    while batching._requests.qsize() < len(requests) and time.monotonic() < deadline:
        time.sleep(0.001)
    inner.open.set()
    for t in [held, *threads]:
        t.join()
    return out


def test_a_batch_of_plain_and_token_requests_is_one_model_call() -> None:
    inner = GatedEmbedder()
    requests = [("tokens" if i % 3 else "plain", f"vraag {i} over stages") for i in range(9)]
    out = _in_one_batch(requests, inner)
    # The held first call, then one call that gives the plain requests their vectors too.
    assert inner.calls == [("plain", 1), ("tokens", 9)]
    for (kind, text), got in zip(requests, out, strict=True):
        if kind == "tokens":
            _assert_same_tokens(got, text)  # type: ignore[arg-type]
        else:
            assert isinstance(got, np.ndarray) and got.shape == (1, 64)
            np.testing.assert_allclose(got, FakeEmbedder().encode_queries([text]), rtol=1e-6)


def test_a_failing_batch_of_token_requests_fails_each_caller() -> None:
    inner = GatedEmbedder()
    inner.fail = True
    requests = [("tokens" if i % 2 else "plain", f"vraag {i}") for i in range(6)]
    out = _in_one_batch(requests, inner)
    assert inner.calls == [("plain", 1), ("tokens", 6)]
    assert all(isinstance(e, RuntimeError) and "hiccup" in str(e) for e in out), out


def test_an_embedder_with_only_the_one_query_call_still_gets_tokens() -> None:
    class OneByOne(FakeEmbedder):
        def encode_query_with_tokens(self, text: str) -> tuple[np.ndarray, Tokens]:
            return _with_tokens(self, text)

    batching = BatchingEmbedder(OneByOne())
    _assert_same_tokens(batching.encode_query_with_tokens("vraag over stages"), "vraag over stages")


# --------------------------------------------------------------- graceful stop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeServer:
    """tests/serve_fake.py in a child process, its output collected as it comes."""

    def __init__(self, seconds_per_search: float) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "serve_fake.py"), str(self.port),
             str(seconds_per_search)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.output = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.output
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # 503 (FakeSearcher has no index) still means it answers
            except OSError:
                assert time.monotonic() < deadline, self.output
                time.sleep(0.2)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while chunk := os.read(self.proc.stdout.fileno(), 4096):
            self.output += chunk.decode("utf-8", "replace")

    def wait_for(self, marker: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.output:
            assert time.monotonic() < deadline, self.output
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def slow_server() -> Iterator[FakeServer]:
    server = FakeServer(seconds_per_search=3.0)
    yield server
    server.stop()


def test_sigterm_finishes_the_search_in_flight_and_exits_0(slow_server: FakeServer) -> None:
    result: dict[str, object] = {}

    def search() -> None:
        try:
            result["answer"] = Client(slow_server.url + "/", verbose=False).predict(
                "duaal leren", 2, api_name="/search"
            )
        except Exception as exc:  # recorded, asserted below
            result["error"] = exc

    client = threading.Thread(target=search)
    client.start()
    slow_server.wait_for("searching")
    signalled = time.monotonic()
    slow_server.proc.send_signal(signal.SIGTERM)
    code = slow_server.proc.wait(timeout=15)
    took = time.monotonic() - signalled
    client.join(timeout=10)
    assert code == 0, slow_server.output
    assert took < 10
    assert "error" not in result, result
    assert result["answer"]["results"], result  # the search that was running got its answer
    assert "stopped" in slow_server.output


def test_a_second_sigterm_exits_at_once(slow_server: FakeServer) -> None:
    client = threading.Thread(
        target=lambda: _swallow(
            lambda: Client(slow_server.url + "/", verbose=False).predict(
                "duaal leren", 2, api_name="/search"
            )
        ),
        daemon=True,
    )
    client.start()
    slow_server.wait_for("searching")
    slow_server.proc.send_signal(signal.SIGTERM)
    slow_server.wait_for("finishing the searches")
    signalled = time.monotonic()
    slow_server.proc.send_signal(signal.SIGTERM)
    code = slow_server.proc.wait(timeout=10)
    assert code == FORCED_EXIT_STATUS
    assert time.monotonic() - signalled < 1.5  # long before the 3 s search could end
    assert "stopped" not in slow_server.output


def test_an_idle_server_stops_quickly_with_status_0(slow_server: FakeServer) -> None:
    signalled = time.monotonic()
    slow_server.proc.send_signal(signal.SIGTERM)
    assert slow_server.proc.wait(timeout=10) == 0, slow_server.output
    assert time.monotonic() - signalled < 5


def _swallow(fn: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):  # the client's failure is not what is tested
        fn()


def test_healthz_served_by_the_real_server() -> None:
    status = ServiceStatus(INFO)
    with (
        running_app(create_app(FakeSearcher(), Settings(), status=status)) as url,
        urllib.request.urlopen(url + "/healthz", timeout=5) as r,
    ):
        assert json.loads(r.read())["index_version"] == INFO.version
