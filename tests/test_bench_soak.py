"""The soak's verdict: second-half growth over the half-way level, and no errors."""

from __future__ import annotations

from bench.load import LoadReport
from bench.soak import judge, soak_queries


def report(samples: list[tuple[int, float]], errors: int = 0) -> LoadReport:
    return LoadReport(16, samples[-1][0], errors, 1.0, 1.0, 1.0, 1.0, samples[0][1],
                      samples[-1][1], memory_samples=samples)  # fmt: skip


def test_early_growth_is_allowed_second_half_growth_is_not() -> None:
    # Warm-up growth before the half-way point does not count.
    flat = judge(report([(0, 1000), (1000, 1500), (2000, 1510), (3000, 1520), (4000, 1530)]))
    assert flat.half_mb == 1510 and flat.second_half_max_mb == 1530 and flat.ok
    leaking = judge(report([(0, 1000), (1000, 1100), (2000, 1200), (3000, 1250), (4000, 1300)]))
    assert leaking.growth_pct > 3 and not leaking.ok


def test_any_error_fails_the_soak() -> None:
    assert not judge(report([(0, 1000), (1000, 1000), (2000, 1000)], errors=1)).ok


def test_half_the_soak_queries_are_distinct() -> None:
    query = soak_queries(["a", "b", "c"])
    asked = [query(i) for i in range(600)]
    repeated = asked[0::2]
    assert set(repeated) == {"a", "b", "c"}
    assert len(set(asked[1::2])) == 300  # each odd search its own query
