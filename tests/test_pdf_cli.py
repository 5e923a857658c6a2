"""The ``trialpress pdf`` command: a thin adapter, so these check exit codes and messages."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from trialpress.cli import cli


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
