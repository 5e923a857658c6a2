"""Trial finder benchmark: prints figures, asserts nothing (not a test).

For each N (default 1,000 and 10,000) it makes N trials by cycling the shared studies under
``../shared/data/ctgov/v2-json`` with fresh NCT IDs and reports:

- the finder's data (``data/finder.js``): raw bytes and gzip bytes (what a browser
  downloads from a server that compresses; the issue aims for at most 1.5 MB);
- the time the page takes to load and index it (``trialpress-finder-ready`` mark);
- filter latency in headless Chromium: ``performance.now()`` around one filter change
  (the change event, the new list and a forced layout), median and worst of 5 rounds, for
  several kinds of change.

The page is the real All trials page of a site built once from the shared studies (pages
only); for each N its ``data/finder.js`` is replaced by the N-trial data. With JavaScript on,
the page's no-script table is not part of the DOM, so the figures are those of an N-trial
site's finder; building 10,000 trial pages just to measure the finder would take most of
ten minutes here. :func:`measure` takes any built site, so the scale benchmark can call it
on its own builds.

Cycled studies repeat their text every 238 trials, so gzip finds more repetition than in
10,000 distinct trials: the compressed figure is a lower bound; the raw one is realistic.

Run: ``.venv/bin/python benchmarks/finder_bench.py [--n 1000 10000]``.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STUDIES = ROOT.parent / "shared" / "data" / "ctgov" / "v2-json"

#: One round of filter changes, each timed on its own (JavaScript run in the page).
_CHANGES = """
async () => {
  const form = document.getElementById('tp-finder-form');
  const byId = (id) => document.getElementById(id);
  const fire = (el, type) => el.dispatchEvent(new Event(type, {bubbles: true}));
  const set = (id, value) => { byId(id).value = value; fire(byId(id), 'change'); };
  const status = form.querySelector('input[name=status][value=RECRUITING]');
  const changes = {
    'status: recruiting': () => { status.checked = true; fire(status, 'change'); },
    'age 70': () => set('tp-age', '70'),
    'near New York, 100 km': () => {
      byId('tp-near').value = 'New York, United States';
      set('tp-radius', '100');
    },
    'sort by nearest site': () => set('tp-sort', 'distance'),
    'words: cancer': () => { byId('tp-q').value = 'cancer'; fire(byId('tp-q'), 'input'); },
    'clear all filters': () => form.reset(),
  };
  const out = {};
  for (const [name, change] of Object.entries(changes)) {
    const t0 = performance.now();
    change();
    void document.body.offsetHeight;  // the new list laid out
    out[name] = performance.now() - t0;
    await new Promise(r => setTimeout(r, 20));
  }
  return out;
}
"""


def finder_bytes(site: Path) -> tuple[int, int]:
    """(raw, gzip -9) bytes of a built site's finder data."""
    from trialpress.layout import FINDER_DATA

    data = (site / FINDER_DATA).read_bytes()
    return len(data), len(gzip.compress(data, 9, mtime=0))


def measure(site: Path, rounds: int = 5) -> dict[str, Any]:
    """Data bytes, load-and-index time and filter latencies of a built site's finder."""
    from playwright.sync_api import sync_playwright
    from tests.browser import CHROMIUM, CHROMIUM_ARGS, serve_dir

    raw, packed = finder_bytes(site)
    timings: dict[str, list[float]] = {}
    ready: list[float] = []
    with serve_dir(site) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            for _ in range(rounds):
                page.goto(url + "trials/")
                page.wait_for_function("window.trialpressFinderReady === true")
                ready.append(
                    page.evaluate(
                        "performance.getEntriesByName('trialpress-finder-ready')[0].startTime"
                    )
                )
                for name, ms in page.evaluate(_CHANGES).items():
                    timings.setdefault(name, []).append(ms)
        finally:
            browser.close()
    return {"raw": raw, "gzip": packed, "ready_ms": statistics.median(ready), "changes": timings}


def cycled_trials(n: int) -> list[Any]:
    """N trials cycling the shared studies, each with a fresh NCT ID (NCT9xxxxxxx)."""
    from trialpress.models import Trial
    from trialpress.readers import read_paths

    shared = [t for t in read_paths([STUDIES]) if isinstance(t, Trial)]
    return [
        t.model_copy(update={"nct_id": f"NCT{90_000_000 + i:08d}"})
        for i, t in zip(range(n), itertools.cycle(shared), strict=False)
    ]


def print_figures(n: int, figures: dict[str, Any]) -> None:
    """One block of Markdown per N."""
    print(
        f"### {n:,} trials: data {figures['raw'] / 1e6:.2f} MB raw, "
        f"{figures['gzip'] / 1e6:.2f} MB gzip; loaded and indexed "
        f"{figures['ready_ms']:.0f} ms after navigation start"
    )
    print("| filter change | median ms | worst ms |")
    print("| --- | --- | --- |")
    for name, values in figures["changes"].items():
        print(f"| {name} | {statistics.median(values):.1f} | {max(values):.1f} |")
    print()
    sys.stdout.flush()


def main() -> None:
    """Build the shared site once, then measure the finder with N-trial data."""
    from trialpress.build import build_trials, bundled_config
    from trialpress.corpus import Corpus
    from trialpress.finder import finder_script
    from trialpress.layout import FINDER_DATA

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    print(
        f"trialpress finder benchmark: {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}\n"
    )
    work = Path(tempfile.mkdtemp(prefix="tp-finder-bench-"))
    try:
        base = cycled_trials(238)
        result = build_trials(
            base, work / "site", config_file=bundled_config(), pdf=False, cache_dir=work / "cache"
        )
        assert not result.errors, result.errors
        for n in args.n:
            (work / "site" / FINDER_DATA).write_bytes(finder_script(Corpus(cycled_trials(n))))
            print_figures(n, measure(work / "site"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
