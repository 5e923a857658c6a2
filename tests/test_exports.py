"""RIS and CSV exports and ``trialpress export``: read back with rispy, csv and fhir.resources.

Hostile record text must stay data: no RIS value may start a tag line of its own, and no
CSV cell may start like a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import rispy
from click.testing import CliRunner, Result
from fhir.resources.bundle import Bundle
from fhir.resources.researchstudy import ResearchStudy

from tests.conftest import LEGACY_XML, V2_JSON, read_trials
from tests.hostile_corpus import build_corpus, good_study
from trialpress import fhir
from trialpress.cli import cli
from trialpress.corpus import TrialSummary
from trialpress.escaping import csv_cell, one_line
from trialpress.exports import (
    COLUMNS,
    bundle_json,
    fhir_json,
    trial_files,
    trial_ris,
    trials_csv,
    trials_ris,
    write_corpus_files,
)
from trialpress.layout import FHIR_BUNDLE, TRIALS_CSV, Layout

PALLAS_XML = next(LEGACY_XML.rglob("NCT02513394.xml"))
PALLAS_JSON = next(V2_JSON.rglob("NCT02513394.json"))
CAPECITABINE_XML = next(LEGACY_XML.rglob("NCT03377387.xml"))
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="trialpress")


# --------------------------------------------------------------------------- RIS


def test_ris_reads_back_with_the_trial_and_its_references() -> None:
    [trial] = read_trials(PALLAS_JSON)
    entries = rispy.loads(trial_ris(trial))
    assert len(entries) == 1 + len(trial.references) == 5
    record, *refs = entries
    assert record["type_of_reference"] == "ELEC"
    assert record["accession_number"] == "NCT02513394"
    assert record["urls"] == ["https://clinicaltrials.gov/study/NCT02513394"]
    for entry, ref in zip(refs, trial.references, strict=True):
        assert entry["type_of_reference"] == "JOUR"
        assert entry["title"] == one_line(ref.citation)
        if ref.pmid:
            assert entry["accession_number"] == ref.pmid
            assert entry["urls"] == [f"https://pubmed.ncbi.nlm.nih.gov/{ref.pmid}/"]
    assert any("doi" in e for e in refs)


def test_ris_of_every_shared_study_reads_back() -> None:
    trials = read_trials(V2_JSON, LEGACY_XML)
    entries = rispy.loads(trials_ris(trials))
    assert len(entries) == sum(1 + len(t.references) for t in trials)
    assert [e["accession_number"] for e in entries if e["type_of_reference"] == "ELEC"] == [
        t.nct_id for t in trials
    ]


def test_hostile_text_in_ris_stays_in_its_value(tmp_path: Path) -> None:
    corpus = build_corpus()
    trials = read_trials(*corpus.write(tmp_path / "records"))
    text = trials_ris(trials)
    entries = rispy.loads(text)
    # exactly one entry per record and reference: no value forged a TY or ER line
    assert len(entries) == sum(1 + len(t.references) for t in trials)
    titles = [e["title"] for e in entries if e["type_of_reference"] == "ELEC"]
    assert titles == [one_line(t.title) for t in trials]
    for line in text.splitlines():
        assert line == "" or line[:6].rstrip().endswith("-") or line.rstrip(".").isdigit(), line
    markers = {c.marker for c in corpus.cases if c.field == "title"}
    assert all(m in text for m in markers)


# --------------------------------------------------------------------------- CSV


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_has_one_row_per_trial_with_the_finders_columns() -> None:
    trials = read_trials(V2_JSON, LEGACY_XML)
    rows = _rows(trials_csv(trials))
    assert len(rows) == len(trials)
    assert list(rows[0]) == [name for name, _ in COLUMNS]
    by_id = {r["NCT ID"]: r for r in rows}
    [cape] = read_trials(CAPECITABINE_XML)
    row = by_id["NCT03377387"]
    assert row["Title"] == cape.title
    assert row["Status"] == "Recruiting" and row["Phase"] == "Phase 1/Phase 2"
    assert row["Conditions"] == "Breast Cancer"
    assert row["Interventions"] == (
        "Capecitabine; Neratinib; EORTC QLQ - BR23, EQ-5D-5L, EORTC QLQ-C30"
    )
    assert row["Lead sponsor"] == "Memorial Sloan Kettering Cancer Center"
    assert row["Minimum age"] == "18 Years" and row["Maximum age"] == ""
    assert row["Sex"] == "Female" and row["Healthy volunteers"] == "No"
    assert row["Enrollment"] == "48" and row["Start date"] == "2017-12-13"


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "  =1", "\n=1"],
)
def test_formula_cells_are_neutralised(value: str) -> None:
    cell = csv_cell(value)
    assert cell.startswith("'") and cell[1:].replace("\n", "\r") in (
        value,
        value.replace("\n", "\r"),
    )


def test_ordinary_cells_are_left_alone() -> None:
    assert csv_cell("Breast Cancer; HER2-positive") == "Breast Cancer; HER2-positive"
    assert csv_cell("1-2 = 3") == "1-2 = 3"


def test_hostile_text_in_csv_never_starts_a_formula(tmp_path: Path) -> None:
    corpus = build_corpus()
    trials = read_trials(*corpus.write(tmp_path / "records"))
    study = good_study("NCT99000930")
    ident = study["protocolSection"]["identificationModule"]
    ident["briefTitle"] = '=HYPERLINK("http://evil.example","click")'
    ident["acronym"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    study["protocolSection"]["conditionsModule"]["conditions"] = ["-1+1", "\t=1"]
    (tmp_path / "formula.json").write_text(json.dumps(study), encoding="utf-8")
    trials += read_trials(tmp_path / "formula.json")
    rows = _rows(trials_csv(trials))
    assert len(rows) == len(trials)
    for row in rows:
        for name, cell in row.items():
            assert not cell.lstrip(" ").startswith(FORMULA_STARTS), (name, cell)
    formula = rows[-1]
    assert formula["Title"] == "'" + ident["briefTitle"]
    assert formula["Acronym"] == "'" + ident["acronym"]
    assert formula["Conditions"] == "'-1+1; \t=1"
    titles = {c.marker for c in corpus.cases if c.field == "title"}
    blob = json.dumps(rows, ensure_ascii=False)
    assert all(m in blob for m in titles)


# --------------------------------------------------------------------------- FHIR Bundle


def test_the_site_bundle_assembled_from_each_study_is_the_dumped_bundle(tmp_path: Path) -> None:
    """The site's Bundle is made by indenting each trial's ResearchStudy text: it must be
    byte for byte what dumping the whole Bundle gives, hostile text included."""
    trials = read_trials(V2_JSON, LEGACY_XML)
    trials += read_trials(*build_corpus().write(tmp_path / "records"))
    studies = [(t.registry_url, trial_files(t)[Layout.fhir(t.nct_id)]) for t in trials]
    dumped = fhir_json(fhir.bundle_of((url, json.loads(text)) for url, text in studies))
    assert bundle_json(studies) == dumped
    assert bundle_json(studies[:1]) == fhir_json(
        fhir.bundle_of([(studies[0][0], json.loads(studies[0][1]))])
    )
    assert bundle_json([]) == fhir_json(fhir.bundle_of([]))
    Bundle.model_validate(json.loads(bundle_json(studies[:20])))


def test_the_site_bundle_is_written_piece_by_piece_and_only_when_it_changed(
    tmp_path: Path,
) -> None:
    """The site's Bundle is streamed into its file (never held whole): the file holds the
    assembled Bundle, and an unchanged Bundle leaves the file as it was (same inode), while a
    changed one replaces it."""
    trials = read_trials(V2_JSON)[:5]
    texts = {t.nct_id: trial_files(t)[Layout.fhir(t.nct_id)] for t in trials}
    out = tmp_path / "site"
    summaries = [TrialSummary.of(t) for t in trials]
    written = write_corpus_files(summaries, texts.__getitem__, out)
    assert written == [FHIR_BUNDLE, TRIALS_CSV]
    bundle = out / FHIR_BUNDLE
    expected = bundle_json([(t.registry_url, texts[t.nct_id]) for t in trials])
    assert bundle.read_text(encoding="utf-8") == expected
    assert (out / TRIALS_CSV).read_bytes() == trials_csv(trials).encode("utf-8")
    before = bundle.stat()
    write_corpus_files(summaries, texts.__getitem__, out)
    assert (bundle.stat().st_ino, bundle.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    write_corpus_files(summaries[:2], texts.__getitem__, out)
    assert bundle.stat().st_ino != before.st_ino
    assert bundle.read_text(encoding="utf-8") == bundle_json(
        [(t.registry_url, texts[t.nct_id]) for t in trials[:2]]
    )
    assert [p.name for p in bundle.parent.iterdir() if p.name.endswith(".tmp")] == []


# --------------------------------------------------------------------------- CLI


def test_export_one_trial_as_fhir_to_stdout() -> None:
    result = run("export", str(CAPECITABINE_XML), "--format", "fhir")
    assert result.exit_code == 0, result.output
    study = json.loads(result.stdout)
    ResearchStudy.model_validate(study)
    assert study["id"] == "NCT03377387"


def test_export_several_trials_as_a_bundle_file(tmp_path: Path) -> None:
    out = tmp_path / "trials.fhir.json"
    result = run("export", str(LEGACY_XML), "--format", "fhir", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Exported 67 trials" in result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    Bundle.model_validate(data)
    assert len(data["entry"]) == 67


def test_export_reports_bad_and_duplicate_records_and_exports_the_rest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<clinical_study><brief_title>x</clinical_study>", encoding="utf-8")
    out = tmp_path / "t.csv"
    result = run(
        "export", str(PALLAS_XML), str(PALLAS_JSON), str(bad), str(CAPECITABINE_XML),
        "--format", "csv", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 1
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"Error: {bad}:1: invalid XML: mismatched tag")
    assert "duplicate NCT ID NCT02513394" in errors[1]
    rows = _rows(out.read_text(encoding="utf-8"))
    assert [r["NCT ID"] for r in rows] == ["NCT02513394", "NCT03377387"]


def test_export_ris_and_usage_errors(tmp_path: Path) -> None:
    result = run("export", str(PALLAS_JSON), "--format", "ris")
    assert result.exit_code == 0
    assert len(rispy.loads(result.stdout)) == 5
    assert run("export", str(PALLAS_JSON)).exit_code == 2  # --format is required
    assert run("export", str(PALLAS_JSON), "--format", "xml").exit_code == 2
