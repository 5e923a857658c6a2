"""PDF rendering benchmark: prints figures (Markdown), it is not a test.

Same trials for every figure: the two registry-text examples plus about 20 API v2 studies,
including NCT05798663 (19,020-character eligibility text) and NCT02513394 (437 locations).

    .venv/bin/python benchmarks/pdf_bench.py [--studies 20] [--repeat 3]

Figures (each the best of ``--repeat`` runs: the machine may be shared):
- seconds per brief and per checklist, in a warm process, doing what ``render_pdfs`` does
  per PDF with ``jobs=1`` (content key, template, WeasyPrint, atomic write);
- speed-up of ``jobs=2`` over ``jobs=1`` (``render_pdfs`` into an empty folder, pools
  included);
- our per-PDF time over the floor: bare WeasyPrint rendering our own pre-rendered HTML in a
  loop (same stylesheets and options), measured alternately with ours;
- the time for the 19,000-character and the 437-location trials;
- a rebuild with nothing changed (every PDF reused from the cache).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trialpress.errors import RecordError
from trialpress.models import Trial
from trialpress.pdf import (
    KINDS,
    Kind,
    Options,
    content_key,
    get_renderer,
    render_pdfs,
    templates_digest,
    write_atomic,
)
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


@dataclass
class DocTimes:
    """Best wall and CPU seconds per document, ours and the floor's."""

    kind: Kind
    ours_wall: float = float("inf")
    ours_cpu: float = float("inf")
    floor_wall: float = float("inf")
    floor_cpu: float = float("inf")


def interleaved_times(trials: list[Trial], repeat: int) -> list[DocTimes]:
    """Per document: our path and the bare-WeasyPrint floor, measured alternately.

    Ours is what ``render_pdfs(jobs=1)`` does per PDF: content key, template, WeasyPrint,
    atomic write. The floor is WeasyPrint alone on our pre-rendered HTML with the same
    stylesheets and options. Measuring them alternately and keeping each one's best of
    ``repeat`` runs keeps a busy, shared machine from favouring either; CPU time (this
    process) is reported too, as other processes' load inflates wall time.
    """
    from weasyprint import HTML

    renderer = get_renderer()
    opts = Options()
    digest = templates_digest(None)
    docs = [(t, k, renderer.html(t, k, opts)) for t in trials for k in KINDS]
    out = [DocTimes(kind) for _, kind, _ in docs]
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(repeat):
            for (trial, kind, html), best in zip(docs, out, strict=True):
                # alternate who goes first: the second render of a text finds warm caches
                for which in ("ours", "floor") if rep % 2 == 0 else ("floor", "ours"):
                    wall, cpu = time.perf_counter(), time.process_time()
                    if which == "ours":
                        content_key(trial, kind, opts, digest)
                        data = renderer.render(trial, kind, opts)
                        write_atomic(Path(tmp) / f"{trial.nct_id}-{kind}.pdf", data)
                        best.ours_wall = min(best.ours_wall, time.perf_counter() - wall)
                        best.ours_cpu = min(best.ours_cpu, time.process_time() - cpu)
                    else:
                        HTML(string=html).write_pdf(
                            stylesheets=[renderer.css, renderer.page_css["A4"]],
                            font_config=renderer.font_config,
                            pdf_variant="pdf/ua-1",
                            pdf_identifier=True,
                        )
                        best.floor_wall = min(best.floor_wall, time.perf_counter() - wall)
                        best.floor_cpu = min(best.floor_cpu, time.process_time() - cpu)
    return out


def pool_time(trials: list[Trial], jobs: int) -> float:
    """Wall time of ``render_pdfs`` into an empty folder (pool start-up included)."""
    with tempfile.TemporaryDirectory() as tmp:
        return timed(lambda: render_pdfs(trials, Path(tmp), jobs=jobs))


def cold_start() -> float:
    """A new Python process that imports trialpress and renders one small brief."""
    code = (
        "from trialpress.models import Trial; from trialpress.pdf import render_brief;"
        "render_brief(Trial(nct_id='NCT00000000', title='x',"
        " source={'format': 'ctgov-json', 'path': 'x'}))"
    )
    return timed(lambda: subprocess.run([sys.executable, "-c", code], check=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--studies", type=int, default=20, help="API v2 studies besides the examples"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best kept)")
    args = parser.parse_args()

    import weasyprint

    trials = load_trials(args.studies)
    n_pdfs = 2 * len(trials)
    load = os.getloadavg()

    cold = cold_start()
    warm = timed(lambda: get_renderer().render(trials[0], "brief", Options()))
    docs = interleaved_times(trials, args.repeat)
    jobs1 = min(pool_time(trials, 1) for _ in range(args.repeat))
    jobs2 = min(pool_time(trials, 2) for _ in range(args.repeat))
    with tempfile.TemporaryDirectory() as tmp:
        render_pdfs(trials, Path(tmp), jobs=2)
        cached = timed(lambda: render_pdfs(trials, Path(tmp), jobs=2))

    def stats(kind: Kind, attr: str) -> str:
        values = [getattr(d, attr) for d in docs if d.kind == kind]
        return (
            f"{statistics.mean(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f} s"
        )

    def mean(attr: str) -> float:
        return statistics.mean(getattr(d, attr) for d in docs)

    load_end = os.getloadavg()
    print("## PDF rendering benchmark")
    print()
    print(
        f"`benchmarks/pdf_bench.py`: {len(trials)} trials ({n_pdfs} PDFs): the two registry-text "
        f"examples and {len(trials) - 2} API v2 studies. WeasyPrint {weasyprint.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} at the start and {load_end[0]:.2f} at the end: the "
        "machine is shared with other work, which inflates wall times (CPU times less so)."
    )
    print()
    print("| figure | value |")
    print("| --- | --- |")
    print(f"| new process: start Python, import, render one small brief | {cold:.2f} s |")
    print(f"| first real PDF in a process (fonts, stylesheets) | {warm:.2f} s |")
    print(f"| seconds per brief, wall (mean / median / max) | {stats('brief', 'ours_wall')} |")
    print(f"| seconds per brief, CPU (mean / median / max) | {stats('brief', 'ours_cpu')} |")
    print(
        f"| seconds per checklist, wall (mean / median / max) | {stats('checklist', 'ours_wall')} |"
    )
    print(
        f"| seconds per checklist, CPU (mean / median / max) | {stats('checklist', 'ours_cpu')} |"
    )
    print(f"| `render_pdfs`, jobs=1, all {n_pdfs} PDFs | {jobs1:.2f} s |")
    print(f"| `render_pdfs`, jobs=2, all {n_pdfs} PDFs | {jobs2:.2f} s |")
    print(f"| speed-up of jobs=2 over jobs=1 | {jobs1 / jobs2:.2f}x |")
    print(
        f"| floor: bare WeasyPrint on our HTML, per PDF (wall; CPU) | "
        f"{mean('floor_wall'):.3f} s; {mean('floor_cpu'):.3f} s |"
    )
    print(f"| ours per PDF (wall; CPU) | {mean('ours_wall'):.3f} s; {mean('ours_cpu'):.3f} s |")
    print(
        f"| ratio of ours to the floor (wall; CPU) | {mean('ours_wall') / mean('floor_wall'):.2f}; "
        f"{mean('ours_cpu') / mean('floor_cpu'):.2f} |"
    )
    print(f"| rebuild with nothing changed (all {n_pdfs} reused) | {cached:.3f} s |")
    by_id = {t.nct_id: i for i, t in enumerate(trials)}
    for nct, what in zip(BIG, ("19,020-character eligibility text", "437 locations"), strict=True):
        if nct in by_id:
            i = by_id[nct]
            brief, checklist = docs[2 * i], docs[2 * i + 1]
            print(
                f"| {nct} ({what}): brief + checklist, wall (CPU) | "
                f"{brief.ours_wall:.2f} s ({brief.ours_cpu:.2f}) + "
                f"{checklist.ours_wall:.2f} s ({checklist.ours_cpu:.2f}) |"
            )
        else:
            print(f"| {nct} ({what}) | not readable: see stderr |")


if __name__ == "__main__":
    main()
