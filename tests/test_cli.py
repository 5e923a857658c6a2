"""The CLI's contract: exit status, the exact one-line errors, global options, docs in sync."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from tests.conftest import ROOT
from trialpress import __version__, clidoc
from trialpress.cli import cli

README = ROOT / "README.md"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="trialpress")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder so relative paths in messages are short and predictable."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"trialpress, version {__version__}\n"


def test_missing_file() -> None:
    result = run("parse", "nosuch.json")
    assert result.exit_code == 1
    assert result.stderr == "Error: nosuch.json: no such file\n"


def test_validate_missing_file_reports_and_summarises() -> None:
    result = run("validate", "nosuch.json")
    assert result.exit_code == 1
    assert result.stderr == "Error: nosuch.json: no such file\n0 trials, 0 warnings, 1 error\n"


def test_binary_junk_is_an_unreadable_record(in_tmp: Path) -> None:
    (in_tmp / "junk.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    result = run("validate", "junk.json")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "Error: junk.json: binary file, not a trial record"
    assert "Traceback" not in result.output


def test_unrecognised_text(in_tmp: Path) -> None:
    (in_tmp / "notes.txt").write_text("shopping list\neggs\n", encoding="utf-8")
    result = run("validate", "notes.txt")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: notes.txt:1: not a recognised trial record (expected registry page text, "
        "ClinicalTrials.gov API v2 JSON or legacy ClinicalTrials.gov XML)"
    )


def test_every_bad_file_is_reported_and_quiet_keeps_only_errors(in_tmp: Path) -> None:
    (in_tmp / "junk.bin").write_bytes(b"\x00\x01\x02")
    result = run("--quiet", "validate", "nosuch.json", "junk.bin")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: nosuch.json: no such file\nError: junk.bin: binary file, not a trial record\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "Error: No such command 'nosuch'."),
        (["validate"], "Error: Missing argument 'PATHS...'."),
        (["fetch"], "Error: Missing argument 'NCT...'."),
        (["parse", "--bogus", "x"], "Error: No such option '--bogus'."),
        (
            ["fetch", "NCT03820830", "--retries", "-1"],
            "Error: Invalid value for '--retries': -1 is not in the range x>=0.",
        ),
        (
            ["--quiet", "--verbose", "schema"],
            "Error: --quiet and --verbose cannot be used together",
        ),
    ],
)
def test_bad_usage_exits_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == message
    assert result.stderr.startswith("Usage: trialpress")


def test_unexpected_exception_is_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import trialpress.readers as readers_module

    def explode(*args: object) -> list[object]:
        raise RuntimeError("boom")

    # A bug we cannot provoke through input: simulate it where reading happens.
    monkeypatch.setattr(readers_module, "read_file", explode)
    result = run("validate", "x.json")
    assert result.exit_code == 1
    assert result.stderr == "Error: internal error: RuntimeError: boom\n"
    result = run("--verbose", "validate", "x.json")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.endswith("Error: internal error: RuntimeError: boom\n")


def test_schema_prints_json_schema() -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert '"title": "Trial"' in result.stdout


# ------------------------------------------------------------------ README's CLI reference


def test_every_command_is_documented_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    assert isinstance(cli, click.Group)
    missing = [name for name in cli.commands if f"### `trialpress {name}`" not in text]
    assert missing == [], f"commands missing from README.md: {missing}"


def test_readme_cli_reference_is_generated_from_the_cli() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index(clidoc.START) + len(clidoc.START) + 1
    end = text.index(clidoc.END)
    assert text[start:end] == clidoc.render(), (
        "README.md's CLI reference differs from the CLI: run python -m trialpress.clidoc"
    )


def test_clidoc_check_and_rewrite(in_tmp: Path) -> None:
    readme = in_tmp / "README.md"
    readme.write_text(f"# x\n\n{clidoc.START}\nstale\n{clidoc.END}\n\nafter\n", encoding="utf-8")
    assert clidoc.main(["--check", str(readme)]) == 1
    assert "stale" in readme.read_text(encoding="utf-8")
    assert clidoc.main([str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "stale" not in text
    assert text.endswith(f"{clidoc.END}\n\nafter\n")
    assert re.search(r"### `trialpress validate`\n\n```text\nUsage: trialpress validate", text)
    assert clidoc.main(["--check", str(readme)]) == 0


# ------------------------------------------------------------------ records that read

EXAMPLES = ROOT / "examples" / "records"
PALMIRA_WARNINGS = [
    "Warning: palmira.txt:14: Brief Summary section is empty [empty-section]",
    "Warning: palmira.txt:28: Detailed Description section is empty [empty-section]",
    "Warning: palmira.txt:30: Conditions section is empty [empty-section]",
    "Warning: palmira.txt:61: inclusion list starts at item 2 in the source; numbering kept "
    "[list-starts-late]",
    "Warning: palmira.txt:82: exclusion list starts at item 2 in the source; numbering kept "
    "[list-starts-late]",
]


@pytest.fixture
def records(in_tmp: Path) -> Path:
    """PALMIRA as bundled (5 reader warnings) and a clean minimal API v2 study."""
    shutil.copy(EXAMPLES / "NCT03809988.txt", in_tmp / "palmira.txt")
    clean = {
        "protocolSection": {"identificationModule": {"nctId": "NCT00000001", "briefTitle": "A"}}
    }
    (in_tmp / "clean.json").write_text(json.dumps(clean), encoding="utf-8")
    return in_tmp


def test_validate_reports_every_warning_and_passes_without_strict(records: Path) -> None:
    result = run("validate", "palmira.txt")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [*PALMIRA_WARNINGS, "1 trial, 5 warnings, 0 errors"]


def test_validate_strict_fails_on_warnings(records: Path) -> None:
    assert run("validate", "--strict", "clean.json").exit_code == 0
    result = run("validate", "--strict", "palmira.txt", "clean.json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        *PALMIRA_WARNINGS,
        "2 trials, 5 warnings, 0 errors",
        "Error: 5 warnings in strict mode",
    ]
    quiet = run("--quiet", "validate", "--strict", "palmira.txt")
    assert quiet.exit_code == 1
    assert quiet.stderr == "Error: 5 warnings in strict mode\n"


def test_verbose_prints_warnings_from_every_command_and_default_does_not(records: Path) -> None:
    plain = run("parse", "palmira.txt")
    assert plain.exit_code == 0
    assert plain.stderr == ""
    loud = run("--verbose", "parse", "palmira.txt")
    assert loud.exit_code == 0
    assert loud.stderr.splitlines() == PALMIRA_WARNINGS
    assert json.loads(loud.stdout)["nct_id"] == "NCT03809988"


def test_invalid_json_is_an_unreadable_record_and_the_others_still_read(records: Path) -> None:
    (records / "broken.json").write_text('{\n  "protocolSection": {\n', encoding="utf-8")
    result = run("validate", "broken.json", "clean.json")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: broken.json:3: invalid JSON: Expecting property name enclosed in double "
        "quotes (column 1)",
        "1 trial, 0 warnings, 1 error",
    ]


# ------------------------------------------------------------------ progress and summary


def _run_on_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal, as a person would see it."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trialpress.cli", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_only_on_a_terminal_and_not_when_quiet(records: Path) -> None:
    status, screen = _run_on_terminal(["validate", "clean.json", "palmira.txt"], records)
    assert status == 0
    assert "Reading records" in screen
    assert "2/2" in screen  # counts
    assert "2 trials, 5 warnings, 0 errors" in screen
    status, screen = _run_on_terminal(["--quiet", "validate", "clean.json"], records)
    assert status == 0
    assert screen == ""
    piped = run("validate", "clean.json")  # not a terminal: no bar
    assert "Reading records" not in piped.stderr


def test_run_summary_line() -> None:
    from trialpress.cli import RunSummary

    summary = RunSummary(trials=2, warnings=1, failures=0, started=0.0)
    assert re.fullmatch(r"Built 2 trials, 1 warning, 0 failures in \d+\.\d s", summary.line())
    assert summary.exit_status == 0
    summary.failures = 1
    assert summary.exit_status == 1
    assert "1 failure in" in summary.line()


@pytest.mark.slow
def test_verbose_build_prints_every_warning_and_errors_once(records: Path) -> None:
    (records / "bad.txt").write_text("not a record\n", encoding="utf-8")
    result = run("--verbose", "build", "palmira.txt", "bad.txt", "--no-pdf", "--out", "out")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [ln for ln in lines if ln.startswith("Warning: palmira.txt")] == PALMIRA_WARNINGS
    assert [ln for ln in lines if ln.startswith("Error:")] == [
        "Error: bad.txt:1: not a recognised trial record (expected registry page text, "
        "ClinicalTrials.gov API v2 JSON or legacy ClinicalTrials.gov XML)"
    ]
    assert (records / "out" / "trials" / "NCT03809988" / "index.html").is_file()


def test_validate_strict_passes_a_record_whose_extra_data_is_only_noted(in_tmp: Path) -> None:
    """Data kept in ``extra`` (submission dates, ...) is reported as a note, not a warning:
    every real API study has some, and ``--strict`` must still be usable on real records."""
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT00000002", "briefTitle": "B"},
            "statusModule": {"studyFirstSubmitDate": "2024-01-02"},
        }
    }
    (in_tmp / "study.json").write_text(json.dumps(study), encoding="utf-8")
    result = run("validate", "--strict", "study.json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "Note: study.json:1: kept in extra, no model field for: "
        "protocolSection.statusModule.studyFirstSubmitDate [unmapped-fields]",
        "1 trial, 0 warnings, 1 note, 0 errors",
    ]
