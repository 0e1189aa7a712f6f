"""`python -m bench --only quality` keeps the slow stages' figures, marked with their run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("bench_main", REPO / "bench" / "__main__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


PREVIOUS = """# Benchmarks

Written by `make bench` on 2026-11-23 12:58 UTC, on 2 cores.

## Quality

old quality figures

## Load

16 clients, 0 errors.

## Ranking experiments

| experiment | ... |
"""


def test_stages_not_rerun_are_carried_over_with_their_date() -> None:
    bench = _bench()
    (load,) = bench.carried_over(PREVIOUS, {"quality", "speed", "embed", "scale", "browser"})
    assert load.startswith("## Load\n\n*Not rerun: from the run of 2026-11-23 12:58 UTC.*")
    assert "16 clients, 0 errors." in load
    # Neither the rerun quality section nor the experiments log is carried.
    assert "old quality" not in load and "Ranking experiments" not in load
    # Carried over again by a later run, it keeps the date of the run that measured it.
    later = f"# Benchmarks\n\nWritten by `make bench` on 2026-12-02 15:00 UTC, on x.\n\n{load}"
    assert bench.carried_over(later, {"quality"}) == [load]
    assert bench.carried_over(PREVIOUS, set(bench.STAGES)) == []


def test_a_run_of_one_stage_keeps_the_quality_and_real_document_sections() -> None:
    bench = _bench()
    previous = PREVIOUS.replace(
        "## Load", "## Speed and memory (seeds)\n\n20 ms\n\n## Real documents\n\n95%\n\n## Load"
    )
    kept = bench.carried_over(previous, {"load"})
    headings = [section.splitlines()[0] for section in kept]
    assert headings == ["## Quality", "## Speed and memory (seeds)", "## Real documents"]
    assert bench.carried_over(previous, {"realdocs", "quality", "speed", "load"}) == []
