"""Load test: concurrent clients against the running app's `search` API.

Bounded in count and time, loopback only. Records errors, latency and the
server's memory before and after.

    python -m bench.load --data-dir data [--clients 16] [--queries 1000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import queue
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.server import running_app

# Past this growth of the server's resident memory across the run, the load
# test reports a leak.
MEMORY_GROWTH_BOUND_MB = 300.0


@dataclass
class LoadReport:
    clients: int
    queries: int
    errors: int
    wall_s: float
    throughput_qps: float
    latency_median_ms: float
    latency_p95_ms: float
    rss_before_mb: float
    rss_after_mb: float
    growth_bound_mb: float = MEMORY_GROWTH_BOUND_MB
    error_samples: list[str] = field(default_factory=list)
    # (searches done, server RSS in MB), every `sample_every` searches.
    memory_samples: list[tuple[int, float]] = field(default_factory=list)
    # The server's CPU time per search: what it costs, whatever else runs on the machine.
    server_cpu_ms_per_search: float = float("nan")

    @property
    def memory_ok(self) -> bool:
        return self.rss_after_mb - self.rss_before_mb <= self.growth_bound_mb


def _cpu_s(pid: int) -> float:
    proc = psutil.Process(pid)
    return sum(sum(p.cpu_times()[:2]) for p in [proc, *proc.children(recursive=True)])


def _rss_mb(pid: int) -> float:
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


# Client threads per client process: one Python process cannot drive 16
# gradio_client clients (its GIL, not the server, would set the pace).
THREADS_PER_PROCESS = 4


def run_load(
    url: str,
    pid: int,
    questions: list[str],
    clients: int = 16,
    total: int = 1000,
    time_limit_s: float = 900,
    query_for: Callable[[int], str] | None = None,
    sample_every: int = 0,
) -> LoadReport:
    """`total` searches from `clients` clients; search i asks `query_for(i)`
    (default: the questions in turn). With `sample_every`, the server's memory
    is sampled each time that many more searches have finished.

    The clients are threads in forked processes (THREADS_PER_PROCESS each),
    sharing one counter of searches to ask and one of searches done.
    """
    ask = query_for or (lambda i: questions[i % len(questions)])
    # Warm up once so the first measured query does not pay for lazy loading.
    with httpx.Client(base_url=url, timeout=120) as warm:
        search_over_http(warm, questions[0], 5)
    rss_before = _rss_mb(pid)
    cpu_before = _cpu_s(pid)
    samples: list[tuple[int, float]] = [(0, round(rss_before, 1))]
    ctx = multiprocessing.get_context("fork")
    next_index, done = ctx.Value("l", 0), ctx.Value("l", 0)
    results = ctx.Queue()
    deadline = time.monotonic() + time_limit_s
    sizes = [THREADS_PER_PROCESS] * (clients // THREADS_PER_PROCESS)
    if clients % THREADS_PER_PROCESS:
        sizes.append(clients % THREADS_PER_PROCESS)
    t0 = time.perf_counter()
    procs = [
        ctx.Process(
            target=_client_process,
            args=(url, n, total, ask, next_index, done, results, deadline),
            daemon=True,
        )
        for n in sizes
    ]
    for proc in procs:
        proc.start()
    latencies: list[float] = []
    errors: list[str] = []
    reported = 0
    next_sample = sample_every
    while reported < len(procs):
        if sample_every and done.value >= next_sample:
            samples.append((next_sample, round(_rss_mb(pid), 1)))
            next_sample += sample_every
            continue
        try:
            lat, errs = results.get(timeout=0.05)
        except queue.Empty:
            if not any(p.is_alive() for p in procs) and results.empty():
                break  # a client process died without reporting: its searches count as errors
            continue
        latencies += lat
        errors += errs
        reported += 1
    wall = time.perf_counter() - t0
    while sample_every and done.value >= next_sample:
        samples.append((next_sample, round(_rss_mb(pid), 1)))
        next_sample += sample_every
    for proc in procs:
        proc.join(timeout=10)
    cpu = _cpu_s(pid) - cpu_before
    answered = len(latencies) + len(errors)
    return LoadReport(
        clients=clients,
        queries=answered,
        errors=len(errors) + (total - answered),
        wall_s=round(wall, 1),
        throughput_qps=round(answered / wall, 1),
        latency_median_ms=round(statistics.median(latencies), 1) if latencies else float("nan"),
        latency_p95_ms=round(statistics.quantiles(latencies, n=20)[18], 1)
        if len(latencies) > 20
        else float("nan"),
        rss_before_mb=round(rss_before, 1),
        rss_after_mb=round(_rss_mb(pid), 1),
        error_samples=errors[:5],
        memory_samples=samples,
        server_cpu_ms_per_search=round(cpu / answered * 1000, 1) if answered else float("nan"),
    )


def _client_process(
    url: str,
    threads: int,
    total: int,
    ask: Callable[[int], str],
    next_index: Any,
    done: Any,
    results: Any,
    deadline: float,
) -> None:
    """`threads` clients in this process; reports (latencies, errors) when done."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        client = httpx.Client(base_url=url, timeout=120)
        while time.monotonic() < deadline:
            with next_index.get_lock():
                i = next_index.value
                next_index.value += 1
            if i >= total:
                return
            t0 = time.perf_counter()
            try:
                result = search_over_http(client, ask(i), 5)
                if not isinstance(result, dict) or "results" not in result:
                    raise ValueError(f"unexpected answer: {str(result)[:120]}")
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000)
            except Exception as exc:  # every failure counts, whatever its kind
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])
            with done.get_lock():
                done.value += 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    results.put((latencies, errors))


def search_over_http(client: httpx.Client, query: str, k: int) -> Any:
    """One search through Gradio's documented HTTP API, as `curl` would ask it.

    Two requests: POST the inputs, then read the event's result from its
    server-sent-event stream. The load generator runs on the same two cores
    as the server, so it must cost little: gradio_client spends about 50 ms
    of CPU per call (measured here), more than the server's search itself,
    and then sets the pace of the whole test.
    """
    posted = client.post(
        "/gradio_api/call/search", json={"data": [query, k, [], [], [], [], "auto"]}
    )
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    event = ""
    with client.stream("GET", f"/gradio_api/call/search/{event_id}") as stream:
        stream.raise_for_status()
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ").strip()
            elif line.startswith("data: ") and event in ("complete", "error"):
                data = json.loads(line.removeprefix("data: "))
                if event == "error":
                    raise RuntimeError(f"the server answered an error: {str(data)[:120]}")
                return data[0] if isinstance(data, list) and data else data
    raise RuntimeError(f"the event stream ended without a result (last event {event!r})")


def load_questions(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line)["question"] for line in f if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--questions", type=Path, default=Path("bench/questions.jsonl"))
    args = parser.parse_args()
    questions = load_questions(args.questions)
    with running_app(args.data_dir) as (url, pid):
        report = run_load(url, pid, questions, args.clients, args.queries)
    print(json.dumps(asdict(report), indent=2))


if __name__ == "__main__":
    main()
