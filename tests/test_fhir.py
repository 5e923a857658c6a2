"""FHIR R5 export: every shared study gives a ResearchStudy that fhir.resources validates.

The checks compare the export with the trial model, element by element that matters to a
matching service: NCT identifier, title, status, phases, conditions, arms, outcome measures
and sites. Hostile record text must stay text in every element.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.bundle import Bundle
from fhir.resources.researchstudy import ResearchStudy

from tests.conftest import LEGACY_XML, REGISTRY_TEXT, V2_JSON, read_trials
from tests.hostile_corpus import build_corpus
from trialpress import fhir
from trialpress.corpus import Corpus
from trialpress.escaping import clean
from trialpress.labels import enum_label
from trialpress.models import Trial

OBJECTIVE = "http://terminology.hl7.org/CodeSystem/research-study-objective-type"
OUTCOME_KIND = {"primary": "primary", "secondary": "secondary", "other": "exploratory"}
PHASE_CODES = {
    ("PHASE1",): "phase-1",
    ("PHASE2",): "phase-2",
    ("PHASE3",): "phase-3",
    ("PHASE4",): "phase-4",
    ("EARLY_PHASE1",): "early-phase-1",
    ("NA",): "n-a",
    ("PHASE1", "PHASE2"): "phase-1-phase-2",
    ("PHASE2", "PHASE3"): "phase-2-phase-3",
}


@pytest.fixture(scope="module")
def shared_trials() -> list[Trial]:
    """Every shared study in all three formats: 238 JSON, 67 legacy XML, 2 registry texts."""
    trials = read_trials(V2_JSON, LEGACY_XML, REGISTRY_TEXT)
    formats = {t.source.format for t in trials}
    assert formats == {"ctgov-json", "ctgov-xml", "registry-text"}
    assert len(trials) == 238 + 67 + len(list(REGISTRY_TEXT.glob("*.txt")))
    return trials


def _coding(concept: dict[str, Any], system: str) -> list[str]:
    return [c["code"] for c in concept.get("coding", []) if c["system"] == system and "code" in c]


def check_against_model(trial: Trial, study: dict[str, Any]) -> None:
    """The export says what the model says."""
    ResearchStudy.model_validate(study)
    [nct] = [i for i in study["identifier"] if i.get("system") == fhir.NCT_SYSTEM]
    assert nct["value"] == trial.nct_id
    assert study["title"] == clean(trial.title)
    if trial.status is not None:
        [current] = [p for p in study["progressStatus"] if "period" not in p]
        codes = _coding(current["state"], fhir.CTGOV_ENUM + "Status")
        assert codes == [trial.status]
    if trial.phases:
        phase = study["phase"]
        assert _coding(phase, fhir.CTGOV_ENUM + "Phase") == list(trial.phases)
        hl7 = _coding(phase, "http://terminology.hl7.org/CodeSystem/research-study-phase")
        assert hl7 == [PHASE_CODES[tuple(trial.phases)]]
    else:
        assert "phase" not in study
    conditions = study.get("condition", [])
    texts = [clean(c) for c in trial.conditions if c.strip()]
    assert [c.get("text") for c in conditions[: len(texts)]] == texts
    mesh_ids = {t.id for t in trial.mesh.conditions.terms if t.id}
    coded = {code for c in conditions for code in _coding(c, fhir.MESH_SYSTEM)}
    assert coded == mesh_ids
    # every MeSH heading is there as a MeSH coding, with its descriptor ID where known
    named = [m.get("display") for c in conditions for m in c.get("coding", [])
             if m["system"] == fhir.MESH_SYSTEM]  # fmt: skip
    assert sorted(named) == sorted(clean(t.term) for t in trial.mesh.conditions.terms)
    groups = study.get("comparisonGroup", [])
    assert [g["name"] for g in groups] == [clean(a.label) for a in trial.arms]
    arm_types = [_coding(g.get("type", {}), fhir.CTGOV_ENUM + "ArmGroupType") for g in groups]
    assert arm_types == [[a.type] if a.type else [] for a in trial.arms]
    outcomes = study.get("outcomeMeasure", [])
    assert [o["name"] for o in outcomes] == [clean(o.measure) for o in trial.outcomes]
    kinds = [_coding(o["type"][0], OBJECTIVE)[0] for o in outcomes]
    assert kinds == [OUTCOME_KIND[o.kind] for o in trial.outcomes]
    locations = [c for c in study.get("contained", []) if c["resourceType"] == "Location"]
    assert len(locations) == len(study.get("site", [])) == len(trial.locations)
    for resource, site in zip(locations, trial.locations, strict=True):
        assert len(resource.get("contact", [])) == len(site.contacts)
        if site.geo is not None:
            assert resource["position"] == {"latitude": site.geo.lat, "longitude": site.geo.lon}
    people = [c for c in study.get("contained", []) if c["resourceType"] == "Practitioner"]
    assert len(people) == len(trial.contacts)
    if trial.why_stopped:
        assert study["whyStopped"]["text"] == clean(trial.why_stopped)
    if trial.enrollment and trial.enrollment.count is not None:
        numbers = study["recruitment"]
        assert trial.enrollment.count in (numbers.get("actualNumber"), numbers.get("targetNumber"))
    assert json.loads(json.dumps(study)) == study


def test_every_shared_study_exports_a_valid_research_study(shared_trials: list[Trial]) -> None:
    for trial in shared_trials:
        check_against_model(trial, fhir.research_study(trial))


def test_the_bundle_of_every_shared_study_validates(shared_trials: list[Trial]) -> None:
    corpus = Corpus(shared_trials)  # two trials come in two formats: the first is kept
    assert len(corpus.errors) == 2
    data = fhir.bundle(corpus.trials.values())
    Bundle.model_validate(data)
    assert len(data["entry"]) == len(shared_trials) - 2
    urls = [e["fullUrl"] for e in data["entry"]]
    assert len(set(urls)) == len(urls)
    assert fhir.bundle(corpus.trials.values()) == data  # stable from build to build


def test_one_study_in_detail() -> None:
    [trial] = read_trials(next(LEGACY_XML.rglob("NCT03377387.xml")))
    study = fhir.research_study(trial)
    assert study["id"] == "NCT03377387"
    assert study["url"] == "https://clinicaltrials.gov/study/NCT03377387"
    assert {lbl["value"] for lbl in study["label"]} == {trial.official_title}
    assert study["period"] == {"start": "2017-12-13", "end": "2021-12"}
    [group] = [c for c in study["contained"] if c["resourceType"] == "Group"]
    assert study["recruitment"] == {
        "targetNumber": 48,
        "eligibility": {"reference": "#eligibility"},
    }
    [age, sex, healthy] = group["characteristic"]
    assert age["valueRange"] == {
        "low": {"value": 18, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"}
    }
    assert _coding(sex["valueCodeableConcept"], "http://hl7.org/fhir/administrative-gender") == [
        "female"
    ]
    assert healthy["valueBoolean"] is False
    assert "Histologically confirmed MBC" in group["description"]
    roles = [_coding(p["role"], "http://hl7.org/fhir/research-study-party-role")[0]
             for p in study["associatedParty"]]  # fmt: skip
    assert roles == [
        "lead-sponsor",
        "collaborator",
        "primary-investigator",
        "recruitment-contact",
        "recruitment-contact",
    ]
    [dang, _] = [c for c in study["contained"] if c["resourceType"] == "Practitioner"]
    assert dang["telecom"] == [
        {"system": "phone", "value": "914-367-7181", "use": "work"},
        {"system": "email", "value": "dangc@mskcc.org", "use": "work"},
    ]
    [mtd] = study["outcomeMeasure"]
    assert mtd["name"] == "Maximum Tolerated Dose (MTD)"
    assert mtd["description"].endswith("Time frame: 1 year")
    assert [f["concept"]["text"] for f in study["focus"]] == [
        "Drug: Capecitabine",
        "Drug: Neratinib",
        "Behavioral: EORTC QLQ - BR23, EQ-5D-5L, EORTC QLQ-C30",
    ]


def test_whole_record_fields_reach_the_export(shared_trials: list[Trial]) -> None:
    """Across the shared studies each of the newer elements is really exercised."""
    studies = [fhir.research_study(t) for t in shared_trials]
    assert sum(len(s.get("outcomeMeasure", [])) for s in studies) > 1000
    assert sum(1 for s in studies if "whyStopped" in s) > 20
    contained = [c for s in studies for c in s.get("contained", [])]
    assert sum(1 for c in contained if "position" in c) > 1000
    assert sum(1 for c in contained if c.get("contact")) > 100
    assert sum(1 for c in contained if c["resourceType"] == "Practitioner") > 50
    mesh = [c for s in studies for cond in s.get("condition", []) for c in cond.get("coding", [])]
    assert len(mesh) > 100


def test_references_carry_pmids_and_dois(shared_trials: list[Trial]) -> None:
    with_pmid = with_doi = 0
    for trial in shared_trials:
        for ref, artifact in zip(
            trial.references, fhir.research_study(trial).get("relatedArtifact", []), strict=True
        ):
            assert artifact["type"] == "citation"
            if ref.pmid:
                ident = artifact["resourceReference"]["identifier"]
                assert ident == {"system": fhir.PUBMED_SYSTEM, "value": ref.pmid}
                with_pmid += 1
            if "document" in artifact:
                assert artifact["document"]["url"].startswith("https://doi.org/10.")
                with_doi += 1
    assert with_pmid > 100 and with_doi > 10


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        ("18 Years", (18, "a")),
        ("6 Months", (6, "mo")),
        ("16 Weeks", (16, "wk")),
        ("1 Day", (1, "d")),
        ("N/A", None),
        ("adult", None),
        (None, None),
    ],
)
def test_ages_become_ucum_quantities(age: str | None, expected: tuple[int, str] | None) -> None:
    got = fhir.age_quantity(age)
    assert (None if got is None else (got["value"], got["code"])) == expected


# --------------------------------------------------------------------------- hostile text

_MARKDOWN_FIELDS = re.compile(r"^(descriptionSummary|description|citation)$")


def _strings(value: Any, key: str = "") -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(key, value)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, key)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, k)]
    return []


def test_hostile_records_export_valid_fhir_with_text_kept_as_text(tmp_path: Path) -> None:
    corpus = build_corpus()
    trials = read_trials(*corpus.write(tmp_path / "records"))
    markers = {c.marker for c in corpus.cases}
    found: set[str] = set()
    for trial in trials:
        study = fhir.research_study(trial)
        check_against_model(trial, study)
        for key, text in _strings(study):
            found.update(m for m in markers if m in text)
            # FHIR strings may not hold control characters: they are shown, not passed on
            assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), (key, text)
            if _MARKDOWN_FIELDS.match(key):
                # in markdown, every markup character is escaped: no tag, link or entity
                assert not re.search(r"(?<!\\)[<>\[\]`*_&!#|~]", text.replace("\\\\", "")), (
                    key,
                    text[:200],
                )
    Bundle.model_validate(fhir.bundle(trials))
    # text that reaches a FHIR element keeps its marker (nothing hostile is dropped)
    titles = {c.marker for c in corpus.cases if c.field == "title"}
    assert titles <= found


def test_enum_labels_are_the_display_of_api_codings() -> None:
    [trial] = read_trials(next(LEGACY_XML.rglob("NCT03377387.xml")))
    design = fhir.research_study(trial)["studyDesign"]
    shown = {c["coding"][0]["code"]: c["coding"][0]["display"] for c in design}
    assert shown == {k: enum_label(k) for k in shown}
