"""Registry page text reader: both examples against hand-checked goldens, round trips
through the test writer, labelled and unlabelled values, missing values, unplaced lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PALMIRA, POLAR, ROOT, v2_studies
from tests.registry_text_writer import write_registry_text
from trialpress.cli import cli
from trialpress.eligibility import parse_criteria
from trialpress.enums import DesignTimePerspective, ObservationalModel, StudyType
from trialpress.errors import RecordError
from trialpress.models import Criterion, Eligibility, Trial
from trialpress.readers import read_file, read_text, registry_groups
from trialpress.readers.registry_text import NO_RESULTS, SENTENCES, detect, read

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = ROOT / "examples" / "records"
UPDATE = os.environ.get("TRIALPRESS_UPDATE_GOLDENS") == "1"


def one(text: str, path: str = "page.txt") -> Trial:
    [trial] = read(text, path)
    assert isinstance(trial, Trial)
    return trial


def page(sections: dict[str, list[str]], *, header: list[str] | None = None) -> str:
    """A registry page with the given section contents (headings and helper sentences added)."""
    lines = header or ["A trial", "NCT ID: NCT01234567", "Last Updated: 2024-12"]
    for name, body in sections.items():
        lines.append(name)
        sentence = SENTENCES[name]
        if sentence:
            lines.append(sentence)
        lines.extend(body)
    return "\n".join(lines)


def codes(trial: Trial) -> list[tuple[str, int | None]]:
    return [(w.code, w.line) for w in trial.warnings]


# -- the two examples -----------------------------------------------------------------------


def _golden_dump(trial: Trial) -> dict[str, Any]:
    data = trial.model_dump(mode="json")
    data["source"]["path"] = Path(data["source"]["path"]).name
    return data


@pytest.mark.parametrize("name", ["NCT03820830", "NCT03809988"])
def test_golden(name: str) -> None:
    """The bundled example equals the hand-checked golden JSON.

    Regenerate (then check by hand again!) with TRIALPRESS_UPDATE_GOLDENS=1.
    """
    [trial] = read_file(EXAMPLES / f"{name}.txt")
    assert isinstance(trial, Trial)
    got = _golden_dump(trial)
    path = GOLDEN / f"{name}.json"
    if UPDATE:
        path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert got == json.loads(path.read_text(encoding="utf-8"))


def test_bundled_examples_equal_shared_data() -> None:
    assert (EXAMPLES / "NCT03820830.txt").read_bytes() == POLAR.read_bytes()
    assert (EXAMPLES / "NCT03809988.txt").read_bytes() == PALMIRA.read_bytes()


def _read(path: Path) -> Trial:
    [trial] = read_file(path)
    assert isinstance(trial, Trial)
    return trial


def test_polar_by_hand() -> None:
    t = _read(POLAR)
    assert t.nct_id == "NCT03820830"
    assert t.title.startswith("Palbociclib for HR Positive")
    assert (t.last_updated, t.has_results, t.status) == (
        "2025-03-07",
        False,
        "ACTIVE_NOT_RECRUITING",
    )
    assert (t.phases, t.study_type) == (["PHASE3"], "INTERVENTIONAL")
    assert t.enrollment is not None and (t.enrollment.count, t.enrollment.type) == (405, None)
    assert (t.start_date, t.completion_date) == ("2019-08-27", "2029-01-01")
    assert t.summary is not None and t.summary.count("\n\n") == 2
    assert t.description is not None and t.description.count("\n\n") == 5
    assert [r.nct_id for r in t.related_trials] == [
        "NCT03280303",
        "NCT03809988",
        "NCT04874025",
        "NCT02894398",
        "NCT03609047",
    ]
    assert t.related_trials[1].title is not None and t.related_trials[1].title.endswith("(PALMIRA)")
    assert t.conditions == []
    d = t.design
    assert (d.allocation, d.intervention_model, d.primary_purpose, d.masking) == (
        "RANDOMIZED",
        "PARALLEL",
        "TREATMENT",
        "NONE",
    )
    assert [(a.label, a.interventions) for a in t.arms] == [
        (
            "Palbociclib plus standard endocrine therapy",
            ["Palbociclib 125mg", "Standard endocrine therapy"],
        ),
        ("Standard endocrine therapy", ["Standard endocrine therapy"]),
    ]
    assert t.arms[1].description is not None and t.arms[1].description.startswith("Aromatase")
    assert [(i.name, i.arm_labels) for i in t.interventions] == [
        ("Palbociclib 125mg", ["Palbociclib plus standard endocrine therapy"]),
        (
            "Standard endocrine therapy",
            ["Palbociclib plus standard endocrine therapy", "Standard endocrine therapy"],
        ),
    ]
    e = t.eligibility
    assert (e.minimum_age, e.maximum_age, e.sex, e.healthy_volunteers) == (
        "18 Years",
        None,
        "ALL",
        False,
    )
    assert e.raw_text is not None
    assert e.raw_text.startswith("Inclusion Criteria\n* breast;")
    assert e.raw_text.endswith("is not considered an exclusion criterion.")
    assert "18 Years" not in e.raw_text
    numbers = [None, None, None, "2", "3", "4", "5", "6", "7", "8.-10.", "11", "12", "13"]
    assert [c.number for c in e.inclusion] == numbers
    assert [(s.name, s.agency_class, s.lead) for s in t.sponsors] == [
        ("Pfizer", "INDUSTRY", None),
        ("ETOP IBCSG Partners Foundation", "NETWORK", None),
    ]
    assert t.responsible_party is None
    assert [(o.name, o.role, o.affiliation) for o in t.officials] == [
        ("Elisabetta Munzone, MD", "STUDY_CHAIR", "European Institute of Oncology")
    ]
    assert len(t.locations) == 53
    assert all(loc.country and loc.city and loc.facility for loc in t.locations)
    canarias = t.locations[29]
    assert (canarias.facility, canarias.city, canarias.state, canarias.country) == (
        "Hospital Universitario de Canarias",
        "San Cristóbal de La Laguna",
        "Tenerife",
        "Spain",
    )
    assert t.locations[11].facility == "Groupe hospitalier de Bretagne Sud, Hôpital du Scorff"
    assert t.countries == ["Austria", "France", "Hungary", "Italy", "Spain", "Switzerland"]
    assert len(t.references) == 9 and all(r.pmid is None for r in t.references)
    assert t.references[0].citation.startswith("Anderson SJ, Wapnir I")
    assert [(i.id, i.type, i.source) for i in t.identifiers] == [
        ("2018-003553-19", "EUDRACT_NUMBER", "secondary_id"),
        ("BIG 18-02", "OTHER", "secondary_id"),
        ("WI239003", "OTHER", "secondary_id"),
        ("IBCSG 59-19", None, "org_study_id"),
    ]
    assert codes(t) == [("empty-section", 39), ("list-starts-late", 73), ("list-starts-late", 83)]
    assert t.extra == {}
    assert t.source.format == "registry-text" and t.source.path == str(POLAR)


def test_palmira_by_hand() -> None:
    t = _read(PALMIRA)
    assert (t.nct_id, t.status, t.phases, t.last_updated) == (
        "NCT03809988",
        "COMPLETED",
        ["PHASE2"],
        "2023-09-07",
    )
    assert t.enrollment is not None and t.enrollment.count == 198
    assert (t.summary, t.description) == (None, None)
    assert len(t.related_trials) == 5 and t.related_trials[-1].nct_id == "NCT03560856"
    assert [(a.label, a.interventions) for a in t.arms] == [
        ("Interventional Arm (Arm A)", ["Palbociclib", "Endocrine therapy"]),
        ("Control Arm (Arm B)", ["Endocrine therapy"]),
    ]
    e = t.eligibility
    assert (e.minimum_age, e.sex, e.healthy_volunteers) == ("18 Years", "FEMALE", False)
    assert [c.number for c in e.inclusion] == [str(n) for n in range(2, 19)]
    assert [c.number for c in e.inclusion[0].children] == ["1", "2", "3"]
    assert e.inclusion[0].children[1].text.startswith("Age <60 years")
    assert [c.number for c in e.exclusion] == [str(n) for n in range(2, 20)]
    assert e.exclusion[15].children[0].text.startswith("myocardial infarction")
    assert e.exclusion[15].children[0].number is None
    assert [(s.name, s.agency_class) for s in t.sponsors] == [
        ("Pfizer", "INDUSTRY"),
        ("MedSIR", "OTHER"),
    ]
    assert [(o.name, o.role, o.affiliation) for o in t.officials] == [
        ("José Perez", "PRINCIPAL_INVESTIGATOR", "MedSIR")
    ]
    assert len(t.locations) == 53 and all(loc.country for loc in t.locations)
    assert (t.locations[21].city, t.locations[21].state) == ("Badalona", "Barcelona")
    assert t.countries == ["France", "Germany", "Italy", "Slovenia", "Spain", "United Kingdom"]
    assert len(t.references) == 1
    assert [(i.id, i.type, i.source) for i in t.identifiers] == [
        ("2017-002781-48", "EUDRACT_NUMBER", "secondary_id"),
        ("MedOPP068", None, "org_study_id"),
    ]
    assert codes(t) == [
        ("empty-section", 14),
        ("empty-section", 28),
        ("empty-section", 30),
        ("list-starts-late", 61),
        ("list-starts-late", 82),
    ]


# -- round trips through the test writer ----------------------------------------------------


@pytest.mark.parametrize("path", [POLAR, PALMIRA], ids=["POLAR", "PALMIRA"])
def test_write_back_is_byte_identical_and_reads_the_same(path: Path) -> None:
    trial = _read(path)
    text = write_registry_text(trial)
    assert text == path.read_text(encoding="utf-8")
    assert read_text(text, str(path)) == [trial]  # the pipeline: reader, then facts


def test_writer_writes_criteria_from_the_tree_when_there_is_no_raw_text() -> None:
    trial = _read(PALMIRA)
    elig = trial.eligibility
    bare = Eligibility(
        minimum_age=None,
        maximum_age="65 Years",
        sex=None,
        healthy_volunteers=True,
        inclusion=elig.inclusion,
        exclusion=elig.exclusion,
        other=[Criterion(text="All patients:", children=[Criterion(number="1", text="Adult")])],
    )
    back = one(write_registry_text(trial.model_copy(update={"eligibility": bare})))

    def strip(cs: list[Criterion]) -> list[Any]:
        return [(c.number, c.text, strip(c.children)) for c in cs]

    got = back.eligibility
    assert strip(got.inclusion) == strip(elig.inclusion)
    assert strip(got.exclusion) == strip(elig.exclusion)
    assert strip(got.other) == [(None, "All patients:", [("1", "Adult", [])])]
    assert (got.minimum_age, got.maximum_age, got.sex, got.healthy_volunteers) == (
        None,
        "65 Years",
        None,
        True,
    )


def test_writer_labels_only_what_would_be_ambiguous() -> None:
    trial = _read(POLAR).model_copy(update={"start_date": None, "completion_date": "2029"})
    # An interventional study with no primary purpose: a bare OTHER would be read as the
    # primary purpose, so the writer labels it; for an observational study it would not.
    design = trial.design.model_copy(
        update={"primary_purpose": None, "time_perspective": DesignTimePerspective.OTHER}
    )
    trial = trial.model_copy(update={"design": design})
    lines = write_registry_text(trial).split("\n")
    assert "Completion Date: 2029" in lines
    assert "Time Perspective: OTHER" in lines
    assert "RANDOMIZED" in lines  # unambiguous values stay bare
    back = one("\n".join(lines))
    assert back.design == design
    assert back.completion_date == "2029" and back.start_date is None

    observational = trial.model_copy(
        update={
            "study_type": StudyType.OBSERVATIONAL,
            "design": design.model_copy(update={"observational_model": ObservationalModel.OTHER}),
        }
    )
    lines = write_registry_text(observational).split("\n")
    assert lines.count("OTHER") == 2
    assert one("\n".join(lines)).design == observational.design


def _strip(criteria: list[Criterion]) -> list[Any]:
    return [(c.number, c.text, _strip(c.children)) for c in criteria]


STUDIES = v2_studies()


@pytest.mark.parametrize("mode", ["raw_text", "tree"])
@pytest.mark.parametrize("study", [s for _, s in STUDIES], ids=[n for n, _ in STUDIES])
def test_api_criteria_survive_the_page_format(study: dict[str, Any], mode: str) -> None:
    """Every API study's criteria, written into a page (as text, or from the tree alone)
    and read back, give the same trees; the facts after them stay facts."""
    module = study["protocolSection"].get("eligibilityModule", {})
    text = module.get("eligibilityCriteria") or ""
    parsed = parse_criteria(text)
    elig = Eligibility(
        minimum_age=module.get("minimumAge"),
        maximum_age=module.get("maximumAge"),
        sex=module.get("sex"),
        healthy_volunteers=module.get("healthyVolunteers"),
        raw_text=(text or None) if mode == "raw_text" else None,
        inclusion=parsed.inclusion,
        exclusion=parsed.exclusion,
        other=parsed.other,
    )
    trial = _read(POLAR).model_copy(update={"eligibility": elig})
    got = one(write_registry_text(trial)).eligibility
    for section in ("other", "inclusion", "exclusion"):
        assert _strip(getattr(got, section)) == _strip(getattr(elig, section)), section
    for fact in ("minimum_age", "maximum_age", "sex", "healthy_volunteers"):
        assert getattr(got, fact) == getattr(elig, fact), fact
    if mode == "raw_text":
        assert got.raw_text == (text.strip("\n") or None)


# -- Basic Information ----------------------------------------------------------------------


def test_labelled_basic_information() -> None:
    t = one(
        page(
            {
                "Basic Information": [
                    "Recruitment Status: COMPLETED",
                    "clinical phase: PHASE1/PHASE2",
                    "Enrollment: 198 participants (ESTIMATED)",
                    "Study Type: INTERVENTIONAL",
                    "Completion Date: 2022-11",
                    "Start Date: 2019",
                ]
            }
        )
    )
    assert (t.status, t.phases, t.study_type) == (
        "COMPLETED",
        ["PHASE1", "PHASE2"],
        "INTERVENTIONAL",
    )
    assert t.enrollment is not None and (t.enrollment.count, t.enrollment.type) == (
        198,
        "ESTIMATED",
    )
    assert (t.start_date, t.completion_date) == ("2019", "2022-11")
    assert codes(t) == []


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["PHASE1, PHASE2", "12 participants Actual"], (["PHASE1", "PHASE2"], 12, "ACTUAL")),
        (["1 participant (ACTUAL)", "NA"], (["NA"], 1, "ACTUAL")),
        (["EARLY_PHASE1"], (["EARLY_PHASE1"], None, None)),
    ],
)
def test_phases_and_enrollment_by_shape(lines: list[str], expected: tuple[Any, ...]) -> None:
    t = one(page({"Basic Information": lines}))
    count = t.enrollment.count if t.enrollment else None
    kind = t.enrollment.type if t.enrollment else None
    assert (t.phases, count, kind) == expected


def test_values_recognised_by_shape_not_position_and_any_may_be_missing() -> None:
    t = one(page({"Basic Information": ["2021-03-04", "OBSERVATIONAL", "2023", "RECRUITING"]}))
    assert (t.status, t.study_type, t.phases, t.enrollment) == (
        "RECRUITING",
        "OBSERVATIONAL",
        [],
        None,
    )
    assert (t.start_date, t.completion_date) == ("2021-03-04", "2023")


def test_single_unlabelled_date_is_taken_as_start_with_a_warning() -> None:
    text = page({"Basic Information": ["COMPLETED", "2019-04-05"]})
    t = one(text)
    assert (t.start_date, t.completion_date) == ("2019-04-05", None)
    assert codes(t) == [("ambiguous-date", 7)]
    assert text.split("\n")[6] == "2019-04-05"


def test_study_results_other_text_means_results() -> None:
    t = one(page({"Study Results": ["Results have been posted for this trial."]}))
    assert t.has_results is True and t.extra == {}
    t = one(page({"Study Results": ["Outcome measures are available."]}))
    assert t.has_results is True
    assert t.extra["study_results"] == ["Outcome measures are available."]
    assert one(page({"Study Results": [NO_RESULTS]})).has_results is False


# -- unplaced lines, missing sections, tolerance ----------------------------------------------


def test_unplaced_lines_are_kept_and_reported() -> None:
    text = page(
        {
            "Basic Information": ["COMPLETED", "about 200 people"],
            "Study Design": ["RANDOMIZED", "SOMETIMES"],
            "Interventions": ["Drug A", "A pill"],
            "Other Intervention Names": ["Drug A: Pillex", "Drug B: Nothing"],
        },
        header=["A trial", "NCT ID: NCT01234567", "Last Updated: yesterday", "stray line"],
    )
    t = one(text)
    lines = text.split("\n")
    unplaced = t.extra["unplaced"]
    assert [(u["line"], u["section"], u["text"]) for u in unplaced] == [
        (3, "header", "Last Updated: yesterday"),
        (4, "header", "stray line"),
        (8, "Basic Information", "about 200 people"),
        (12, "Study Design", "SOMETIMES"),
        (20, "Other Intervention Names", "Drug B: Nothing"),
    ]
    assert all(lines[u["line"] - 1] == u["text"] for u in unplaced)
    assert [w.line for w in t.warnings if w.code == "unplaced-line"] == [3, 4, 8, 12, 20]
    assert t.interventions[0].other_names == ["Pillex"]
    assert t.last_updated is None


def test_missing_sections_and_values_are_fine() -> None:
    t = one(page({"Locations": ["Clinic", "Graz, , Austria"]}))
    assert (t.status, t.summary, t.arms, t.eligibility.raw_text) == (None, None, [], None)
    assert t.countries == ["Austria"]
    assert codes(t) == []


def test_helper_sentence_is_skipped_only_when_it_is_the_known_one() -> None:
    text = "\n".join(["T", "NCT ID: NCT01234567", "Conditions", "Breast Cancer", "Lung Cancer"])
    assert one(text).conditions == ["Breast Cancer", "Lung Cancer"]


def test_headings_any_case_with_colon_and_out_of_order_with_their_sentence() -> None:
    text = "\n".join(
        [
            "T",
            "NCT ID: NCT01234567",
            "CONDITIONS:",
            "Asthma",
            "study design",
            "RANDOMIZED",
            "Conditions",
            SENTENCES["Conditions"] or "",
            "COPD",
        ]
    )
    t = one(text)
    assert t.conditions == ["Asthma", "COPD"]
    assert t.design.allocation == "RANDOMIZED"


def test_a_heading_word_inside_a_section_is_content_when_out_of_order() -> None:
    t = one(page({"Brief Summary": ["First.", "Conditions"], "Study Design": ["NONE"]}))
    # "Conditions" comes after Brief Summary in page order, so it is a heading here ...
    assert t.summary == "First."
    t = one(page({"Study Design": ["NONE", "Conditions"]}))
    # ... but after Study Design it is not, and nothing is lost.
    assert [u["text"] for u in t.extra["unplaced"]] == ["Conditions"]


def test_countries_section_when_present() -> None:
    t = one(page({"Locations": ["Clinic", "Seoul, , Korea, Republic of"], "Countries": ["Korea"]}))
    assert t.locations[0].country == "Korea, Republic of"
    assert t.countries == ["Korea"]


def test_eligibility_facts_labelled_and_not_criteria() -> None:
    t = one(
        page(
            {
                "Eligibility Criteria": [
                    "Participants must be adults.",
                    "Inclusion Criteria",
                    "* Adult",
                    "Exclusion Criteria",
                    "* No",
                    "Minimum Age: 18 Years",
                    "Maximum Age: 75 Years",
                    "Sex: FEMALE",
                    "Healthy Volunteers: Yes",
                ]
            }
        )
    )
    e = t.eligibility
    assert (e.minimum_age, e.maximum_age, e.sex, e.healthy_volunteers) == (
        "18 Years",
        "75 Years",
        "FEMALE",
        True,
    )
    assert [c.text for c in e.other] == ["Participants must be adults."]
    assert [c.text for c in e.exclusion] == ["No"]
    assert e.raw_text is not None and e.raw_text.endswith("* No")
    assert codes(t) == [("text-outside-sections", 6)]


def test_two_unlabelled_ages_are_minimum_then_maximum() -> None:
    t = one(page({"Eligibility Criteria": ["Inclusion Criteria", "1. A", "18 Years", "65 Years"]}))
    assert (t.eligibility.minimum_age, t.eligibility.maximum_age) == ("18 Years", "65 Years")
    assert [c.text for c in t.eligibility.inclusion] == ["A"]


def test_sponsors_references_officials_identifiers_variants() -> None:
    t = one(
        page(
            {
                "Sponsors": ["Alpha", "INDUSTRY", "Beta", "Gamma", "OTHER"],
                "Responsible Party": ["PRINCIPAL_INVESTIGATOR", "Jane Doe", "Professor"],
                "Principal Investigators": ["A. Smith", "Role: PRINCIPAL_INVESTIGATOR", ""],
                "References": ["Citation one. PMID: 123", "Citation two.", "PMID: 456", "Three."],
                "Other Identifiers": ["X-1", "Identifier Type: OTHER", "Identifier Source: -"],
            }
        )
    )
    assert [(s.name, s.agency_class) for s in t.sponsors] == [
        ("Alpha", "INDUSTRY"),
        ("Beta", None),
        ("Gamma", "OTHER"),
    ]
    rp = t.responsible_party
    assert rp is not None and (rp.type, rp.name, rp.title) == (
        "PRINCIPAL_INVESTIGATOR",
        "Jane Doe",
        "Professor",
    )
    assert [(o.name, o.role, o.affiliation) for o in t.officials] == [
        ("A. Smith", "PRINCIPAL_INVESTIGATOR", None)
    ]
    assert [(r.citation, r.pmid) for r in t.references] == [
        ("Citation one.", "123"),
        ("Citation two.", "456"),
        ("Three.", None),
    ]
    assert [(i.id, i.type, i.source) for i in t.identifiers] == [("X-1", "OTHER", None)]


def test_arm_equal_to_an_intervention_followed_by_it_is_an_arm() -> None:
    t = one(
        page(
            {
                "Study Groups": [
                    "A",
                    "Drug A arm",
                    "Drug A",
                    "One pill a day.",
                    "Drug B",
                    "One tablet at night.",
                    "Drug B",
                    "One tablet at night.",
                ],
                "Interventions": ["Drug A", "One pill a day.", "Drug B", "One tablet at night."],
            }
        )
    )
    assert [(a.label, a.interventions) for a in t.arms] == [
        ("A", ["Drug A"]),
        ("Drug B", ["Drug B"]),
    ]


# -- Study Groups as real pages lay it out ---------------------------------------------------


def arms_and_interventions(t: Trial) -> tuple[list[Any], list[Any]]:
    return (
        [(a.label, a.description, a.interventions) for a in t.arms],
        [(i.name, i.description, i.other_names, i.arm_labels) for i in t.interventions],
    )


#: (Study Groups, Interventions, arms, interventions) for each layout real pages use.
REAL_LAYOUTS = {
    # The example: arms without description, an arm label equal to an
    # intervention name, and a description equal to a name.
    "labels-and-descriptions-equal-to-names": (
        ["Vandetanib", "Vandetanib", "Tablet, oral, daily", "Placebo", "Placebo", "Placebo"],
        ["Vandetanib", "Tablet, oral, daily", "Placebo", "Placebo"],
        [("Vandetanib", None, ["Vandetanib"]), ("Placebo", None, ["Placebo"])],
        [
            ("Vandetanib", "Tablet, oral, daily", [], ["Vandetanib"]),
            ("Placebo", "Placebo", [], ["Placebo"]),
        ],
    ),
    "descriptions-over-several-lines": (
        [
            *("Arm A", "Patients receive drug X.", "Treatment repeats every 21 days."),
            *("Drug X", "Given IV over 30 minutes.", "On day 1 of each cycle."),
            *("Arm B", "Patients receive placebo.", "Placebo", "Matching placebo."),
        ],
        [
            *("Drug X", "Given IV over 30 minutes.", "On day 1 of each cycle."),
            *("Placebo", "Matching placebo."),
        ],
        [
            ("Arm A", "Patients receive drug X.\nTreatment repeats every 21 days.", ["Drug X"]),
            ("Arm B", "Patients receive placebo.", ["Placebo"]),
        ],
        [
            ("Drug X", "Given IV over 30 minutes.\nOn day 1 of each cycle.", [], ["Arm A"]),
            ("Placebo", "Matching placebo.", [], ["Arm B"]),
        ],
    ),
    # An arm label followed directly by its first intervention, an intervention that is a
    # name alone (in both sections), and a control arm that lists nothing.
    "no-description-no-intervention-bare-intervention": (
        [
            *("Exercise", "Walking program", "Thirty minutes a day, five days a week."),
            *("Pedometer", "Usual care", "Participants continue their usual care."),
        ],
        ["Walking program", "Thirty minutes a day, five days a week.", "Pedometer"],
        [
            ("Exercise", None, ["Walking program", "Pedometer"]),
            ("Usual care", "Participants continue their usual care.", []),
        ],
        [
            ("Walking program", "Thirty minutes a day, five days a week.", [], ["Exercise"]),
            ("Pedometer", None, [], ["Exercise"]),
        ],
    ),
}


@pytest.mark.parametrize("layout", REAL_LAYOUTS)
def test_study_groups_as_real_pages_lay_it_out(layout: str) -> None:
    groups, interventions, arms, items = REAL_LAYOUTS[layout]
    t = one(page({"Study Groups": groups, "Interventions": interventions}))
    assert arms_and_interventions(t) == (arms, items)
    assert codes(t) == []


def test_interventions_sharing_a_name_take_their_other_names_in_turn() -> None:
    t = one(
        page(
            {
                "Study Groups": [
                    "Arm I",
                    "Receive app version A.",
                    "Smartphone app",
                    "Receive access to the app",
                    "Arm II",
                    "Receive app version B.",
                    "Smartphone app",
                    "Receive access to the app, version B",
                ],
                "Interventions": [
                    "Smartphone app",
                    "Receive access to the app",
                    "Smartphone app",
                    "Receive access to the app, version B",
                ],
                "Other Intervention Names": [
                    "Smartphone app: Version A",
                    "Smartphone app: Version B",
                ],
            }
        )
    )
    assert arms_and_interventions(t)[1] == [
        ("Smartphone app", "Receive access to the app", ["Version A"], ["Arm I", "Arm II"]),
        (
            "Smartphone app",
            "Receive access to the app, version B",
            ["Version B"],
            ["Arm I", "Arm II"],
        ),
    ]
    assert [a.interventions for a in t.arms] == [["Smartphone app"], ["Smartphone app"]]


CIS_PEM = {
    "Study Groups": [
        "Cis + Pem",
        "Cisplatin 75 mg/m2 and pemetrexed 500 mg/m2 on day 1.",
        "Cisplatin",
        "Pemetrexed",
    ],
    "Interventions": ["Cisplatin", "Pemetrexed"],
}


def test_an_equally_good_reading_is_warned_about_with_its_line() -> None:
    """Two names alone, always listed together: "Pemetrexed" may be a second intervention
    or Cisplatin's description. The reader keeps one reading and names the first line the
    other would read differently (line 9, "Pemetrexed" in Study Groups)."""
    text = page(CIS_PEM)
    t = one(text)
    assert codes(t) == [("ambiguous-groups", 9)]
    assert text.split("\n")[8] == "Pemetrexed"
    assert [(i.name, i.description) for i in t.interventions] == [
        ("Cisplatin", None),
        ("Pemetrexed", None),
    ]
    assert t.arms[0].interventions == ["Cisplatin", "Pemetrexed"]


def test_other_intervention_names_settle_which_lines_are_names() -> None:
    t = one(page({**CIS_PEM, "Other Intervention Names": ["Pemetrexed: Alimta"]}))
    assert codes(t) == []
    assert [(i.name, i.other_names) for i in t.interventions] == [
        ("Cisplatin", []),
        ("Pemetrexed", ["Alimta"]),
    ]


@pytest.mark.parametrize(
    ("model", "labels"),
    [
        ("PARALLEL", ["Treatment as usual (TAU)", "TAU and Anxiety App"]),
        ("SINGLE_GROUP", ["Treatment as usual (TAU)"]),
    ],
)
def test_the_design_says_how_many_groups_to_expect(model: str, labels: list[str]) -> None:
    """A first arm that lists nothing, or one arm with three description lines: the
    design's intervention model (one group or several) decides."""
    t = one(
        page(
            {
                "Study Design": [model],
                "Study Groups": [
                    "Treatment as usual (TAU)",
                    "Individuals will receive treatment as usual",
                    "TAU and Anxiety App",
                    "The program teaches how worry develops.",
                    "Anxiety App",
                    "The program teaches how worry develops.",
                ],
                "Interventions": ["Anxiety App", "The program teaches how worry develops."],
            }
        )
    )
    assert [a.label for a in t.arms] == labels
    assert t.arms[-1].interventions == ["Anxiety App"]


def test_placeholder_lines_still_mean_no_description() -> None:
    t = one(page({"Study Groups": ["Arm A", "", "Drug A", ""], "Interventions": ["Drug A", ""]}))
    assert arms_and_interventions(t) == (
        [("Arm A", None, ["Drug A"])],
        [("Drug A", None, [], ["Arm A"])],
    )
    assert codes(t) == []


@pytest.mark.parametrize(
    "sections",
    [
        {"Study Groups": ["x"] * 3000, "Interventions": ["x"] * 60},
        {"Study Groups": ["a", "b"] * 1500, "Interventions": ["a", "b"] * 30},
        {"Study Groups": [f"line {i}" for i in range(3000)], "Interventions": ["line 0"] * 3000},
    ],
    ids=["repeated-line", "repeated-pair", "long-interventions"],
)
def test_huge_repetitive_sections_stay_within_the_search_budget(
    sections: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Speed without a clock: a page built to make the segmentation search explode is read
    (every line kept somewhere) within the step budget."""
    steps = 0
    count = registry_groups._references

    def counted(*args: Any) -> Any:
        nonlocal steps
        found, spent = count(*args)
        steps += spent
        return found, spent

    monkeypatch.setattr(registry_groups, "_references", counted)
    t = one(page(sections))
    assert t.arms
    assert steps <= registry_groups.SEARCH_BUDGET + 2 * registry_groups.PARSE_LIMIT


# -- errors, encodings, CLI -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("\nNCT ID: NCT01234567", 1, "no title"),
        ("Title\nNCT ID: NCT123", 2, "invalid NCT ID"),
        ("Title\nNCT ID: \nConditions", 2, "invalid NCT ID"),
    ],
)
def test_record_errors_name_path_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(RecordError) as err:
        read(text, "bad.txt")
    assert (err.value.path, err.value.line) == ("bad.txt", line)
    assert message in str(err.value) and str(err.value).startswith(f"bad.txt:{line}: ")


def test_detect_is_by_content() -> None:
    assert detect(POLAR.read_text(encoding="utf-8"))
    assert not detect('{"protocolSection": {}}')


def test_crlf_and_bom(tmp_path: Path) -> None:
    data = POLAR.read_bytes()
    path = tmp_path / "record.dat"
    path.write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    [trial] = read_file(path)
    assert isinstance(trial, Trial)
    assert trial.model_dump(exclude={"source"}) == _read(POLAR).model_dump(exclude={"source"})


def test_read_text_dispatches_here() -> None:
    [trial] = read_text(PALMIRA.read_text(encoding="utf-8"), "p.txt")
    assert isinstance(trial, Trial) and trial.source.format == "registry-text"


def test_cli_parse_prints_json() -> None:
    result = CliRunner().invoke(cli, ["parse", str(EXAMPLES / "NCT03820830.txt")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["nct_id"] == "NCT03820830"
    assert len(data["locations"]) == 53


def test_console_script_parse_both_examples() -> None:
    exe = Path(sys.executable).parent / "trialpress"
    proc = subprocess.run(
        [str(exe), "parse", str(EXAMPLES)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert [t["nct_id"] for t in json.loads(proc.stdout)] == ["NCT03809988", "NCT03820830"]


_HEADER = "T\nNCT ID: NCT01234567\n"
_PIECES = st.one_of(
    st.text(max_size=30),
    st.sampled_from([*SENTENCES, *(s for s in SENTENCES.values() if s), "", "Role: X"]),
    st.sampled_from(["18 Years", "ALL", "No", "Identifier Type: -", "Graz, , Austria", "PMID: 1"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=40))
def test_arbitrary_text_gives_a_trial_or_our_error(pieces: list[str]) -> None:
    text = _HEADER + "\n".join(pieces)
    try:
        [trial] = read(text, "fuzz.txt")
    except RecordError:
        return
    assert isinstance(trial, Trial)
    for item in trial.extra.get("unplaced", []):
        assert item["text"] in text
