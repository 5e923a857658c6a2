"""``trialpress parse`` and ``trialpress schema``, run as a user runs them (a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import V2_JSON

AACT = V2_JSON / "ctti-clinicaltrials__aact"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trialpress.cli", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def test_parse_one_file_prints_one_object() -> None:
    proc = run("parse", AACT / "NCT00973089.json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    data = json.loads(proc.stdout)
    assert isinstance(data, dict)
    assert data["nct_id"] == "NCT00973089"
    assert data["source"] == {
        "format": "ctgov-json",
        "path": str(AACT / "NCT00973089.json"),
        "index": None,
    }


def test_parse_several_prints_a_list_and_a_bad_file_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n{"protocolSection": {}\n', encoding="utf-8")
    proc = run("parse", AACT / "NCT00973089.json", bad, AACT / "NCT03475563.json")
    assert proc.returncode == 1
    assert proc.stderr == (f"Error: {bad}:3: invalid JSON: Expecting ',' delimiter (column 1)\n")
    data = json.loads(proc.stdout)
    assert [t["nct_id"] for t in data] == ["NCT00973089", "NCT03475563"]


def test_parse_reports_a_bad_study_inside_an_array(tmp_path: Path) -> None:
    good = {
        "protocolSection": {"identificationModule": {"nctId": "NCT00000001", "briefTitle": "A"}}
    }
    nameless = {"protocolSection": {"identificationModule": {"briefTitle": "B"}}}
    path = tmp_path / "studies"
    path.write_text(f"[\n{json.dumps(good)},\n{json.dumps(nameless)}\n]", encoding="utf-8")
    proc = run("parse", path)
    assert proc.returncode == 1
    assert proc.stderr == (
        f"Error: {path}:3: study at index 1: no protocolSection.identificationModule.nctId\n"
    )
    assert json.loads(proc.stdout)["nct_id"] == "NCT00000001"


def test_parse_a_directory(tmp_path: Path) -> None:
    proc = run("parse", AACT)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == len(list(AACT.glob("*.json")))


def test_parse_missing_file() -> None:
    proc = run("parse", "no/such/file.json")
    assert proc.returncode == 1
    assert proc.stderr == "Error: no/such/file.json: no such file\n"


def test_schema_prints_a_json_schema() -> None:
    proc = run("schema")
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert schema["title"] == "Trial"
    assert {"nct_id", "eligibility", "extra", "primary_completion_date_type"} <= set(
        schema["properties"]
    )
    assert "nct_id" in schema["required"]
