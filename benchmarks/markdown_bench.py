"""Markdown cost of standalone pages: prints figures, asserts nothing (not a test).

Generates the trial, checklist, results and term pages of every shared API v2 study (or of
the records given) and renders each one's Markdown with the bundled MkDocs config twice:
MkDocs' own ``Page.render`` and :func:`trialpress.fastpage.render`. Prints milliseconds per
page (CPU, best of ``--repeat`` passes) by page kind, how many pages took the fast path and
whether every output was equal (the tests prove equality; this only reports it).

Run: ``.venv/bin/python benchmarks/markdown_bench.py [RECORDS...] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from mkdocs.config import load_config
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from trialpress import fastpage
from trialpress.build import bundled_config
from trialpress.corpus import Corpus
from trialpress.models import Trial
from trialpress.publish import PublishOptions, generate
from trialpress.readers import read_paths

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT.parent / "shared" / "data" / "ctgov" / "v2-json"


def _kind(src: str) -> str:
    folder = src.split("/")[0]
    return folder if folder in ("trials", "checklists", "results") else "term"


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", nargs="*", type=Path, default=[STUDIES])
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best is kept")
    args = parser.parse_args(argv)
    trials = [r for r in read_paths(args.records) if isinstance(r, Trial)]
    with tempfile.TemporaryDirectory() as tmp:
        generated = generate(Corpus(trials), PublishOptions(pdf=False), Path(tmp))
        pages = {src: generated.pages[src].read_text("utf-8") for src in generated.standalone}
    config = load_config(str(bundled_config()))
    config = config.plugins.on_config(config)
    files = Files([])

    def page(src: str) -> Page:
        file = File.generated(config, src, content=pages[src], inclusion=InclusionLevel.NOT_IN_NAV)
        p = Page(None, file, config)
        p.read_source(config)
        return p

    best: dict[tuple[str, str], float] = {}
    fast = equal = 0
    for _ in range(args.repeat):
        spent: dict[tuple[str, str], float] = defaultdict(float)
        fast = equal = 0
        for src in pages:
            kind = _kind(src)
            engine, ours = page(src), page(src)
            start = time.process_time()
            engine.render(config, files)
            spent[(kind, "engine")] += time.process_time() - start
            start = time.process_time()
            fast += fastpage.render(ours, config, files)
            spent[(kind, "fast")] += time.process_time() - start
            equal += (engine.content, str(engine.toc)) == (ours.content, str(ours.toc))
        for key, seconds in spent.items():
            best[key] = min(best.get(key, seconds), seconds)
    counts: dict[str, int] = defaultdict(int)
    for src in pages:
        counts[_kind(src)] += 1
    print(f"{len(trials)} trials, {len(pages)} standalone pages; fast path {fast}, equal {equal}")
    print("| kind | pages | Page.render ms/page | fastpage ms/page | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for kind, n in sorted(counts.items()):
        e, f = best[(kind, "engine")], best[(kind, "fast")]
        print(f"| {kind} | {n} | {1000 * e / n:.2f} | {1000 * f / n:.2f} | {e / f:.1f}x |")
    e = sum(v for (_, w), v in best.items() if w == "engine")
    f = sum(v for (_, w), v in best.items() if w == "fast")
    print(
        f"| all | {len(pages)} | {1000 * e / len(pages):.2f} | {1000 * f / len(pages):.2f} |"
        f" {e / f:.1f}x |"
    )


if __name__ == "__main__":
    main()
