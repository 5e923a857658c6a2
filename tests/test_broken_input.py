"""Broken input: every bad file gives one clear error naming it, and the others still read.

The files come from :data:`tests.hostile_corpus.BROKEN_CASES` and are written into
``tmp_path`` at test time. Through the library (``read_file``/``read_paths``) only
:class:`RecordError` may come out; through the CLI each bad file gives exactly one
``Error: PATH[:LINE]: ...`` line on stderr, never a traceback, and the exit status is 1.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_corpus import BROKEN_CASES, BrokenCase, good_study, good_text
from trialpress.errors import RecordError
from trialpress.models import Trial
from trialpress.readers import read_file, read_paths

TRIALPRESS = Path(sys.executable).with_name("trialpress")
ROOT = Path(__file__).resolve().parents[1]
#: Cases too big to push through the CLI's JSON output in every run.
HUGE = {"huge-eligibility", "many-locations"}
ERROR_LINE = re.compile(r"^Error: (?P<path>[^:]+)(?::(?P<line>\d+))?: (?P<message>\S.*)$")


def write_case(folder: Path, case: BrokenCase) -> Path:
    """The broken file, written fresh under ``folder``."""
    path = folder / case.filename
    path.write_bytes(case.make())
    return path


def outcome(path: Path) -> tuple[list[Trial], list[RecordError]]:
    """What ``read_file`` makes of a file; anything but RecordError propagates and fails."""
    try:
        results = read_file(path)
    except RecordError as exc:
        return [], [exc]
    trials = [r for r in results if isinstance(r, Trial)]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert len(trials) + len(errors) == len(results)
    return trials, errors


def assert_clear(error: RecordError, path: Path) -> None:
    """One line, naming the file, saying what is wrong in words (not a repr dump)."""
    text = str(error)
    assert text.startswith(str(path)), text
    assert "\n" not in text, f"error spans lines: {text!r}"
    assert len(error.message) < 300, f"error too long to be clear: {text[:400]!r}"
    assert "Traceback" not in text
    assert not re.search(r"\b(ValidationError|KeyError|TypeError|AttributeError)\b", text), text
    assert error.message.strip(), "empty message"


@pytest.mark.parametrize(
    "case", [c for c in BROKEN_CASES if c.name not in HUGE], ids=lambda c: c.name
)
def test_read_file_gives_only_record_errors(case: BrokenCase, tmp_path: Path) -> None:
    """Huge cases are read in test_huge_records (marked slow)."""
    path = write_case(tmp_path, case)
    trials, errors = outcome(path)
    for error in errors:
        assert_clear(error, path)
    if case.expect == "ok":
        assert not errors, [str(e) for e in errors]
        assert len(trials) == case.trials
    elif case.expect == "error":
        assert len(errors) == case.errors, [str(e) for e in errors]
        assert len(trials) == case.trials
    else:  # error-or-warning: a clear error, or the trial read (latin-1: with a warning)
        assert (len(errors), len(trials)) in {(1, 0), (0, 1)}, [str(e) for e in errors]
        if trials and case.name.startswith("latin1"):
            codes = [w.code for w in trials[0].warnings]
            assert "not-utf8" in codes, codes
            assert "Genève" in trials[0].title


def test_latin1_read_as_cp1252_keeps_accents(tmp_path: Path) -> None:
    case = next(c for c in BROKEN_CASES if c.name == "latin1-text")
    trials, errors = outcome(write_case(tmp_path, case))
    assert not errors, [str(e) for e in errors]
    assert trials[0].title == "Étude randomisée des effets secondaires à Genève (café, naïve)"
    warning = next(w for w in trials[0].warnings if w.code == "not-utf8")
    assert warning.line == 1 and "0xc9" in warning.message


def test_bom_and_crlf_read_like_plain_utf8(tmp_path: Path) -> None:
    """A BOM and CRLF line ends change nothing in the model."""
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_text(good_text("NCT99000907"), encoding="utf-8")
    study = json.dumps(good_study("NCT99000908"), indent=1, ensure_ascii=False)
    (plain / "b.json").write_text(study, encoding="utf-8")
    odd = tmp_path / "odd"
    odd.mkdir()
    for name in ("bom-crlf-text", "bom-crlf-json"):
        write_case(odd, next(c for c in BROKEN_CASES if c.name == name))

    def dumps(folder: Path) -> list[dict[str, object]]:
        out = []
        for result in read_paths([folder]):
            assert isinstance(result, Trial), str(result)
            data = result.model_dump(mode="json", exclude={"source"})
            out.append(data)
        return sorted(out, key=lambda d: str(d["nct_id"]))

    assert dumps(plain) == dumps(odd)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HUGE))
def test_huge_records(name: str, tmp_path: Path) -> None:
    case = next(c for c in BROKEN_CASES if c.name == name)
    trials, errors = outcome(write_case(tmp_path, case))
    assert not errors, [str(e) for e in errors]
    (trial,) = trials
    if name == "many-locations":
        assert len(trial.locations) == 5000
        assert len(set(trial.countries) or {loc.country for loc in trial.locations}) == 31
    else:
        assert len(trial.eligibility.raw_text or "") > 10_000_000
        assert len(trial.eligibility.inclusion) > 100_000


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    """A sparse 65 MB file costs nothing to make; the reader must refuse it by size."""
    path = tmp_path / "big.json"
    with path.open("wb") as fh:
        fh.truncate(65 * 1024 * 1024)
    trials, errors = outcome(path)
    assert not trials and len(errors) == 1
    assert_clear(errors[0], path)
    assert "bytes" in errors[0].message


def run_cli(
    *args: str | Path, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "TRIALPRESS_NO_CACHE": "1",
        **(env or {}),
    }
    return subprocess.run(
        [str(TRIALPRESS), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        check=False,
    )


def error_lines(stderr: str) -> list[re.Match[str]]:
    """The ``Error: PATH[:LINE]: message`` lines; every one must have that shape."""
    lines = [line for line in stderr.splitlines() if line.startswith("Error:")]
    matches = [ERROR_LINE.match(line) for line in lines]
    bad = [line for line, m in zip(lines, matches, strict=True) if m is None]
    assert not bad, f"error lines without PATH: message shape: {bad}"
    return [m for m in matches if m is not None]


@pytest.fixture
def broken_folder(tmp_path: Path) -> Path:
    """Every (not huge) broken file plus two good records, in one folder."""
    folder = tmp_path / "records"
    folder.mkdir()
    for case in BROKEN_CASES:
        if case.name not in HUGE:
            write_case(folder, case)
    (folder / "good.json").write_text(json.dumps(good_study("NCT99000920")), encoding="utf-8")
    (folder / "good.txt").write_text(good_text("NCT99000921"), encoding="utf-8")
    return folder


def test_cli_parse_reports_each_bad_file_once_and_prints_the_good(broken_folder: Path) -> None:
    result = run_cli("parse", broken_folder)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, result.stderr
    errors = error_lines(result.stderr)
    named = [Path(m["path"]).name for m in errors]
    for case in BROKEN_CASES:
        if case.name in HUGE:
            continue
        count = named.count(case.filename)
        if case.expect == "ok":
            assert count == 0, (case.name, result.stderr)
        elif case.expect == "error":
            assert count == case.errors, (case.name, result.stderr)
        else:
            assert count <= 1, (case.name, result.stderr)
    assert "good.json" not in named and "good.txt" not in named
    ncts = {t["nct_id"] for t in json.loads(result.stdout)}
    assert {"NCT99000920", "NCT99000921", "NCT99000904"} <= ncts
    assert {"NCT99000907", "NCT99000908", "NCT99000911"} <= ncts  # BOM, CRLF, CR only


def test_cli_parse_truncated_json_names_the_line(tmp_path: Path) -> None:
    case = next(c for c in BROKEN_CASES if c.name == "truncated-json")
    path = write_case(tmp_path, case)
    result = run_cli("parse", path)
    assert result.returncode == 1
    (error,) = error_lines(result.stderr)
    assert error["path"] == str(path)
    assert error["line"] is not None and int(error["line"]) > 1


def test_cli_parse_missing_file(tmp_path: Path) -> None:
    result = run_cli("parse", tmp_path / "nope.json", tmp_path)
    assert result.returncode == 1
    (error,) = error_lines(result.stderr)
    assert error["path"].endswith("nope.json")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_cli_parse_does_not_hang_on_a_fifo_or_device(tmp_path: Path) -> None:
    """A FIFO (or a link to /dev/zero) among the records must not block the run."""
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.json").symlink_to("/dev/zero")
    (tmp_path / "good.txt").write_text(good_text("NCT99000922"), encoding="utf-8")
    result = run_cli("parse", tmp_path, timeout=60)
    assert result.returncode == 1
    named = sorted(Path(m["path"]).name for m in error_lines(result.stderr))
    assert named == ["pipe.txt", "zero.json"]
    assert json.loads(result.stdout)["nct_id"] == "NCT99000922"


@pytest.mark.slow
def test_build_skips_bad_records_and_builds_the_rest(broken_folder: Path, tmp_path: Path) -> None:
    """Broken files and a duplicate NCT ID: one error each, exit 1, good trials built."""
    dup = tmp_path / "dup"
    dup.mkdir()
    (dup / "zz-duplicate.json").write_text(json.dumps(good_study("NCT99000920")), encoding="utf-8")
    many = next(c for c in BROKEN_CASES if c.name == "many-locations")
    write_case(dup, many)
    out = tmp_path / "site"
    # No PDFs: this is about records; PDFs of bad input are covered by test_injection.
    result = run_cli("build", broken_folder, dup, "--out", out, "--no-pdf", timeout=600)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, result.stderr[-3000:]
    named = [Path(m["path"]).name for m in error_lines(result.stderr)]
    assert named.count("zz-duplicate.json") == 1, result.stderr
    assert "good.json" not in named
    for case in BROKEN_CASES:
        if case.expect == "error" and case.name not in HUGE:
            assert named.count(case.filename) == case.errors, (case.name, result.stderr)
    for nct in ("NCT99000920", "NCT99000921", "NCT99000904", "NCT99000906", "NCT99000907"):
        assert (out / "trials" / nct / "index.html").is_file(), nct
    # The first record with the duplicated ID is the one built.
    data = json.loads((out / "data" / "NCT99000920.json").read_text(encoding="utf-8"))
    assert data["source"]["path"].endswith("good.json")


def test_cli_validate_reports_each_bad_file_once(broken_folder: Path) -> None:
    result = run_cli("validate", broken_folder)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode == 1
    named = [Path(m["path"]).name for m in error_lines(result.stderr)]
    for case in BROKEN_CASES:
        if case.expect == "error" and case.name not in HUGE:
            assert named.count(case.filename) == case.errors, (case.name, result.stderr)
        if case.expect == "ok":
            assert case.filename not in named, (case.name, result.stderr)


def test_cli_validate_strict_fails_on_the_not_utf8_warning(tmp_path: Path) -> None:
    case = next(c for c in BROKEN_CASES if c.name == "latin1-text")
    path = write_case(tmp_path, case)
    lenient = run_cli("validate", path)
    assert lenient.returncode == 0, lenient.stderr
    assert "not UTF-8" in lenient.stdout + lenient.stderr
    strict = run_cli("validate", "--strict", path)
    assert strict.returncode == 1, strict.stderr
    assert "Traceback" not in strict.stderr


def test_hostile_file_names_cannot_forge_or_reorder_output(tmp_path: Path) -> None:
    """A newline, an escape sequence or a bidi control in a file name is shown escaped:
    each bad file still gives exactly one ``Error:`` line, and no line is forged."""
    (tmp_path / "bad\nError: forged.json").write_text("{", encoding="utf-8")
    (tmp_path / "\u202eevil\x1b[2J.txt").write_text("junk", encoding="utf-8")
    (tmp_path / "<img src=x onerror=alert(1)> {{7*7}}.txt").write_text(
        good_text("NCT99000931"), encoding="utf-8"
    )
    (tmp_path / "warn\nError: forged-too.txt").write_bytes(_latin1_bytes())
    result = run_cli("-v", "validate", tmp_path)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "\x1b" not in output and "\u202e" not in output
    errors = [line for line in output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2, errors
    assert not any(line.startswith("Error: forged") for line in output.splitlines())
    assert any("bad\\nError: forged.json:" in line for line in errors), errors
    warnings = [line for line in output.splitlines() if "not-utf8" in line]
    assert len(warnings) == 1 and "warn\\nError: forged-too.txt" in warnings[0], output


def _latin1_bytes() -> bytes:
    case = next(c for c in BROKEN_CASES if c.name == "latin1-text")
    return case.make()


@pytest.mark.slow
def test_plain_mkdocs_build_with_the_plugin_reports_bad_records(broken_folder: Path) -> None:
    """A user's own ``mkdocs.yml``: each bad record is one ERROR naming it, the good ones build,
    and ``--strict`` fails the build rather than publishing with records missing."""
    project = broken_folder.parent
    (project / "docs").mkdir()
    (project / "docs" / "index.md").write_text("# Trials\n", encoding="utf-8")
    (project / "mkdocs.yml").write_text(
        "site_name: hostile\ntheme:\n  name: material\nplugins:\n  - search\n"
        "  - trialpress:\n      records: [records]\n      pdf: false\n",
        encoding="utf-8",
    )
    mkdocs = Path(sys.executable).with_name("mkdocs")
    env = {**os.environ, "NO_COLOR": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(mkdocs), "build", *args],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            check=False,
        )

    lenient = run()
    output = lenient.stdout + lenient.stderr
    assert "Traceback" not in output, output[-3000:]
    assert lenient.returncode == 0, output[-3000:]
    errors = [line for line in output.splitlines() if line.startswith("ERROR")]
    for case in BROKEN_CASES:
        if case.expect == "error" and case.name not in HUGE:
            named = [e for e in errors if f"/{case.filename}" in e]
            assert len(named) == case.errors, (case.name, errors)
    for nct in ("NCT99000920", "NCT99000921", "NCT99000904"):
        assert (project / "site" / "trials" / nct / "index.html").is_file(), nct
    strict = run("--strict")
    assert strict.returncode != 0
    assert "Traceback" not in strict.stdout + strict.stderr
