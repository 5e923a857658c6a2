"""Exports for other tools: RIS of a trial's references, CSV of the trials table, FHIR JSON.

Each function turns trials into the text of one file; ``trialpress export`` and the site
both call them, so both write the same bytes. Record text goes
through :mod:`trialpress.escaping` for each format: RIS values on one line (no record text
can start a tag line of its own), CSV cells neutralised against spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import rispy

from trialpress import fhir, jsontext
from trialpress.corpus import TrialSummary
from trialpress.escaping import csv_cell, one_line
from trialpress.labels import enum_label
from trialpress.layout import FHIR_BUNDLE, TRIALS_CSV, Layout
from trialpress.models import Reference, Trial
from trialpress.render import doi_from_citation
from trialpress.store import write_chunks_if_changed, write_if_changed

ExportFormat = Literal["fhir", "ris", "csv"]
FORMATS: tuple[ExportFormat, ...] = ("fhir", "ris", "csv")

#: The trials table's columns (the finder's): header and how to get the cell from a trial.
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("NCT ID", lambda t: t.nct_id),
    ("Title", lambda t: t.title),
    ("Acronym", lambda t: t.acronym),
    ("Status", lambda t: enum_label(t.status)),
    ("Phase", lambda t: "/".join(enum_label(p) for p in t.phases)),
    ("Study type", lambda t: enum_label(t.study_type)),
    ("Conditions", lambda t: "; ".join(t.conditions)),
    ("Interventions", lambda t: "; ".join(i.name for i in t.interventions)),
    ("Lead sponsor", lambda t: t.lead_sponsor.name if t.lead_sponsor else None),
    ("Countries", lambda t: "; ".join(t.countries)),
    ("Minimum age", lambda t: t.eligibility.minimum_age),
    ("Maximum age", lambda t: t.eligibility.maximum_age),
    ("Sex", lambda t: enum_label(t.eligibility.sex)),
    ("Healthy volunteers", lambda t: _yes_no(t.eligibility.healthy_volunteers)),
    ("Enrollment", lambda t: t.enrollment.count if t.enrollment else None),
    ("Enrollment type", lambda t: enum_label(t.enrollment.type) if t.enrollment else None),
    ("Start date", lambda t: t.start_date),
    ("Primary completion date", lambda t: t.primary_completion_date),
    ("Completion date", lambda t: t.completion_date),
    ("Last updated", lambda t: t.last_updated),
    ("Registry URL", lambda t: t.registry_url),
)


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Yes" if value else "No")


def table_row(trial: Trial) -> list[Any]:
    """A trial's row of the trials table, before quoting."""
    return [get(trial) for _, get in COLUMNS]


def trials_csv(trials: Iterable[Trial]) -> str:
    """One row per trial with the finder's columns; every text cell formula-neutralised."""
    return table_csv(table_row(t) for t in trials)


def table_csv(rows: Iterable[list[Any]]) -> str:
    """The trials table from rows made by :func:`table_row`; every text cell
    formula-neutralised.

    Whole numbers (enrollment) stay numbers; everything else is record text or a label.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    for values in rows:
        writer.writerow([v if isinstance(v, int) else csv_cell(v) for v in values])
    return out.getvalue()


def _reference_entry(trial: Trial, ref: Reference) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type_of_reference": "JOUR",
        "title": one_line(ref.citation),
        "notes": [
            one_line(
                f"Cited by {trial.nct_id} ({trial.title})"
                + (f" as a {enum_label(ref.type).lower()} reference" if ref.type else "")
            )
        ],
    }
    if ref.pmid:
        pmid = one_line(ref.pmid)
        entry["accession_number"] = pmid
        if pmid.isdigit():
            entry["urls"] = [f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"]
    doi = doi_from_citation(ref.citation)
    if doi:
        entry["doi"] = one_line(doi)
    return entry


def _trial_entry(trial: Trial) -> dict[str, Any]:
    """The registry record itself, so a reference list can cite the trial too."""
    entry: dict[str, Any] = {
        "type_of_reference": "ELEC",
        "title": one_line(trial.title),
        "publisher": "ClinicalTrials.gov",
        "accession_number": trial.nct_id,
        "urls": [trial.registry_url],
    }
    if trial.acronym:
        entry["short_title"] = one_line(trial.acronym)
    if trial.last_updated:
        entry["year"] = trial.last_updated[:4]
        entry["date"] = trial.last_updated.replace("-", "/")
    if trial.lead_sponsor:
        entry["authors"] = [one_line(trial.lead_sponsor.name)]
    return entry


def trial_ris(trial: Trial) -> str:
    """RIS of one trial: its registry record, then each of its references."""
    entries = [_trial_entry(trial)] + [_reference_entry(trial, r) for r in trial.references]
    text: str = rispy.dumps(entries)
    return text


def trials_ris(trials: Iterable[Trial]) -> str:
    """RIS of several trials, one after another."""
    entries: list[dict[str, Any]] = []
    for trial in trials:
        entries.append(_trial_entry(trial))
        entries += [_reference_entry(trial, r) for r in trial.references]
    text: str = rispy.dumps(entries)
    return text


def fhir_json(data: dict[str, Any]) -> str:
    """FHIR JSON as written to files: UTF-8 text, two-space indent, newline at the end."""
    return jsontext.pretty(data) + "\n"


def trial_files(trial: Trial) -> dict[str, str]:
    """One trial's export files for the site, by site path: its ResearchStudy and RIS."""
    return {
        Layout.fhir(trial.nct_id): fhir_json(fhir.research_study(trial)),
        Layout.ris(trial.nct_id): trial_ris(trial),
    }


def write_corpus_files(
    trials: Iterable[TrialSummary], study_text: Callable[[str], str], out: Path
) -> list[str]:
    """Write the site's whole-corpus exports into ``out``: the Bundle of all trials, made
    from each trial's ResearchStudy JSON as :func:`trial_files` wrote it (``study_text``:
    that text by NCT ID), and the trials table as CSV, from the trials' summaries. The
    Bundle is written study by study, never held whole (hundreds of megabytes at 10,000
    trials). Their site paths."""
    trials = list(trials)
    chunks = bundle_chunks((t.registry_url, study_text(t.nct_id)) for t in trials)
    write_chunks_if_changed(out / FHIR_BUNDLE, (c.encode("utf-8") for c in chunks))
    write_if_changed(out / TRIALS_CSV, table_csv(t.table for t in trials).encode("utf-8"))
    return [FHIR_BUNDLE, TRIALS_CSV]


def bundle_json(studies: Iterable[tuple[str, str]]) -> str:
    """``fhir_json(fhir.bundle_of(...))`` of (registry URL, ResearchStudy JSON as
    :func:`fhir_json` wrote it): :func:`bundle_chunks` joined."""
    return "".join(bundle_chunks(studies))


def bundle_chunks(studies: Iterable[tuple[str, str]]) -> Iterator[str]:
    """The Bundle's text piece by piece, one study at a time (a site's Bundle is written
    without holding it, or every study's text, whole). The same bytes as
    ``fhir_json(fhir.bundle_of(...))``, made by indenting each study's text instead of
    parsing and dumping it again (json's indenting encoder is Python: seconds at 1,000
    trials). JSON text holds no raw line break inside a value, so indenting lines is exact."""
    head = '{\n  "resourceType": "Bundle",\n  "type": "collection",\n  "entry": [\n'
    first = True
    for url, text in studies:
        yield (
            (head if first else ",\n")
            + '    {\n      "fullUrl": '
            + json.dumps(fhir.entry_url(url), ensure_ascii=False)
            + ',\n      "resource": '
            + text.rstrip("\n").replace("\n", "\n      ")
            + "\n    }"
        )
        first = False
    yield fhir_json(fhir.bundle_of([])) if first else "\n  ]\n}\n"


def export_text(trials: Sequence[Trial], fmt: ExportFormat) -> str:
    """The one file ``trialpress export`` writes for ``fmt``.

    FHIR: a single ResearchStudy for one trial, else a Bundle of them all; RIS: every
    trial's record and references; CSV: the trials table.
    """
    if fmt == "fhir":
        if len(trials) == 1:
            return fhir_json(fhir.research_study(trials[0]))
        return fhir_json(fhir.bundle(trials))
    if fmt == "ris":
        return trials_ris(trials)
    return trials_csv(trials)
