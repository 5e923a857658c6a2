"""``trialpress build``: atomic output swap, failures, strictness, overrides, the CLI."""

from __future__ import annotations

import calendar
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import V2_JSON, default_sigint
from tests.sample_trials import PALMIRA_ID, POLAR_ID, palmira, polar
from tests.site_helpers import check_links, mkdocs_build, trialpress_serve
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
    with pytest.raises(BuildError, match="holds no built site"):
        build_trials([polar()], out, pdf=False)
    assert sorted(p.name for p in out.iterdir()) == ["stale.txt"]
    (out / "index.html").write_text("old site")
    result = build_trials([polar(), palmira()], out, strict=True, pdf=False)
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
        build_trials([polar()], out, templates=tmp_path / "tpl", pdf=False)
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
    build_trials([polar()], tmp_path / "out", templates=tmp_path / "tpl", pdf=False)
    html = (tmp_path / "out" / "trials" / POLAR_ID / "index.html").read_text("utf-8")
    assert "OVERRIDDEN POLAR" in html


def test_duplicates_are_reported_and_the_rest_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = build_trials([polar(), palmira(), polar()], tmp_path / "out", pdf=False)
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
        build_trials([polar()], out, config_file=cfg, strict=True, pdf=False)
    assert not out.exists()
    result = build_trials([polar()], out, config_file=cfg, strict=False, pdf=False)
    assert (out / "trials" / POLAR_ID / "index.html").is_file()
    assert result.errors == []
    # trialpress build keeps generated pages in its own temporary folder, never beside
    # the config, so concurrent builds of one project cannot clash; only the history of
    # trial versions is kept there (issue 14: beside mkdocs.yml, across builds).
    assert sorted(p.name for p in (tmp_path / ".trialpress").iterdir()) == ["history"]
    assert (tmp_path / ".trialpress" / "history" / POLAR_ID / "versions.json").is_file()
    assert _leftovers(tmp_path, "out") == []


def test_config_without_the_plugin_is_refused(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# x\n")
    cfg = tmp_path / "mkdocs.yml"
    cfg.write_text("site_name: t\ntheme:\n  name: material\n  font: false\n")
    with pytest.raises(BuildError, match="does not use the trialpress plugin"):
        build_trials([polar()], tmp_path / "out", config_file=cfg, pdf=False)


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


def _user_site(tmp_path: Path, pdf: bool = True) -> Path:
    """A user's own MkDocs site using the plugin, with copies of the bundled examples."""
    records = tmp_path / "records"
    records.mkdir()
    for src in (ROOT / "examples" / "records").iterdir():
        (records / src.name).write_bytes(src.read_bytes())
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# My trials\n\n[All](trials/index.md)\n")
    cfg = tmp_path / "mkdocs.yml"
    cfg.write_text(
        "site_name: My trials\n"
        "theme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - trialpress:\n      records: [records]\n"
        f"      pdf: {'true' if pdf else 'false'}\n      jobs: 1\n"
    )
    return cfg


def test_plain_mkdocs_build_uses_the_plugin_entry_point(tmp_path: Path) -> None:
    cfg = _user_site(tmp_path)
    run = mkdocs_build(cfg, "--strict")
    assert run.returncode == 0, run.stderr
    page = tmp_path / "site" / "trials" / POLAR_ID / "index.html"
    html = page.read_text("utf-8")
    assert f'href="../../trials/{PALMIRA_ID}/"' in html
    assert (tmp_path / "site" / "data" / f"{PALMIRA_ID}.json").is_file()
    # PDFs are rendered into the generated folder, added as files and linked.
    for nct in (POLAR_ID, PALMIRA_ID):
        for kind in ("brief", "checklist"):
            pdf = tmp_path / "site" / "pdf" / f"{nct}-{kind}.pdf"
            assert pdf.read_bytes().startswith(b"%PDF-"), pdf
            assert (tmp_path / ".trialpress" / "site" / "pdf" / pdf.name).is_file()
    assert f'href="../../pdf/{POLAR_ID}-brief.pdf"' in html
    assert check_links(tmp_path / "site") > 100

    bad = tmp_path / "records" / "broken.json"
    bad.write_text('{"protocolSection": ')
    run = mkdocs_build(cfg, "--strict")
    assert run.returncode == 1
    assert re.search(r"ERROR\s+-\s+\S*broken\.json(:\d+)?: ", run.stderr), run.stderr


def test_serve_shows_the_trial_pages(tmp_path: Path) -> None:
    cfg = _user_site(tmp_path, pdf=False)
    polar_record = str(tmp_path / "records" / f"{POLAR_ID}.txt")
    with trialpress_serve(
        [polar_record, "--config", str(cfg)], tmp_path, f"trials/{POLAR_ID}/"
    ) as url:
        with urllib.request.urlopen(f"{url}trials/{POLAR_ID}/", timeout=5) as resp:
            body = resp.read().decode("utf-8")
        assert "Palbociclib for HR Positive" in body
        # Only the record named on the command line is served, not the config's folder.
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{url}trials/{PALMIRA_ID}/", timeout=5)
        missing.value.close()
        assert missing.value.code == 404


def test_two_builds_are_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    trials = [polar(), palmira()]
    build_trials(trials, tmp_path / "a", cache_dir=tmp_path / "ca", pdf=False)
    build_trials(trials, tmp_path / "b", cache_dir=tmp_path / "cb", pdf=False)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    assert files_a == files_b
    for rel in files_a:
        if (tmp_path / "a" / rel).is_file():
            assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    # The one date MkDocs stamps (gzip header of the sitemap) is PALMIRA's last update.
    header = (tmp_path / "a" / "sitemap.xml.gz").read_bytes()[:8]
    assert int.from_bytes(header[4:8], "little") == calendar.timegm((2025, 6, 4, 0, 0, 0))


def test_links_resolve_without_directory_urls(tmp_path: Path) -> None:
    cfg = tmp_path / "mkdocs.yml"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\n[All trials](trials/index.md)\n")
    cfg.write_text(
        "site_name: t\nuse_directory_urls: false\ntheme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - trialpress\n"
    )
    out = tmp_path / "out"
    build_trials([polar(), palmira()], out, config_file=cfg, strict=True, pdf=False)
    assert (out / "trials" / f"{POLAR_ID}.html").is_file()
    assert f'href="../trials/{PALMIRA_ID}.html"' in (out / "trials" / f"{POLAR_ID}.html").read_text(
        "utf-8"
    )
    assert check_links(out) > 200


def test_pdfs_are_linked_and_reused_from_the_output_they_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    build_trials([polar(), palmira()], out, pdf=True)
    pdfs = {p.name: p.read_bytes() for p in (out / "pdf").glob("*.pdf")}
    assert sorted(pdfs) == sorted(
        f"{n}-{k}.pdf" for n in (POLAR_ID, PALMIRA_ID) for k in ("brief", "checklist")
    )
    assert all(data.startswith(b"%PDF-") for data in pdfs.values())
    manifest = out / "pdf" / ".trialpress-pdf.json"
    keys = json.loads(manifest.read_text())["pdfs"]
    assert sorted(keys) == sorted(pdfs)
    assert check_links(out) > 100
    # A damaged PDF in the old output is not reused: the new build renders it again.
    (out / "pdf" / f"{POLAR_ID}-brief.pdf").write_bytes(b"damaged")
    result = build_trials([polar(), palmira()], out, pdf=True)
    assert result.errors == []
    again = {p.name: p.read_bytes() for p in (out / "pdf").glob("*.pdf")}
    assert sorted(again) == sorted(pdfs)
    assert again[f"{POLAR_ID}-brief.pdf"].startswith(b"%PDF-")
    assert again[f"{PALMIRA_ID}-brief.pdf"] == pdfs[f"{PALMIRA_ID}-brief.pdf"]


def test_output_overlapping_docs_or_a_file_is_refused(tmp_path: Path) -> None:
    cfg = _user_site(tmp_path, pdf=False)
    for bad in (tmp_path / "docs" / "out", tmp_path / "docs", tmp_path):
        with pytest.raises(BuildError, match="overlaps docs_dir"):
            build_trials([polar()], bad, config_file=cfg, pdf=False)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(BuildError, match="not a folder"):
        build_trials([polar()], tmp_path / "afile", config_file=cfg, pdf=False)
    assert (tmp_path / "afile").read_text() == "x"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_build_leaves_previous_output_untouched(
    tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "index.html").write_text("previous site")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from trialpress.cli import main; main()",
            "build",
            str(V2_JSON),
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    try:
        deadline = time.monotonic() + 120
        while not _leftovers(tmp_path, "out") and time.monotonic() < deadline:
            assert proc.poll() is None
            time.sleep(0.1)
        time.sleep(1.5)  # well into reading, rendering or PDFs
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + sig, stderr[-3000:]
    assert "Traceback" not in stderr
    assert "the previous output is unchanged" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    assert (out / "index.html").read_text() == "previous site"
    assert _leftovers(tmp_path, "out") == []


def test_generated_folder_inside_docs_is_refused(tmp_path: Path) -> None:
    cfg = _user_site(tmp_path, pdf=False)
    cfg.write_text(cfg.read_text() + "      cache_dir: docs/generated\n")
    run = mkdocs_build(cfg)
    assert run.returncode == 1
    assert "cache_dir" in run.stderr and "is inside docs_dir" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "docs" / "generated").exists()
