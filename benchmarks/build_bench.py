"""Whole-site build benchmark: prints figures, asserts nothing (not a test).

Builds the site from the two bundled registry-text examples plus every API v2 study under
``../shared/data/ctgov/v2-json`` (240 trials), and reports for each run: wall seconds,
peak memory of this process, site size, the size of the search index and of the largest
page. Runs:

1. pages only (no PDFs): the MkDocs Material cost, which DESIGN.md says grows with the nav;
2. pages and PDFs from cold (every PDF rendered, one worker per core);
3. the same build again into the same output: unchanged PDFs are reused, so this shows
   what a nightly rebuild with no record changes costs.

Before the builds it reports what the whole-record sections (outcome measures, contacts,
sites' contacts, MeSH terms, documents, results pages, the brief's outcomes and contacts)
cost: page rendering (without MkDocs) and brief PDFs, each with the trials as read and
with those fields emptied, best of three runs.

Run: ``.venv/bin/python benchmarks/build_bench.py [--limit N] [--sections-only]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from trialpress.models import Mesh, Trial

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def _without_whole_record(trial: Trial) -> Trial:
    """The trial as the model was before issue 9: no outcomes, contacts, MeSH, results..."""
    return trial.model_copy(
        update={
            "outcomes": [],
            "contacts": [],
            "why_stopped": None,
            "first_posted": None,
            "results_first_posted": None,
            "mesh": Mesh(),
            "documents": [],
            "oversight": None,
            "ipd_sharing": None,
            "results": None,
            "locations": [
                loc.model_copy(update={"contacts": [], "geo": None}) for loc in trial.locations
            ],
        }
    )


def _best(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _paired(a: Callable[[], object], b: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best times of ``a`` and ``b`` measured alternately, so a busy machine hits both alike."""
    best_a, best_b = float("inf"), float("inf")
    for _ in range(repeat):
        best_a = min(best_a, _best(a, 1))
        best_b = min(best_b, _best(b, 1))
    return best_a, best_b


def section_costs(trials: list[Trial], pdf_trials: int = 12) -> None:
    """Print what the whole-record sections add to page rendering and to brief PDFs."""
    from trialpress import render
    from trialpress.corpus import Corpus
    from trialpress.pdf import Options, get_renderer

    bare = [_without_whole_record(t) for t in trials]
    print("whole-record sections (best of 5 pairs for pages, 3 for PDFs, run alternately):")
    print()
    print("| output | as read | without the new fields | pages (as read / without) |")
    print("| --- | --- | --- | --- |")
    for name, fn in (
        ("all generated pages", render.render_site),
        (
            "trial pages only",
            lambda ctx: [render.render_trial(t, ctx) for t in ctx.corpus.trials.values()],
        ),
    ):
        ctx_full = render.SiteContext(Corpus(trials))
        ctx_bare = render.SiteContext(Corpus(bare))
        full_s, bare_s = _paired(lambda: fn(ctx_full), lambda: fn(ctx_bare), 5)  # noqa: B023
        if name.startswith("all"):
            pages = f"{len(render.render_site(ctx_full))} / {len(render.render_site(ctx_bare))}"
        else:
            pages = str(len(trials))
        print(f"| {name} | {full_s:.2f} s | {bare_s:.2f} s | {pages} |")
    with_results = [t for t in trials if t.results is not None]
    ctx = render.SiteContext(Corpus(trials))
    results_s = _best(lambda: [render.render_results(t, ctx) for t in with_results])
    print(
        f"| results pages | {results_s:.2f} s | (new) | {len(with_results)} "
        f"({results_s / max(1, len(with_results)) * 1000:.0f} ms each) |"
    )
    renderer = get_renderer()
    sample = sorted(trials, key=lambda t: -len(t.outcomes) - len(t.contacts))[:pdf_trials]
    full_pdf, bare_pdf = _paired(
        lambda: [renderer.render(t, "brief", Options()) for t in sample],
        lambda: [renderer.render(_without_whole_record(t), "brief", Options()) for t in sample],
        3,
    )
    print(
        f"| brief PDFs ({len(sample)} trials with the most outcomes and contacts) | "
        f"{full_pdf / len(sample):.2f} s each | {bare_pdf / len(sample):.2f} s each | "
        f"{len(sample)} |"
    )
    print()
    sys.stdout.flush()


def main() -> None:
    """Build three times and print one table row per build."""
    from trialpress.build import build_trials
    from trialpress.readers import read_paths

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="use only the first N trials")
    parser.add_argument(
        "--sections-only", action="store_true", help="only the whole-record section costs"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    records = [ROOT / "examples" / "records", SHARED / "ctgov" / "v2-json"]
    trials = [t for t in read_paths(records) if isinstance(t, Trial)]
    if args.limit:
        trials = trials[: args.limit]
    read_s = time.perf_counter() - started
    print(
        f"trialpress build benchmark: {len(trials)} trials, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    print(f"reading records: {read_s:.2f} s")
    print()
    section_costs(trials)
    if args.sections_only:
        return
    print("| build | seconds | peak RSS | site size | search index | largest page |")
    print("| --- | --- | --- | --- | --- | --- |")
    work = Path(tempfile.mkdtemp(prefix="tp-bench-"))
    try:
        runs = [
            ("pages only", work / "pages", False),
            ("pages + PDFs, cold", work / "full", True),
            ("pages + PDFs, nothing changed", work / "full", True),
        ]
        for name, out, pdf in runs:
            t0 = time.perf_counter()
            result = build_trials(trials, out, strict=True, pdf=pdf, cache_dir=work / "cache")
            seconds = time.perf_counter() - t0
            assert not result.errors, result.errors
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            index = out / "search" / "search_index.json"
            pages = list(out.rglob("*.html"))
            largest = max(p.stat().st_size for p in pages)
            print(
                f"| {name} | {seconds:.1f} | {_mb(rss)} | {_mb(_size(out))} | "
                f"{_mb(index.stat().st_size) if index.exists() else 'none'} | "
                f"{largest / 1e3:.0f} KB |"
            )
            sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
