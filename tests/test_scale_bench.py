"""The scale benchmark still runs: every figure printed for a tiny N (so the script never rots).

The figures themselves are not checked (no test asserts a duration); the rows, the
generated records and the built site are.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.site_helpers import ROOT, pagefind_records

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RUNS = [
    "full build, no PDFs",
    "rebuild, nothing changed, no PDFs",
    "full build with PDFs",
    "PDFs alone (trialpress pdf)",
    "rebuild, nothing changed, with PDFs",
    "rebuild, one trial changed, no PDFs",
    "rebuild, one trial changed, with PDFs",
]


def test_scale_bench_prints_every_figure(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "scale_bench.py"),
            "--n",
            "3",
            "--pdf-up-to",
            "3",
            "--keep",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = {}
    for line in run.stdout.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0] == "3":
            rows[cells[1]] = cells
    for name in RUNS:
        seconds, rss = rows[name][2:4]
        assert float(seconds) > 0 and re.fullmatch(r"\d+\.\d MB", rss) and rss != "0.0 MB", name
    search = next(cells for name, cells in rows.items() if name.startswith("first search"))
    assert re.match(r"\d+ KB loaded: index [1-9]\d* KB \([1-3] fragments\)", search[4]), search
    assert re.search(r"box says \"\d+ matching documents?\"", search[4]), search
    assert "full / PDFs alone = " in rows["PDFs alone (trialpress pdf)"][4]

    work = tmp_path / "n3"
    records = sorted(p.name for p in (work / "records").iterdir())
    assert records == ["NCT90000000.json", "NCT90000001.json", "NCT90000002.json"]
    amended = [p for p in (work / "records").iterdir() if "(amended)" in p.read_text("utf-8")]
    assert [p.name for p in amended] == ["NCT90000001.json"]
    for nct in ("NCT90000000", "NCT90000001", "NCT90000002"):
        assert (work / "pages" / "site" / "trials" / nct / "index.html").is_file()
        assert (work / "pdf-alone" / "pdf" / f"{nct}-brief.pdf").is_file()


def test_scale_bench_search_only(tmp_path: Path) -> None:
    script = ROOT / "benchmarks" / "scale_bench.py"
    run = subprocess.run(
        [sys.executable, str(script), "--n", "5", "--search-only", "--keep", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    indexed = r"^\| 5 \| read the records, then index .*indexing alone \d+\.\d s"
    assert re.search(indexed, run.stdout, re.M)
    assert re.search(r"^\| 5 \| first search .* box says \"\d+ matching", run.stdout, re.M)
    # The site around the search box has 3 trial pages; its index holds all 5 trials.
    site = tmp_path / "n5" / "pages" / "site"
    assert len(list((site / "trials").glob("NCT*/index.html"))) == 3
    urls = {r["url"] for r in pagefind_records(site / "pagefind")}
    assert {f"/trials/NCT9000000{i}/" for i in range(5)} <= urls
