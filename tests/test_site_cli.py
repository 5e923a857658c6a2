"""``trialpress build``: atomic output swap, failures, strictness, overrides, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.sample_trials import POLAR_ID, palmira, polar
from trialpress.build import build_trials
from trialpress.cli import cli
from trialpress.errors import BuildError, RenderError

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}"))


def test_bundled_config_builds_and_replaces_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no mkdocs.yml here: the bundled config is used
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old build")
    result = build_trials([polar(), palmira()], out, strict=True)
    assert result.errors == [] and result.trials == 2
    assert not (out / "stale.txt").exists()
    assert (out / "trials" / POLAR_ID / "index.html").is_file()
    assert (out / "assets" / "trialpress" / "trialpress.js").is_file()
    assert _leftovers(tmp_path, "out") == []
    assert "Built 2 trials" in result.summary()


def test_failure_in_a_renderer_leaves_previous_output_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("previous site")
    broken = tmp_path / "tpl" / "site"
    broken.mkdir(parents=True)
    (broken / "checklist.md").write_text("{# context: trial #}{{ trial.no_such_field }}")
    with pytest.raises(RenderError, match=r"checklist\.md"):
        build_trials([polar()], out, templates=tmp_path / "tpl")
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    assert (out / "index.html").read_text() == "previous site"
    assert _leftovers(tmp_path, "out") == []


def test_override_templates_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    tpl = tmp_path / "tpl" / "site"
    tpl.mkdir(parents=True)
    (tpl / "trial.md").write_text(
        '{# context: trial #}{% extends "base.md" %}'
        "{% block title %}{{ trial.title|front_matter }}{% endblock %}"
        "{% block description %}x{% endblock %}"
        "{% block body %}<p>OVERRIDDEN {{ trial.acronym }}</p>{% endblock %}\n"
    )
    build_trials([polar()], tmp_path / "out", templates=tmp_path / "tpl")
    html = (tmp_path / "out" / "trials" / POLAR_ID / "index.html").read_text("utf-8")
    assert "OVERRIDDEN POLAR" in html


def test_duplicates_are_reported_and_the_rest_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = build_trials([polar(), palmira(), polar()], tmp_path / "out")
    assert [e.message.split(":")[0] for e in result.errors] == [f"duplicate NCT ID {POLAR_ID}"]
    assert result.trials == 2


def test_strict_mode_fails_on_mkdocs_warnings(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[broken](nowhere.md)\n")
    cfg = tmp_path / "mkdocs.yml"
    cfg.write_text(
        "site_name: t\ntheme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - trialpress\n"
    )
    out = tmp_path / "out"
    with pytest.raises(BuildError, match="MkDocs build failed"):
        build_trials([polar()], out, config_file=cfg, strict=True)
    assert not out.exists()
    result = build_trials([polar()], out, config_file=cfg, strict=False)
    assert (out / "trials" / POLAR_ID / "index.html").is_file()
    assert result.errors == []
    assert (tmp_path / ".trialpress" / "site" / "trials" / f"{POLAR_ID}.md").is_file()


def test_config_without_the_plugin_is_refused(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# x\n")
    cfg = tmp_path / "mkdocs.yml"
    cfg.write_text("site_name: t\ntheme:\n  name: material\n  font: false\n")
    with pytest.raises(BuildError, match="does not use the trialpress plugin"):
        build_trials([polar()], tmp_path / "out", config_file=cfg)


def test_cli_build_reports_errors_and_exit_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    missing = runner.invoke(cli, ["build", "x", "--config", "nope.yml"], obj={})
    assert missing.exit_code == 1
    assert missing.output.strip() == "Error: nope.yml: no such MkDocs config file"
    (tmp_path / "bad.txt").write_text("not a record\n")
    res = runner.invoke(cli, ["build", "bad.txt", "--out", "out"], obj={})
    assert res.exit_code == 1
    assert "Error: bad.txt:1: not a recognised trial record" in res.output
    assert "Built 0 trials" in res.output
    assert (tmp_path / "out" / "index.html").is_file()
    usage = runner.invoke(cli, ["build"], obj={})
    assert usage.exit_code == 2
