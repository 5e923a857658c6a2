"""The README's promise: from a fresh clone, two commands give a built site and a green run.

The test clones the committed HEAD into a temporary folder with the shared records beside
it, and runs the Quick start commands, read from the README itself, in a new environment:
no active virtual environment, a plain PATH, so the scripts must make their own .venv.
The second command runs the whole suite again, including this file: the inner run sees
``TRIALPRESS_IN_QUICKSTART_TEST=1`` and skips this test, so it does not recurse.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED

INNER = os.environ.get("TRIALPRESS_IN_QUICKSTART_TEST") == "1"
DEMO_TRIALS = ("NCT03809988", "NCT03820830")


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
        "TRIALPRESS_IN_QUICKSTART_TEST": "1",
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
@pytest.mark.skipif(INNER, reason="inner run of the Quick start: do not recurse")
def test_quick_start_from_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "trialpress"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    (tmp_path / "shared").symlink_to(SHARED.parent.resolve(), target_is_directory=True)
    (tmp_path / "inner-tmp").mkdir()
    env = _fresh_env(tmp_path)
    demo, test = quick_start_commands()

    result = _run(demo, clone, env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    site = clone / "build" / "site"
    assert str(site / "index.html") in result.stdout
    assert (site / "index.html").is_file()
    for nct in DEMO_TRIALS:
        assert (site / "trials" / nct / "index.html").is_file()
        for kind in ("brief", "checklist"):
            pdf = site / "pdf" / f"{nct}-{kind}.pdf"
            assert pdf.read_bytes()[:5] == b"%PDF-", pdf
    assert (clone / ".venv" / "bin" / "trialpress").is_file()  # its own environment

    result = _run(test, clone, env)
    tail = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), tail
    assert "failed" not in summary and "error" not in summary, tail
