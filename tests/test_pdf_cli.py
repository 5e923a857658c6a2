"""The ``trialpress pdf`` command: a thin adapter, so these check exit codes and messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from trialpress.cli import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "records"


def test_pdf_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = CliRunner().invoke(cli, ["-q", "pdf", str(missing), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {missing}: no such file\n"
    assert not list((tmp_path / "o").glob("*.pdf"))


def test_pdf_bad_page_size_is_bad_usage(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["pdf", "x.json", "--page-size", "A5"])
    assert result.exit_code == 2
    assert "Invalid value for '--page-size'" in result.stderr


def test_pdf_needs_records() -> None:
    result = CliRunner().invoke(cli, ["pdf"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_pdf_renders_the_examples_and_reports_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json", encoding="utf-8")
    out = tmp_path / "pdf"
    result = CliRunner().invoke(
        cli, ["-q", "pdf", str(EXAMPLES), str(bad), "--out", str(out), "--jobs", "2"]
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"Error: {bad}")
    assert result.stderr.count("Error:") == 1
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        "NCT03809988-brief.pdf",
        "NCT03809988-checklist.pdf",
        "NCT03820830-brief.pdf",
        "NCT03820830-checklist.pdf",
    ]
    again = CliRunner().invoke(cli, ["-q", "pdf", str(EXAMPLES), "--out", str(out)])
    assert again.exit_code == 0
    assert again.stderr == ""
