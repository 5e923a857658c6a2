"""Scale benchmark: prints figures, asserts nothing (not a test).

For each N (default 1,000 and 10,000) it writes N API v2 records, cycling the shared
studies under ``../shared/data/ctgov/v2-json`` with fresh NCT IDs, into a temporary folder,
and runs the real CLI in child processes (``trialpress build``, ``trialpress pdf``) with
the bundled MkDocs config:

1. full build without PDFs (cold: fresh working folder, so no cache of any kind);
2. rebuild with nothing changed (same output, same working folder), then again with the
   whole-build skip ruled out (the output's home page touched), so every trial is checked;
3. full build with PDFs (cold), then PDFs alone (``trialpress pdf``, cold) and their ratio;
4. rebuild with one trial changed (its title amended), without and with PDFs;

and reports wall seconds, the peak memory of the child process tree (the sum of its
processes' PSS, sampled with psutil: forked workers' shared pages count once; without psutil,
the RSS of the largest single process from ``getrusage``), the site's size, the size of
Material's lunr index and of the Pagefind index, and the bytes a first search loads in
headless Chromium (typed into the header search box of the home page; index data and code
counted apart).

A memory sample reads each process's page tables (about 10 ms per 500 MB), so the sampler
waits 20 times as long as its last sample took, and at least 0.1 s: it uses at most a
twentieth of one core. Sampling every 0.1 s took an eighth of the 2-core machine at 10,000
trials and lengthened the build it measured by about as much.

PDF runs cost about 0.25 s per PDF on 2 cores, two PDFs per trial: ``--pdf-up-to``
(default 1,000) skips them above that N (20,000 PDFs at 10,000 trials take well over an
hour here). The machine's load average is printed with the figures: on a shared machine
they vary from run to run.

Run: ``.venv/bin/python benchmarks/scale_bench.py [--n 1000 10000] [--pdf-up-to 1000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the browser helpers live in tests/
    sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, CHROMIUM_ARGS, first_search, serve_dir  # noqa: E402

STUDIES = ROOT.parent / "shared" / "data" / "ctgov" / "v2-json"
#: What the benchmark types into the search box: common words, so a query has many hits.
DEFAULT_QUERY = "breast cancer"


# -- records ----------------------------------------------------------------------------------
def shared_studies() -> list[dict[str, Any]]:
    """Every API v2 study of the shared data, arrays unpacked, in a stable order."""
    out: list[dict[str, Any]] = []
    for path in sorted(STUDIES.rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.extend(data if isinstance(data, list) else [data])
    return out


def nct_id(i: int) -> str:
    """The ``i``-th fresh NCT ID (NCT9xxxxxxx: not a registered trial)."""
    return f"NCT{90_000_000 + i:08d}"


def write_records(n: int, folder: Path) -> list[Path]:
    """N records cycling the shared studies, each with a fresh NCT ID, one file each."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for i, study in zip(range(n), itertools.cycle(shared_studies()), strict=False):
        copy = json.loads(json.dumps(study))
        copy["protocolSection"]["identificationModule"]["nctId"] = nct_id(i)
        path = folder / f"{nct_id(i)}.json"
        path.write_text(json.dumps(copy, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def amend(path: Path) -> None:
    """Change one trial: its brief title gains a word (as a registry update would)."""
    study = json.loads(path.read_text(encoding="utf-8"))
    ident = study["protocolSection"]["identificationModule"]
    ident["briefTitle"] = ident["briefTitle"] + " (amended)"
    path.write_text(json.dumps(study, ensure_ascii=False), encoding="utf-8")


# -- measuring a child process tree -----------------------------------------------------------
@dataclass
class Run:
    """One CLI run: wall seconds and peak memory of its process tree."""

    seconds: float
    peak_rss: int
    how: str


def _tree_rss(proc: Any) -> int:
    """Memory of the process tree: the sum of each process's proportional set size (PSS:
    a page shared by k processes counts 1/k in each). Forked workers share the parent's
    pages, so a sum of RSS would count the corpus once per worker."""
    import psutil

    total = 0
    with contextlib.suppress(psutil.Error):
        procs = [proc, *proc.children(recursive=True)]
        for p in procs:
            with contextlib.suppress(psutil.Error):
                info = p.memory_full_info()
                total += getattr(info, "pss", info.rss)
    return total


def run_cli(args: list[str], cwd: Path) -> Run:
    """Run ``trialpress ARGS`` in ``cwd``; fail loudly if it fails."""
    return run_python("from trialpress.cli import main; main()", args, cwd)


#: ``--search-only``: the Pagefind index of N trials, as the plugin writes it after a build.
_INDEX_ONLY = """
import sys, time
from pathlib import Path
from trialpress.corpus import Corpus
from trialpress.readers import read_paths
from trialpress.publish import PublishOptions, generate
from trialpress.search import term_entries, write_index
trials = [t for t in read_paths([sys.argv[1]]) if not isinstance(t, Exception)]
corpus = Corpus(trials)
options = PublishOptions(pdf=False)
generated = generate(corpus, options, Path(sys.argv[2]).parent / "generated")
entries = [*generated.search, *term_entries(corpus, options.layout)]
start = time.perf_counter()
write_index(entries, Path(sys.argv[2]))
Path(sys.argv[3]).write_text(f"{time.perf_counter() - start:.1f}")
"""


#: Memory sampling: at least this many seconds apart, and waiting this many times as long as
#: a sample took (see the module docstring: sampling must not slow the build it measures).
SAMPLE_EVERY, SAMPLER_SHARE = 0.1, 20


def run_python(code: str, args: list[str], cwd: Path) -> Run:
    """Run ``python -c CODE ARGS`` in ``cwd``, measured; fail loudly if it fails."""
    cmd = [sys.executable, "-c", code, *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("SOURCE_DATE_EPOCH", None)
    log = cwd / "bench.log"
    start = time.perf_counter()
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            import psutil

            ps = psutil.Process(proc.pid)
            peak, how = 0, "tree sum, sampled"
            while proc.poll() is None:
                began = time.perf_counter()
                peak = max(peak, _tree_rss(ps))
                time.sleep(max(SAMPLE_EVERY, SAMPLER_SHARE * (time.perf_counter() - began)))
        except ImportError:
            peak, how = 0, "largest process"
            proc.wait()
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # 1: some record failed (reported in the log)
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{' '.join(args)} exited {proc.returncode}:\n{tail}")
    return Run(seconds, peak, how)


def size_of(path: Path) -> int:
    """Bytes of every file under ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- first search in Chromium -----------------------------------------------------------------
def measure_search(site: Path, query: str) -> dict[str, Any] | None:
    """:func:`first_search` in a fresh headless Chromium; None without Playwright/Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    with serve_dir(site) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return first_search(browser.new_page(), url, query)
        finally:
            browser.close()


# -- the benchmark ----------------------------------------------------------------------------
def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def _kb(n: float) -> str:
    return f"{n / 1e3:.0f} KB"


def _row(n: int, name: str, run: Run, extra: str = "") -> None:
    print(f"| {n:,} | {name} | {run.seconds:.1f} | {_mb(run.peak_rss)} | {extra} |", flush=True)


def search_only(n: int, work: Path, query: str) -> None:
    """The search figures of N trials without building N pages: a site of 3 trials whose
    Pagefind index is replaced by the index of all N (the pages around the search box, the
    worker and the lunr index do not depend on N)."""
    records = work / "records"
    write_records(n, records)
    few = work / "few"
    few.mkdir()
    for path in sorted(records.iterdir())[:3]:
        (few / path.name).write_bytes(path.read_bytes())
    pages = work / "pages"
    pages.mkdir()
    site = pages / "site"
    run_cli(["build", str(few), "--out", str(site), "--no-pdf"], pages)
    took = pages / "index-seconds.txt"
    run = run_python(_INDEX_ONLY, [str(records), str(site), str(took)], pages)
    _row(
        n,
        "read the records, then index them (Pagefind)",
        run,
        f"indexing alone {took.read_text()} s; Pagefind {_mb(size_of(site / 'pagefind'))}",
    )
    _first_search_row(n, site, query)


def _first_search_row(n: int, site: Path, query: str) -> None:
    found = measure_search(site, query)
    if found is None:
        print(f"| {n:,} | first search | - | - | not measured (no Playwright or Chromium) |")
    else:
        b = found["bytes"]
        fragments = sum(1 for f in found["files"] if f.endswith(".pf_fragment"))
        print(
            f"| {n:,} | first search `{query}` | - | - | {_kb(b['index'] + b['code'])} loaded: "
            f"index {_kb(b['index'])} ({fragments} fragments), code {_kb(b['code'])}, "
            f'box says "{found["meta"]}" |',
            flush=True,
        )


def bench(n: int, work: Path, *, pdf: bool, query: str, rebuilds: bool = True) -> None:
    """Every figure for one N, printed as table rows as they come."""
    records = work / "records"
    paths = write_records(n, records)

    def row(name: str, run: Run, extra: str = "") -> None:
        _row(n, name, run, extra)

    pages = work / "pages"
    pages.mkdir()
    site = pages / "site"
    cold = run_cli(["build", str(records), "--out", str(site), "--no-pdf"], pages)
    lunr = site / "search" / "search_index.json"
    pagefind = site / "pagefind"
    row(
        "full build, no PDFs",
        cold,
        f"site {_mb(size_of(site))}, lunr index {_kb(lunr.stat().st_size if lunr.exists() else 0)}"
        f", Pagefind {_mb(size_of(pagefind))}",
    )
    _first_search_row(n, site, query)
    if not rebuilds:
        return
    row(
        "rebuild, nothing changed, no PDFs",
        run_cli(["build", str(records), "--out", str(site), "--no-pdf"], pages),
    )
    # The same, with the whole-build skip ruled out (the output's home page touched): every
    # trial goes through its per-trial reuse check instead.
    home = site / "index.html"
    os.utime(home, ns=(home.stat().st_atime_ns, home.stat().st_mtime_ns + 1_000_000_000))
    row(
        "rebuild, nothing changed, skip ruled out, no PDFs",
        run_cli(["build", str(records), "--out", str(site), "--no-pdf"], pages),
    )

    if pdf:
        full = work / "full"
        full.mkdir()
        with_pdf = run_cli(["build", str(records), "--out", str(full / "site"), "--pdf"], full)
        row("full build with PDFs", with_pdf, f"site {_mb(size_of(full / 'site'))}")
        alone_dir = work / "pdf-alone"
        alone_dir.mkdir()
        alone = run_cli(["pdf", str(records), "--out", str(alone_dir / "pdf")], alone_dir)
        row(
            "PDFs alone (trialpress pdf)",
            alone,
            f"full / PDFs alone = {with_pdf.seconds / alone.seconds:.2f}",
        )
        row(
            "rebuild, nothing changed, with PDFs",
            run_cli(["build", str(records), "--out", str(full / "site"), "--pdf"], full),
        )

    amend(paths[len(paths) // 2])
    row(
        "rebuild, one trial changed, no PDFs",
        run_cli(["build", str(records), "--out", str(site), "--no-pdf"], pages),
    )
    if pdf:
        row(
            "rebuild, one trial changed, with PDFs",
            run_cli(["build", str(records), "--out", str(full / "site"), "--pdf"], full),
        )


def main(argv: list[str] | None = None) -> None:
    """Parse options, run every N, print one Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 10_000], help="trial counts")
    parser.add_argument(
        "--pdf-up-to",
        type=int,
        default=1000,
        help="run the PDF builds only for N up to this (0: never)",
    )
    parser.add_argument("--query", default=DEFAULT_QUERY, help="what the first search types")
    parser.add_argument(
        "--cold-only",
        action="store_true",
        help="only the full build without PDFs and the first search (a quick look at a large N)",
    )
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="only the Pagefind index of N trials and the first search (no N-page build)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep the files")
    args = parser.parse_args(argv)

    try:
        import psutil  # noqa: F401

        rss = "peak RSS: the process tree's summed PSS, sampled using at most 5% of one core"
    except ImportError:
        rss = "peak RSS of the largest child process (getrusage; install psutil for the sum)"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"trialpress scale benchmark: {os.cpu_count()} cores, load average {load} at start; "
        f"{rss}; records cycle {len(shared_studies())} shared studies"
    )
    print()
    print("| trials | run | seconds | peak RSS | notes |")
    print("| --- | --- | --- | --- | --- |")
    base = args.keep or Path(tempfile.mkdtemp(prefix="tp-scale-"))
    # SIGTERM (a stopped benchmark) unwinds like Ctrl-C, so the temporary folder goes too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        for n in args.n:
            work = base / f"n{n}"
            if work.exists():
                shutil.rmtree(work)
            work.mkdir(parents=True)
            if args.search_only:
                search_only(n, work, args.query)
                continue
            pdf = 0 < n <= args.pdf_up_to and not args.cold_only
            bench(n, work, pdf=pdf, query=args.query, rebuilds=not args.cold_only)
            if args.cold_only:
                print(f"| {n:,} | rebuilds and PDF runs | - | - | skipped (--cold-only) |")
            elif n > args.pdf_up_to:
                print(f"| {n:,} | PDF runs | - | - | skipped (--pdf-up-to {args.pdf_up_to}) |")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(f"load average {load} at the end")


if __name__ == "__main__":
    main()
