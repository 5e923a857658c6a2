"""Whole-site build benchmark: prints figures, asserts nothing (not a test).

Builds the site from the two bundled registry-text examples plus every API v2 study under
``../shared/data/ctgov/v2-json`` (240 trials), and reports for each run: wall seconds,
peak memory of this process, site size, the size of the search index and of the largest
page. Runs:

1. pages only (no PDFs): the MkDocs Material cost, which DESIGN.md says grows with the nav;
2. pages and PDFs from cold (every PDF rendered, one worker per core);
3. the same build again into the same output: unchanged PDFs are reused, so this shows
   what a nightly rebuild with no record changes costs.

Run: ``.venv/bin/python benchmarks/build_bench.py [--limit N]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def main() -> None:
    """Build three times and print one table row per build."""
    from trialpress.build import build_trials
    from trialpress.models import Trial
    from trialpress.readers import read_paths

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="use only the first N trials")
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
