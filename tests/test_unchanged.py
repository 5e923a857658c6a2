"""Skipping a ``trialpress build`` that would change nothing (:mod:`trialpress.unchanged`).

The skip is taken only when the records, config, templates, options, history and the
output are exactly as the last build left them; these tests change each in turn and check
that the build is then a real one, and that a skipped build reports what the last one
reported (summary, errors, exit status) and leaves every output file untouched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import V2_JSON
from trialpress.cli import cli
from trialpress.templating import default_templates_dir

pytestmark = pytest.mark.slow

SKIPPED = "Nothing changed since the last build"
STUDIES = ("NCT03630471", "NCT00763412")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # the bundled config; cache and history in this folder
    records = tmp_path / "records"
    records.mkdir()
    for nct in STUDIES:
        shutil.copy(next(V2_JSON.rglob(f"{nct}.json")), records / f"{nct}.json")
    return tmp_path


def build(*extra: str) -> Result:
    return CliRunner().invoke(
        cli, ["build", "records", "--out", "site", "--no-pdf", *extra], obj={}
    )


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file's bytes, modification time and inode: a skipped build changes none."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(root).as_posix()] = (p.read_bytes(), st.st_mtime_ns, st.st_ino)
    return out


def test_an_unchanged_build_is_skipped_and_reports_the_same(project: Path) -> None:
    first = build()
    assert first.exit_code == 0, first.output
    assert SKIPPED not in first.stderr
    before = snapshot(project / "site")

    again = build()
    assert again.exit_code == 0, again.output
    assert SKIPPED in again.stderr
    assert snapshot(project / "site") == before
    assert _summary(again) == _summary(first)


def _summary(result: Result) -> list[str]:
    """The summary line without its time."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("Built ")]
    return [re.sub(r" in [0-9.]+ s:", " in T s:", line) for line in lines]


def test_a_record_error_is_reported_again_with_the_same_exit_status(project: Path) -> None:
    (project / "records" / "broken.json").write_text("{not json", encoding="utf-8")
    first = build()
    assert first.exit_code == 1
    errors = [line for line in first.stderr.splitlines() if line.startswith("Error:")]
    assert errors and "broken.json" in errors[0]
    again = build()
    assert again.exit_code == 1
    assert SKIPPED in again.stderr
    assert [line for line in again.stderr.splitlines() if line.startswith("Error:")] == errors
    assert _summary(again) == _summary(first) != []


def _amend_record(project: Path) -> None:
    path = project / "records" / f"{STUDIES[0]}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    ident = data["protocolSection"]["identificationModule"]
    ident["briefTitle"] += " (amended)"
    path.write_text(json.dumps(data), encoding="utf-8")


def _touch_record(project: Path) -> None:
    # Same bytes, new time: the build is skipped (bytes are compared, not times).
    path = project / "records" / f"{STUDIES[0]}.json"
    os.utime(path, ns=(1, 1))


def _edit_output(project: Path) -> None:
    page = project / "site" / "trials" / STUDIES[0] / "index.html"
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<!-- edited --></body>"))


def _remove_output_file(project: Path) -> None:
    (project / "site" / "data" / "finder.js").unlink()


def _add_output_file(project: Path) -> None:
    (project / "site" / "extra.txt").write_text("added by hand", encoding="utf-8")


def _new_record(project: Path) -> None:
    shutil.copy(next(V2_JSON.rglob("NCT05594173.json")), project / "records" / "new.json")


def _lose_history(project: Path) -> None:
    shutil.rmtree(project / ".trialpress" / "history")


def _local_config(project: Path) -> None:
    # A mkdocs.yml in the current folder is the config now used.
    from trialpress.build import bundled_config

    shutil.copytree(bundled_config().parent, project, dirs_exist_ok=True)
    text = (project / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "mkdocs.yml").write_text(text.replace("site_name:", "site_name: X"), "utf-8")


@pytest.mark.parametrize(
    "change",
    [
        _amend_record,
        _new_record,
        _edit_output,
        _remove_output_file,
        _add_output_file,
        _lose_history,
        _local_config,
    ],
)
def test_a_changed_input_or_output_makes_a_real_build(project: Path, change: object) -> None:
    assert build().exit_code == 0
    assert SKIPPED in build().stderr
    change(project)  # type: ignore[operator]
    result = build()
    assert result.exit_code == 0, result.output
    assert SKIPPED not in result.stderr
    assert SKIPPED in build().stderr  # and the next one, unchanged again, is skipped


def test_changed_options_or_templates_make_a_real_build(project: Path) -> None:
    assert build().exit_code == 0
    assert SKIPPED not in build("--site-url", "https://example.org/").stderr
    assert SKIPPED in build("--site-url", "https://example.org/").stderr
    templates = project / "tpl" / "site"
    templates.mkdir(parents=True)
    assert SKIPPED not in build("--templates", "tpl").stderr
    assert SKIPPED in build("--templates", "tpl").stderr
    shipped = default_templates_dir() / "site" / "checklist.md"
    (templates / "checklist.md").write_text(shipped.read_text("utf-8") + "\n", "utf-8")
    assert SKIPPED not in build("--templates", "tpl").stderr
    assert SKIPPED in build("--templates", "tpl").stderr
    assert SKIPPED not in build("--no-cache").stderr  # reuse nothing: never skipped
    assert SKIPPED not in build("--no-cache").stderr
    assert SKIPPED not in build().stderr  # the --no-cache build replaced the output
    _touch_record(project)
    assert SKIPPED in build().stderr


def test_a_change_in_an_inherited_config_file_makes_a_real_build(project: Path) -> None:
    """Theme and plugin options may come from a file the config INHERITs: they count too."""
    from trialpress.build import bundled_config

    shutil.copytree(bundled_config().parent / "docs", project / "docs")
    text = bundled_config().read_text(encoding="utf-8")
    (project / "base.yml").write_text(text, encoding="utf-8")
    (project / "mkdocs.yml").write_text("INHERIT: base.yml\n", encoding="utf-8")
    assert build().exit_code == 0
    assert SKIPPED in build().stderr
    base = (project / "base.yml").read_text(encoding="utf-8")
    (project / "base.yml").write_text(base.replace("    - navigation.top\n", ""), "utf-8")
    result = build()
    assert result.exit_code == 0, result.output
    assert SKIPPED not in result.stderr
    assert SKIPPED in build().stderr


def test_a_build_that_printed_mkdocs_warnings_is_never_skipped(project: Path) -> None:
    """Its warnings are MkDocs' own lines: a skipped build could not print them again."""
    from trialpress.build import bundled_config

    shutil.copytree(bundled_config().parent, project, dirs_exist_ok=True)
    index = project / "docs" / "index.md"
    index.write_text(index.read_text("utf-8") + "\n[gone](missing.md)\n", encoding="utf-8")
    first = build("--no-strict")
    assert first.exit_code == 0, first.output
    assert "missing.md" in first.stderr
    again = build("--no-strict")
    assert again.exit_code == 0
    assert SKIPPED not in again.stderr
    assert "missing.md" in again.stderr


def test_the_fingerprint_is_the_same_in_every_process(project: Path) -> None:
    """Each build is its own process with its own string hashing: nothing in the inputs'
    fingerprint may depend on it (a set's order did: no build was ever skipped)."""
    code = (
        "from trialpress.build import Asked, skip_check;"
        "print(skip_check(['records'], 'site', Asked(cache='.trialpress/cache'))[0])"
    )
    prints = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(prints) == 1 and len(next(iter(prints))) == 64


def test_bytecode_written_by_any_process_is_no_change(project: Path) -> None:
    """Python writes ``__pycache__`` files beside trialpress's source whenever a process
    first imports a module (a fresh install, another build): that is not a change of what
    a build makes, so the next build is still skipped."""
    import trialpress

    assert build().exit_code == 0
    assert SKIPPED in build().stderr
    cache = Path(trialpress.__file__).parent / "readers" / "__pycache__"
    cache.mkdir(exist_ok=True)
    pyc = cache / f"test_unchanged_{os.getpid()}.cpython-311.pyc"
    pyc.write_bytes(b"not a change")
    try:
        assert SKIPPED in build().stderr
    finally:
        pyc.unlink()
