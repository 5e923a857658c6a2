"""The README's promise: from a fresh clone, two commands give a built site and a test run.

The test clones the committed HEAD into a temporary folder with the shared records beside
it, and runs the Quick start commands, read from the README itself, in a new environment:
no active virtual environment, a plain PATH, so the scripts must make their own .venv.
The demo must build the site with its PDFs and print no WeasyPrint warning (a missing
Debian library such as HarfBuzz-Subset shows up there first). The test command is given
one fast test file as its arguments: that proves it sets up, lints, type-checks and starts
pytest in the clone without running the whole suite a second time (CI runs the test
command itself on a clean clone).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED

DEMO_TRIALS = ("NCT03809988", "NCT03820830")
#: What the test command is asked to run in the clone: a quick file of plain unit tests.
FAST_TESTS = "tests/test_enums.py"


def quick_start_commands() -> list[str]:
    """The lines of the first code block under ``## Quick start`` in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Quick start\n", 1)[1]
    match = re.search(r"```[a-z]*\n(.*?)```", section, re.S)
    assert match, "no code block in the Quick start section"
    return [line for line in match.group(1).splitlines() if line.strip()]


def test_quick_start_has_exactly_the_two_commands() -> None:
    assert quick_start_commands() == ["./scripts/demo", "./scripts/test"]


def _fresh_env(tmp: Path) -> dict[str, str]:
    return {
        "HOME": os.environ.get("HOME", str(tmp)),
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        # the inner pytest keeps its temporary folders apart from ours
        "PYTEST_DEBUG_TEMPROOT": str(tmp / "inner-tmp"),
    }


def _run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.slow
def test_quick_start_from_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "trialpress"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    (tmp_path / "shared").symlink_to(SHARED.parent.resolve(), target_is_directory=True)
    (tmp_path / "inner-tmp").mkdir()
    env = _fresh_env(tmp_path)
    demo, test = quick_start_commands()

    result = _run(demo, clone, env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    warned = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "WeasyPrint" in line or "HarfBuzz" in line
    ]
    assert warned == [], "\n".join(warned[:5])
    site = clone / "build" / "site"
    assert str(site / "index.html") in result.stdout
    assert (site / "index.html").is_file()
    for nct in DEMO_TRIALS:
        assert (site / "trials" / nct / "index.html").is_file()
        for kind in ("brief", "checklist"):
            pdf = site / "pdf" / f"{nct}-{kind}.pdf"
            assert pdf.read_bytes()[:5] == b"%PDF-", pdf
    assert (clone / ".venv" / "bin" / "trialpress").is_file()  # its own environment

    result = _run(f"{test} {FAST_TESTS}", clone, env)
    tail = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    assert "Success: no issues found" in result.stdout, tail  # mypy ran on the clone
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"=+ \d+ passed in [\d.]+s(?: \([\d:]+\))? =+", summary), tail
