"""Legacy ClinicalTrials.gov XML reader: the 67 real records, both-format agreement, hostile XML.

Expected values are computed from the XML here with the standard library's ElementTree and
literal tables of legacy spellings, not with the reader's own conversion code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.researchstudy import ResearchStudy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import LEGACY_XML, V2_JSON
from tests.test_eligibility import assert_nothing_lost
from trialpress import fhir
from trialpress.eligibility import ParsedCriteria, unescape
from trialpress.errors import RecordError
from trialpress.models import Trial
from trialpress.readers import ctgov_xml, read_file, read_text

FILES = sorted(LEGACY_XML.rglob("*.xml"))
IDS = [p.stem for p in FILES]

STATUS = {
    "Completed": "COMPLETED",
    "Terminated": "TERMINATED",
    "Unknown status": "UNKNOWN",
    "Recruiting": "RECRUITING",
    "Not yet recruiting": "NOT_YET_RECRUITING",
    "Active, not recruiting": "ACTIVE_NOT_RECRUITING",
    "Suspended": "SUSPENDED",
    "Withdrawn": "WITHDRAWN",
    "Enrolling by invitation": "ENROLLING_BY_INVITATION",
}
PHASES = {
    "N/A": ["NA"],
    "Early Phase 1": ["EARLY_PHASE1"],
    "Phase 1": ["PHASE1"],
    "Phase 2": ["PHASE2"],
    "Phase 3": ["PHASE3"],
    "Phase 4": ["PHASE4"],
    "Phase 1/Phase 2": ["PHASE1", "PHASE2"],
    "Phase 2/Phase 3": ["PHASE2", "PHASE3"],
}


def read_xml(path: Path) -> Trial:
    [trial] = read_file(path)
    assert isinstance(trial, Trial), str(trial)
    return trial


@pytest.fixture(scope="module")
def trials() -> dict[str, Trial]:
    return {p.stem: read_xml(p) for p in FILES}


def test_all_legacy_records_read_without_error(trials: dict[str, Trial]) -> None:
    assert len(FILES) == 67
    assert sorted(trials) == sorted(IDS)
    for nct, trial in trials.items():
        assert trial.nct_id == nct
        assert trial.source.format == "ctgov-xml"
        # every real value converts: nothing set aside as invalid
        assert not [w.message for w in trial.warnings if w.code == "invalid-value"], nct


def _text(root: ET.Element, path: str) -> str | None:
    found = root.find(path)
    return None if found is None or found.text is None else found.text.strip()


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_core_fields_equal_the_xml(path: Path, trials: dict[str, Trial]) -> None:
    trial = trials[path.stem]
    root = ET.parse(path).getroot()
    assert trial.title == _text(root, "brief_title")
    assert trial.status == STATUS[_text(root, "overall_status") or ""]
    phase = _text(root, "phase")
    assert trial.phases == (PHASES[phase] if phase else [])
    enrollment = _text(root, "enrollment")
    assert (trial.enrollment.count if trial.enrollment else None) == (
        int(enrollment) if enrollment else None
    )
    assert trial.conditions == [c.text.strip() for c in root.findall("condition") if c.text]
    assert len(trial.locations) == len(root.findall("location"))
    criteria = _text(root, "eligibility/criteria/textblock")
    assert criteria, "every real record has criteria"
    elig = trial.eligibility
    parsed = ParsedCriteria(inclusion=elig.inclusion, exclusion=elig.exclusion, other=elig.other)
    assert_nothing_lost(criteria.replace("\r", ""), parsed)
    assert elig.inclusion or elig.other


def test_legacy_spellings_become_api_v2_values(trials: dict[str, Trial]) -> None:
    capecitabine = trials["NCT03377387"]
    assert capecitabine.phases == ["PHASE1", "PHASE2"]
    assert capecitabine.start_date == "2017-12-13" and capecitabine.start_date_type == "ACTUAL"
    assert capecitabine.completion_date == "2021-12"
    assert capecitabine.completion_date_type == "ESTIMATED"  # "Anticipated"
    assert capecitabine.eligibility.minimum_age == "18 Years"
    assert capecitabine.eligibility.maximum_age is None  # "N/A": no limit
    assert capecitabine.eligibility.sex == "FEMALE"
    assert capecitabine.eligibility.healthy_volunteers is False
    assert capecitabine.design.allocation == "NA"
    assert capecitabine.design.intervention_model == "SINGLE_GROUP"
    assert capecitabine.design.masking == "NONE"  # "None (Open Label)"
    assert [s.agency_class for s in capecitabine.sponsors] == ["OTHER", "INDUSTRY"]
    assert capecitabine.locations[0].status == "RECRUITING"
    assert capecitabine.responsible_party is not None
    assert capecitabine.responsible_party.type == "SPONSOR"
    phases = {t.nct_id: t.phases for t in trials.values()}
    assert ["NA"] in phases.values() and ["EARLY_PHASE1"] in phases.values()
    masked = {(t.design.masking, tuple(t.design.who_masked)) for t in trials.values()}
    assert ("DOUBLE", ("PARTICIPANT", "INVESTIGATOR")) in masked
    unknown = [t for t in trials.values() if t.status == "UNKNOWN"]
    assert unknown  # "Unknown status"
    healthy = {t.eligibility.healthy_volunteers for t in trials.values()}
    assert {True, False} <= healthy  # "Accepts Healthy Volunteers" / "No"
    assert any(r.type == "RESULT" for t in trials.values() for r in t.references)
    assert any(t.has_results for t in trials.values())


def test_whole_record_fields_from_the_xml(trials: dict[str, Trial]) -> None:
    cape = trials["NCT03377387"]
    [outcome] = cape.outcomes
    assert (outcome.kind, outcome.measure, outcome.time_frame) == (
        "primary",
        "Maximum Tolerated Dose (MTD)",
        "1 year",
    )
    assert outcome.description and outcome.description.startswith("If 0 of the 3 patients")
    assert [(c.name, c.role, c.phone, c.email) for c in cape.contacts] == [
        ("Chau Dang, MD", "CONTACT", "914-367-7181", "dangc@mskcc.org"),
        ("Shanu Modi, MD", "CONTACT", "646-888-4564", None),
    ]
    msk = cape.locations[7]
    assert [(c.name, c.role) for c in msk.contacts] == [
        ("Chau Dang, MD", "CONTACT"),
        ("Shanu Modi, MD", "CONTACT"),
        ("Chau Dang, MD", "PRINCIPAL_INVESTIGATOR"),
    ]
    assert [t.term for t in cape.mesh.conditions.terms] == ["Breast Neoplasms"]
    assert [t.term for t in cape.mesh.interventions.terms] == ["Capecitabine"]
    assert cape.oversight is not None
    assert (cape.oversight.fda_regulated_drug, cape.oversight.us_export) == (True, False)
    assert cape.first_posted == "2017-12-19" and cape.status_verified == "2020-07"
    assert cape.expanded_access is not None and cape.expanded_access.available is False
    stopped = [t for t in trials.values() if t.why_stopped]
    assert len(stopped) == 2 and all(t.status in ("TERMINATED", "SUSPENDED") for t in stopped)
    shared = [t.ipd_sharing for t in trials.values() if t.ipd_sharing]
    assert len(shared) == 32 and any(s.info_types for s in shared)
    documents = [d for t in trials.values() for d in t.documents]
    assert len(documents) == 2 and all(d.url and d.date for d in documents)
    assert sum(len(t.outcomes) for t in trials.values()) == 170 + 279


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Phase 1/Phase 2", ["PHASE1", "PHASE2"]),
        ("Phase 2/Phase 3", ["PHASE2", "PHASE3"]),
        ("Early Phase 1", ["EARLY_PHASE1"]),
        ("N/A", ["NA"]),
        ("Phase 5", None),
    ],
)
def test_phase_spellings(value: str, expected: list[str] | None) -> None:
    assert ctgov_xml.api_phases(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("December 13, 2017", "2017-12-13"),
        ("December 2021", "2021-12"),
        ("March 1, 2008", "2008-03-01"),
        ("2020-05", "2020-05"),
        ("Smarch 2020", None),
        ("yesterday", None),
    ],
)
def test_date_spellings(value: str, expected: str | None) -> None:
    assert ctgov_xml.api_date(value) == expected


def test_textblock_wrapping_is_undone_but_items_and_paragraphs_stay() -> None:
    block = (
        "\n        Inclusion Criteria:\n\n          -  Homeless and living at a shelter with"
        "\n             mother at the time of study\n\n          -  Second item\n"
        "          -  Third item\n\n        Next paragraph\n        wrapped.\n      "
    )
    text, origin = ctgov_xml.unwrap(block)
    assert text == (
        "Inclusion Criteria:\n\n  -  Homeless and living at a shelter with mother at the "
        "time of study\n\n  -  Second item\n  -  Third item\n\nNext paragraph wrapped."
    )
    assert origin == [1, 2, 3, 5, 6, 7, 8, 9]


# --------------------------------------------------------------------------- both formats

#: Differences between the legacy XML (processed 2020) and the API v2 JSON (2023) of the same
#: trial, each a change of the registry record in between or a value the legacy format lacks.
#: Every pattern must match a real difference, and every difference must be listed.
JUSTIFIED: dict[str, dict[str, str]] = {
    "NCT03377387": {
        "status": "recruiting in July 2020, active, not recruiting by April 2023",
        "enrollment.count": "48 anticipated in 2020, 34 actual in 2023",
        "enrollment.type": "anticipated then, actual now",
        "primary_completion_date": "moved from 2021-12 to 2024-12",
        "completion_date": "moved from 2021-12 to 2024-12",
        "last_updated": "the record dates themselves",
        "locations[*].status": "site statuses are dropped once a study stops recruiting",
        "locations[1].facility": "site renamed (Baptist Health South Florida)",
        "status_verified": "the record dates themselves",
        "contacts": "central contacts are dropped once a study stops recruiting",
        "locations[*].contacts": "so are site contacts",
        "locations[*].geo": "the legacy format has no site positions",
        "mesh.*.terms[*].id": "the legacy format gives MeSH headings without descriptor IDs",
        "mesh.*.ancestors": "the legacy format has no MeSH ancestors",
        "mesh.*.leaves": "nor the registry's browse leaves",
        "mesh.*.branches": "nor its browse branches",
    },
    "NCT02513394": {
        "primary_completion_date": "estimated 2020-09 in March 2020, actual 2020-11 later",
        "primary_completion_date_type": "estimated then, actual now",
        "last_updated": "the record dates themselves",
        "has_results": "results were posted after March 2020",
        "sponsors[*].agency_class": "API v2 has a NETWORK class; legacy XML said Other",
        "officials[0].name": "principal investigator changed",
        "locations": "233 sites in 2020, 437 in 2023",
        "countries": "9 countries in 2020, 21 in 2023",
        "references": "the trial's publications were added with its results",
        "identifiers[*].type": "the legacy format has no identifier types",
        "identifiers[*].domain": "the legacy format has no identifier domains",
        "status_verified": "the record dates themselves",
        "results_first_posted": "results were posted in 2022",
        "results": "posted results (the legacy XML of 2020 has none)",
        "documents": "protocol and analysis plan were posted with the results",
        "outcomes": "the outcome measures were revised when results were posted (2 then, 5 now)",
        "mesh.*.terms[*].id": "the legacy format gives MeSH headings without descriptor IDs",
        "mesh.*.ancestors": "the legacy format has no MeSH ancestors",
        "mesh.*.leaves": "nor the registry's browse leaves",
        "mesh.*.branches": "nor its browse branches",
    },
}

_MARKERS = re.compile(r"(?m)^\s*(?:[-*]|\d+\.)\s+")


def _normal(value: Any, key: str = "") -> Any:
    """Whitespace, Markdown escapes and (in raw text) list markers aside; no line numbers."""
    if isinstance(value, str):
        if key == "raw_text":
            value = _MARKERS.sub("", value)
        return " ".join(unescape(value).split())
    if isinstance(value, list):
        return [_normal(v, key) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v, k) for k, v in value.items() if k != "line"}
    return value


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in a.keys() | b.keys():
            out += _differences(a.get(key), b.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [path]


def _matches(path: str, pattern: str) -> bool:
    """``locations[*].status`` matches ``locations[3].status``, ``mesh.*.leaves`` any key."""
    rx = re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]").replace(r"\*", r"[a-z_]+")
    return re.fullmatch(rx, path) is not None


@pytest.mark.parametrize("nct", sorted(JUSTIFIED))
def test_both_formats_agree_up_to_record_changes(nct: str) -> None:
    [xml_path] = LEGACY_XML.rglob(f"{nct}.xml")
    [json_path] = V2_JSON.rglob(f"{nct}.json")
    [from_json] = read_file(json_path)
    assert isinstance(from_json, Trial)
    from_xml = read_xml(xml_path)
    skip = {"source", "warnings", "extra"}
    a = _normal(from_json.model_dump(mode="json", exclude=skip))
    b = _normal(from_xml.model_dump(mode="json", exclude=skip))
    found = sorted(_differences(a, b))
    allowed = JUSTIFIED[nct]
    unexplained = [d for d in found if not any(_matches(d, p) for p in allowed)]
    assert not unexplained, unexplained
    unused = [p for p in allowed if not any(_matches(d, p) for d in found)]
    assert not unused, f"listed but no longer different: {unused}"
    # what both carry and is not listed really is compared: titles, arms, criteria, ...
    assert a["eligibility"]["inclusion"] == b["eligibility"]["inclusion"]
    assert a["arms"] == b["arms"] and a["interventions"] == b["interventions"]
    if nct == "NCT02513394":
        assert set(b["countries"]) <= set(a["countries"])


# --------------------------------------------------------------------------- nothing lost

#: Element paths (indexes removed) the model has a field for.
MAPPED = {
    "id_info.nct_id",
    "id_info.org_study_id",
    "id_info.secondary_id",
    "brief_title",
    "official_title",
    "acronym",
    "overall_status",
    "start_date",
    "start_date@type",
    "primary_completion_date",
    "primary_completion_date@type",
    "completion_date",
    "completion_date@type",
    "last_update_posted",
    "sponsors.lead_sponsor.agency",
    "sponsors.lead_sponsor.agency_class",
    "sponsors.collaborator.agency",
    "sponsors.collaborator.agency_class",
    "brief_summary.textblock",
    "detailed_description.textblock",
    "phase",
    "study_type",
    "enrollment",
    "enrollment@type",
    "condition",
    "keyword",
    "arm_group.arm_group_label",
    "arm_group.arm_group_type",
    "arm_group.description",
    "intervention.intervention_type",
    "intervention.intervention_name",
    "intervention.description",
    "intervention.other_name",
    "intervention.arm_group_label",
    "eligibility.criteria.textblock",
    "eligibility.gender",
    "eligibility.minimum_age",
    "eligibility.maximum_age",
    "eligibility.healthy_volunteers",
    "overall_official.last_name",
    "overall_official.role",
    "overall_official.affiliation",
    "location.facility.name",
    "location.facility.address.city",
    "location.facility.address.state",
    "location.facility.address.zip",
    "location.facility.address.country",
    "location.status",
    "location_countries.country",
    "responsible_party.responsible_party_type",
    "responsible_party.investigator_full_name",
    "responsible_party.investigator_title",
    "responsible_party.investigator_affiliation",
    "reference.citation",
    "reference.PMID",
    "results_reference.citation",
    "results_reference.PMID",
    "study_design_info.allocation",
    "study_design_info.intervention_model",
    "study_design_info.primary_purpose",
    "study_design_info.masking",
    "study_design_info.observational_model",
    "study_design_info.time_perspective",
    "study_first_posted",
    "results_first_posted",
    "verification_date",
    "why_stopped",
    "last_known_status",
    "has_expanded_access",
    "primary_outcome.measure",
    "primary_outcome.time_frame",
    "primary_outcome.description",
    "secondary_outcome.measure",
    "secondary_outcome.time_frame",
    "secondary_outcome.description",
    "other_outcome.measure",
    "other_outcome.time_frame",
    "other_outcome.description",
    "overall_contact.last_name",
    "overall_contact.phone",
    "overall_contact.phone_ext",
    "overall_contact.email",
    "overall_contact_backup.last_name",
    "overall_contact_backup.phone",
    "overall_contact_backup.phone_ext",
    "overall_contact_backup.email",
    "location.contact.last_name",
    "location.contact.phone",
    "location.contact.phone_ext",
    "location.contact.email",
    "location.contact_backup.last_name",
    "location.contact_backup.phone",
    "location.contact_backup.phone_ext",
    "location.contact_backup.email",
    "location.investigator.last_name",
    "location.investigator.role",
    "condition_browse.mesh_term",
    "intervention_browse.mesh_term",
    "oversight_info.has_dmc",
    "oversight_info.is_fda_regulated_drug",
    "oversight_info.is_fda_regulated_device",
    "oversight_info.is_unapproved_device",
    "oversight_info.is_ppsd",
    "oversight_info.is_us_export",
    "patient_data.sharing_ipd",
    "patient_data.ipd_description",
    "patient_data.ipd_info_type",
    "patient_data.ipd_time_frame",
    "patient_data.ipd_access_criteria",
    "patient_data.ipd_url",
    "provided_document_section.provided_document.document_type",
    "provided_document_section.provided_document.document_has_protocol",
    "provided_document_section.provided_document.document_has_icf",
    "provided_document_section.provided_document.document_has_sap",
    "provided_document_section.provided_document.document_date",
    "provided_document_section.provided_document.document_url",
}


def _leaves(elem: ET.Element, path: str = "") -> list[str]:
    """Indexed paths of every leaf element and attribute below ``elem``."""
    out = [f"{path}@{a}" for a in elem.attrib]
    tags = [c.tag for c in elem]
    seen: dict[str, int] = {}
    for child in elem:
        i = seen.get(child.tag, 0)
        seen[child.tag] = i + 1
        step = child.tag + (f"[{i}]" if tags.count(child.tag) > 1 else "")
        where = f"{path}.{step}" if path else step
        out += _leaves(child, where) if len(child) or child.attrib else [where]
        if len(child) == 0 and child.attrib:
            out.append(where)
    return out


def _kept(path: str, extra: dict[str, Any]) -> bool:
    """Whether ``path`` or one of its ancestors is a key of ``extra``."""
    parts = re.split(r"(?=[.@])", path)
    return any("".join(parts[:n]) in extra for n in range(1, len(parts) + 1))


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_element_is_mapped_or_kept(path: Path, trials: dict[str, Trial]) -> None:
    trial = trials[path.stem]
    root = ET.parse(path).getroot()
    lost = []
    for leaf in _leaves(root):
        pattern = re.sub(r"\[\d+\]", "", leaf)
        if pattern in MAPPED or _kept(leaf, trial.extra):
            continue
        lost.append(leaf)
    assert not lost, lost[:10]
    if trial.extra:
        [note] = [w for w in trial.warnings if w.code == "unmapped-fields"]
        assert note.severity == "note"
        for key in trial.extra:
            assert re.sub(r"\[\d+\]", "[]", key) in note.message


def test_nothing_lost_check_catches_a_dropped_element(trials: dict[str, Trial]) -> None:
    trial = trials["NCT03377387"]
    extra = {k: v for k, v in trial.extra.items() if k != "required_header"}
    assert not _kept("required_header.download_date", extra)
    assert _kept("required_header.download_date", trial.extra)


# --------------------------------------------------------------------------- odd and hostile


def _study(body: str, head: str = "") -> str:
    return (
        f"{head}<clinical_study>\n  <id_info><nct_id>NCT01234567</nct_id></id_info>\n"
        f"  <brief_title>A trial</brief_title>\n{body}</clinical_study>\n"
    )


def test_minimal_study_and_encoding_declaration() -> None:
    [trial] = read_text(_study("", '<?xml version="1.0" encoding="ISO-8859-1"?>\n'), "a.xml")
    assert isinstance(trial, Trial)
    assert trial.nct_id == "NCT01234567" and trial.title == "A trial"


def test_unknown_values_are_kept_with_one_warning_naming_the_line() -> None:
    body = (
        "  <overall_status>Paused &lt;b&gt;</overall_status>\n"
        "  <phase>Phase 9</phase>\n"
        '  <start_date type="Actual">Someday</start_date>\n'
    )
    [trial] = read_text(_study(body), "a.xml")
    assert isinstance(trial, Trial)
    assert trial.status is None and trial.phases == [] and trial.start_date is None
    assert trial.start_date_type == "ACTUAL"
    assert trial.extra["overall_status"] == "Paused <b>"
    assert trial.extra["phase"] == "Phase 9" and trial.extra["start_date"] == "Someday"
    [warning] = [w for w in trial.warnings if w.code == "invalid-value"]
    assert warning.line == 4
    assert "overall_status" in warning.message and "start_date" in warning.message


def test_criteria_warnings_point_at_the_file_line() -> None:
    body = (
        "  <eligibility>\n    <criteria>\n      <textblock>\n"
        "        Inclusion Criteria:\n\n          2. starts at two\n"
        "      </textblock>\n    </criteria>\n  </eligibility>\n"
    )
    [trial] = read_text(_study(body), "a.xml")
    assert isinstance(trial, Trial)
    [warning] = [w for w in trial.warnings if w.code == "list-starts-late"]
    assert warning.line == 9  # the "2. starts at two" line of the file


def test_missing_nct_id_and_title_are_record_errors() -> None:
    [error] = read_text("<clinical_study><brief_title>x</brief_title></clinical_study>", "a.xml")
    assert isinstance(error, RecordError) and "nct_id" in error.message
    bad = "<clinical_study><id_info><nct_id>NCT1</nct_id></id_info></clinical_study>"
    [error] = read_text(bad, "a.xml")
    assert isinstance(error, RecordError) and "malformed" in error.message
    untitled = "<clinical_study><id_info><nct_id>NCT01234567</nct_id></id_info></clinical_study>"
    [error] = read_text(untitled, "a.xml")
    assert isinstance(error, RecordError) and "title" in error.message


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
    ' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
    "]>\n<clinical_study><brief_title>&lol3;</brief_title></clinical_study>\n"
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!DOCTYPE clinical_study [\n'
    '  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
    "<clinical_study><brief_title>&xxe;</brief_title></clinical_study>\n"
)
NO_DTD_ENTITY = _study("  <acronym>&secret;</acronym>\n")
DEEP = "<clinical_study>" + "<a>" * 5000 + "</a>" * 5000 + "</clinical_study>"
MANY = "<clinical_study>\n" + "<a/>" * (ctgov_xml.MAX_ELEMENTS + 1) + "\n</clinical_study>"


@pytest.mark.parametrize(
    ("name", "text", "line", "words"),
    [
        ("billion-laughs", BILLION_LAUGHS, 2, "DTD"),
        ("external-entity", EXTERNAL, 2, "DTD"),
        ("undeclared-entity", NO_DTD_ENTITY, 4, "undefined entity"),
        ("not-well-formed", _study("  <phase>Phase 1</phas>\n"), 4, "mismatched tag"),
        ("truncated", _study("")[:70], 3, "invalid XML"),
        ("deep", DEEP, 1, "nested too deeply"),
        ("many-elements", MANY, 2, "more than"),
        ("other-root", '<?xml version="1.0"?>\n<feed><entry/></feed>', 2, "root element is <feed>"),
    ],
)
def test_hostile_xml_is_refused_with_one_error(name: str, text: str, line: int, words: str) -> None:
    with pytest.raises(RecordError) as info:
        read_text(text, "bad.xml")
    error = info.value
    assert error.path == "bad.xml" and error.line == line, str(error)
    assert words in error.message, error.message
    assert "\n" not in str(error) and len(error.message) < 200


# --------------------------------------------------------------------------- fuzzing

SMALL = sorted((p for p in FILES if p.stat().st_size < 12_000), key=lambda p: p.name)[:8]
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome_is_clean(text: str) -> None:
    """Only a Trial or a RecordError; a Trial serialises and exports valid FHIR."""
    try:
        results = read_text(text, "fuzz.xml")
    except RecordError as exc:
        assert "\n" not in str(exc)
        return
    for result in results:
        assert isinstance(result, Trial | RecordError)
        if isinstance(result, Trial):
            result.model_dump_json()
            ResearchStudy.model_validate(fhir.research_study(result))


@FUZZ
@given(data=st.data())
def test_mutated_real_xml_gives_a_trial_or_a_record_error(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(SMALL))
    root = ET.parse(path).getroot()
    elements = list(root.iter())
    for _ in range(data.draw(st.integers(1, 6))):
        elem = data.draw(st.sampled_from(elements))
        action = data.draw(st.sampled_from(["text", "drop", "attr"]))
        if action == "text":
            elem.text = data.draw(st.text(alphabet=st.characters(blacklist_categories=["Cs"])))
            elem.text = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", elem.text)
        elif action == "attr":
            elem.set("type", data.draw(st.text(max_size=20)).replace("\x00", ""))
        else:
            for parent in elements:
                if elem in list(parent):
                    parent.remove(elem)
                    break
    text = ET.tostring(root, encoding="unicode")
    if data.draw(st.booleans()):
        text = text[: data.draw(st.integers(0, len(text)))]
    _outcome_is_clean(text)
