"""Time from pressing "Zoeken" to results on screen, measured in headless Chromium.

What a user waits for: the browser's round trip through Gradio's queue, the
search, the rendering of the cards, and the next paint. Measured inside the
page (`performance.now()` at the click, and at the first animation frame
after the new results are in the DOM), over warm queries: a few searches are
run first and not counted.

    python -m bench.browser_latency --data-dir data [--queries 20] [--url URL]

Without --url it starts `advieszoeker serve` on the data folder itself.
"""

from __future__ import annotations

import argparse
import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from bench.server import CHROMIUM, CHROMIUM_ARGS, running_app

QUESTIONS = Path(__file__).with_name("questions.jsonl")
WARMUP = ("Wat vraagt de SERV over duaal leren?", "schooluitval", "werkplekleren")

# Installed in the page: a click on "Zoeken" starts the clock; the first
# frame after fresh results (not the ones marked stale) stops it.
PROBE_JS = """
() => {
  window.__az = {t0: null, t1: null};
  document.querySelector('#az-search').addEventListener('click', () => {
    window.__az.t0 = performance.now(); window.__az.t1 = null;
  }, true);
  const root = document.querySelector('#az-results');
  new MutationObserver(() => {
    const fresh = root.querySelector(
      '.az-results:not([data-stale]), .az-message:not([data-stale])');
    if (fresh && window.__az.t0 !== null && window.__az.t1 === null) {
      requestAnimationFrame(() => {
        if (window.__az.t1 === null) window.__az.t1 = performance.now();
      });
    }
  }).observe(root, {childList: true, subtree: true});
}
"""


@dataclass
class BrowserLatency:
    queries: int
    median_ms: float
    p95_ms: float
    min_ms: float
    max_ms: float
    samples_ms: list[float] = field(default_factory=list)


def load_questions(n: int, path: Path = QUESTIONS) -> list[str]:
    """The first `n` Dutch questions of the evaluation set: realistic and distinct."""
    out: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            if item.get("lang", "nl") == "nl" and item["question"] not in out:
                out.append(item["question"])
        if len(out) == n:
            break
    return out


def _one_search(page: Page, query: str) -> float:
    page.eval_on_selector_all(
        "#az-results .az-results, #az-results .az-message",
        "els => els.forEach(e => e.setAttribute('data-stale', '1'))",
    )
    page.fill("#az-query textarea", query)
    page.click("#az-search")
    page.wait_for_function("() => window.__az.t1 !== null", timeout=120_000)
    return float(page.evaluate("window.__az.t1 - window.__az.t0"))


def measure(url: str, questions: list[str], warmup: tuple[str, ...] = WARMUP) -> BrowserLatency:
    """Median and 95th percentile over `questions`, after the warm-up searches."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_selector("#az-query textarea")
        page.wait_for_selector("#az-results .az-message")
        page.evaluate(PROBE_JS)
        for q in warmup:
            _one_search(page, q)
        samples = [_one_search(page, q) for q in questions]
        browser.close()
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return BrowserLatency(
        queries=len(samples),
        median_ms=round(statistics.median(samples), 1),
        p95_ms=round(p95, 1),
        min_ms=round(ordered[0], 1),
        max_ms=round(ordered[-1], 1),
        samples_ms=[round(s, 1) for s in samples],
    )


def main(argv: list[str] | None = None) -> BrowserLatency:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--url", help="An app that is already running; else one is started.")
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args(argv)
    questions = load_questions(args.queries)
    if args.url:
        report = measure(args.url.rstrip("/") + "/", questions)
    else:
        with running_app(args.data_dir) as (url, _pid):
            report = measure(url + "/", questions)
    if args.json:
        print(json.dumps(asdict(report)))
    else:
        print(
            f"Browser: press search → results visible, {report.queries} warm queries: "
            f"median {report.median_ms:.0f} ms, p95 {report.p95_ms:.0f} ms "
            f"(min {report.min_ms:.0f}, max {report.max_ms:.0f})"
        )
    return report


if __name__ == "__main__":
    main()
