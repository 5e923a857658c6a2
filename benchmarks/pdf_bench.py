"""PDF rendering benchmark: prints figures (Markdown), it is not a test.

Same trials for every figure: the two registry-text examples plus about 20 API v2 studies,
including NCT05798663 (19,020-character eligibility text) and NCT02513394 (437 locations).

    .venv/bin/python benchmarks/pdf_bench.py [--studies 20] [--repeat 1]

Figures:
- seconds per brief and per checklist (``render_pdfs`` with ``jobs=1``, warm process);
- speed-up of ``jobs=2`` over ``jobs=1`` (both from a cold output folder, pools included);
- our per-PDF time over the floor: bare WeasyPrint rendering our own pre-rendered HTML in a
  loop (same stylesheets and options, no templating, hashing, files or processes);
- the time for the 19,000-character and the 437-location trials;
- a rebuild with nothing changed (every PDF reused from the cache).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from trialpress.errors import RecordError
from trialpress.models import Trial
from trialpress.pdf import KINDS, Kind, Options, get_renderer, render_pdfs
from trialpress.readers import read_paths

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
EXAMPLES = [ROOT / "examples" / "records" / n for n in ("NCT03820830.txt", "NCT03809988.txt")]
V2_JSON = SHARED / "ctgov" / "v2-json"
BIG = ("NCT05798663", "NCT02513394")


def load_trials(n_studies: int) -> list[Trial]:
    """The examples, the two big studies, then the first other studies by NCT ID."""
    examples = [t for t in read_paths(EXAMPLES) if isinstance(t, Trial)]
    studies: dict[str, Trial] = {}
    for item in read_paths([V2_JSON]):
        if isinstance(item, RecordError):
            print(f"<!-- skipped: {item} -->", file=sys.stderr)
            continue
        studies.setdefault(item.nct_id, item)
    chosen = [studies[n] for n in BIG if n in studies]
    others = [studies[n] for n in sorted(studies) if n not in BIG]
    chosen += others[: max(0, n_studies - len(chosen))]
    return examples + chosen


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def per_pdf_times(trials: list[Trial]) -> dict[Kind, list[float]]:
    """Seconds per PDF in this warm process: render (as jobs=1 does) plus the file write."""
    out: dict[Kind, list[float]] = {k: [] for k in KINDS}
    renderer = get_renderer()
    with tempfile.TemporaryDirectory() as tmp:
        for trial in trials:
            for kind in KINDS:
                start = time.perf_counter()
                data = renderer.render(trial, kind, Options())
                (Path(tmp) / f"{trial.nct_id}-{kind}.pdf").write_bytes(data)
                out[kind].append(time.perf_counter() - start)
    return out


def floor_times(trials: list[Trial]) -> list[float]:
    """Bare WeasyPrint on our pre-rendered HTML: the least any wrapper could cost."""
    from weasyprint import HTML

    renderer = get_renderer()
    opts = Options()
    htmls = [renderer.html(t, k, opts) for t in trials for k in KINDS]
    times = []
    for html in htmls:
        start = time.perf_counter()
        HTML(string=html).write_pdf(
            stylesheets=[renderer.css, renderer.page_css["A4"]],
            font_config=renderer.font_config,
            pdf_variant="pdf/ua-1",
            pdf_identifier=True,
        )
        times.append(time.perf_counter() - start)
    return times


def pool_time(trials: list[Trial], jobs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        return timed(lambda: render_pdfs(trials, Path(tmp), jobs=jobs))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--studies", type=int, default=20, help="API v2 studies besides the examples"
    )
    args = parser.parse_args()

    import weasyprint

    trials = load_trials(args.studies)
    n_pdfs = 2 * len(trials)

    # warm-up: imports, fonts, stylesheets (what every worker pays once)
    warm = timed(lambda: get_renderer().render(trials[0], "brief", Options()))

    per = per_pdf_times(trials)
    floor = floor_times(trials)
    jobs1 = pool_time(trials, 1)
    jobs2 = pool_time(trials, 2)
    with tempfile.TemporaryDirectory() as tmp:
        render_pdfs(trials, Path(tmp), jobs=2)
        cached = timed(lambda: render_pdfs(trials, Path(tmp), jobs=2))

    brief_mean = statistics.mean(per["brief"])
    check_mean = statistics.mean(per["checklist"])
    ours_per_pdf = jobs1 / n_pdfs
    floor_per_pdf = statistics.mean(floor)

    load = os.getloadavg()
    print("## PDF rendering benchmark")
    print()
    print(
        f"`benchmarks/pdf_bench.py`: {len(trials)} trials ({n_pdfs} PDFs): the two registry-text "
        f"examples and {len(trials) - 2} API v2 studies. WeasyPrint {weasyprint.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} at start of report (the machine is shared)."
    )
    print()
    print("| figure | value |")
    print("| --- | --- |")
    print(f"| first PDF in a fresh process (imports, fonts, CSS) | {warm:.2f} s |")
    print(
        f"| seconds per brief (mean / median / max) | {brief_mean:.3f} / "
        f"{statistics.median(per['brief']):.3f} / {max(per['brief']):.3f} s |"
    )
    print(
        f"| seconds per checklist (mean / median / max) | {check_mean:.3f} / "
        f"{statistics.median(per['checklist']):.3f} / {max(per['checklist']):.3f} s |"
    )
    print(
        f"| `render_pdfs`, jobs=1, all {n_pdfs} PDFs | {jobs1:.2f} s "
        f"({ours_per_pdf:.3f} s per PDF) |"
    )
    print(f"| `render_pdfs`, jobs=2, all {n_pdfs} PDFs | {jobs2:.2f} s |")
    print(f"| speed-up of jobs=2 over jobs=1 | {jobs1 / jobs2:.2f}x |")
    print(f"| floor: bare WeasyPrint on our pre-rendered HTML | {floor_per_pdf:.3f} s per PDF |")
    print(f"| our per-PDF time (jobs=1) / floor | {ours_per_pdf / floor_per_pdf:.2f} |")
    print(f"| rebuild with nothing changed (all {n_pdfs} reused) | {cached:.3f} s |")
    by_id = {t.nct_id: i for i, t in enumerate(trials)}
    for nct, what in zip(BIG, ("19,020-character eligibility text", "437 locations"), strict=True):
        if nct in by_id:
            i = by_id[nct]
            print(
                f"| {nct} ({what}): brief + checklist | "
                f"{per['brief'][i]:.2f} s + {per['checklist'][i]:.2f} s |"
            )
        else:
            print(f"| {nct} ({what}) | not readable: see stderr |")


if __name__ == "__main__":
    main()
