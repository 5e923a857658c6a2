"""ClinicalTrials.gov API v2 JSON reader: every real study read, every leaf accounted for.

The 238 real studies come from the shared data (never copied in); shapes and errors use
small synthetic JSON written to ``tmp_path``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from trialpress.errors import RecordError
from trialpress.models import Trial
from trialpress.readers import ctgov_json, read_file, read_paths, read_text

from .conftest import V2_JSON, v2_studies

STUDIES = v2_studies()
IDS = [nct for nct, _ in STUDIES]


def read_one(study: dict[str, Any], path: str = "x.json") -> Trial:
    """Read one study object through the public entry point and return its trial."""
    [result] = read_text(json.dumps(study), path)
    assert isinstance(result, Trial), result
    return result


@pytest.fixture(scope="module")
def trials() -> dict[str, Trial]:
    """All 238 studies read from their files as they are (arrays and single objects)."""
    out: dict[str, Trial] = {}
    for result in read_paths([V2_JSON]):
        assert isinstance(result, Trial), f"unexpected error: {result}"
        out[result.nct_id] = result
    return out


# --------------------------------------------------------------------------- real data


def test_all_real_studies_read_without_error(trials: dict[str, Trial]) -> None:
    assert len(STUDIES) == 238
    assert sorted(trials) == sorted(IDS)


@pytest.mark.parametrize(("nct", "study"), STUDIES, ids=IDS)
def test_counts_match_the_json(nct: str, study: dict[str, Any], trials: dict[str, Trial]) -> None:
    trial = trials[nct]
    proto = study["protocolSection"]
    arms = proto.get("armsInterventionsModule", {})
    contacts = proto.get("contactsLocationsModule", {})
    assert len(trial.arms) == len(arms.get("armGroups", []))
    assert len(trial.interventions) == len(arms.get("interventions", []))
    assert len(trial.locations) == len(contacts.get("locations", []))
    assert len(trial.officials) == len(contacts.get("overallOfficials", []))
    assert len(trial.references) == len(proto.get("referencesModule", {}).get("references", []))
    countries = [loc["country"] for loc in contacts.get("locations", []) if loc.get("country")]
    assert trial.countries == list(dict.fromkeys(countries))
    # every arm's interventions name an intervention of the trial
    names = {i.name for i in trial.interventions}
    for arm in trial.arms:
        assert set(arm.interventions) <= names, arm
    # every real value fits the model: nothing had to be set aside as invalid
    assert not any(w.code == "invalid-value" for w in trial.warnings)
    # the JSON contract serialises
    assert json.loads(json.dumps(trial.model_dump(mode="json")))["nct_id"] == nct


# ----- nothing lost: each leaf of each study is in a model field or under extra

P = "protocolSection"


def _sec(t: Trial) -> list[Any]:
    return [i for i in t.identifiers if i.source == "secondary_id"]


def _collab(t: Trial) -> list[Any]:
    return [s for s in t.sponsors if not s.lead]


def _lead(t: Trial) -> Any:
    return next(s for s in t.sponsors if s.lead)


def _org(t: Trial) -> Any:
    return next(i for i in t.identifiers if i.source == "org_study_id")


def _outcomes(t: Trial, kind: str) -> list[Any]:
    return [o for o in t.outcomes if o.kind == kind]


def _strip_type(name: str, t: Trial) -> str:
    """The arm's intervention name as the model should give it: ``Drug: X`` -> ``X``."""
    names = {i.name for i in t.interventions}
    if name in names:
        return name
    rest = name.split(": ", 1)[-1]
    assert rest in names, f"{name!r} names no intervention"
    return rest


Getter = Callable[[Trial, list[int]], Any]
Expect = Callable[[Any, Trial], Any]
MAPPED: list[tuple[str, Getter, Expect | None]] = [
    ("hasResults", lambda t, i: t.has_results, None),
    (f"{P}.identificationModule.nctId", lambda t, i: t.nct_id, None),
    (f"{P}.identificationModule.briefTitle", lambda t, i: t.title, None),
    (f"{P}.identificationModule.officialTitle", lambda t, i: t.official_title, None),
    (f"{P}.identificationModule.acronym", lambda t, i: t.acronym, None),
    (f"{P}.identificationModule.orgStudyIdInfo.id", lambda t, i: _org(t).id, None),
    (f"{P}.identificationModule.orgStudyIdInfo.type", lambda t, i: _org(t).type, None),
    (f"{P}.identificationModule.secondaryIdInfos[#].id", lambda t, i: _sec(t)[i[0]].id, None),
    (f"{P}.identificationModule.secondaryIdInfos[#].type", lambda t, i: _sec(t)[i[0]].type, None),
    (
        f"{P}.identificationModule.secondaryIdInfos[#].domain",
        lambda t, i: _sec(t)[i[0]].domain,
        None,
    ),
    (f"{P}.statusModule.overallStatus", lambda t, i: t.status, None),
    (f"{P}.statusModule.startDateStruct.date", lambda t, i: t.start_date, None),
    (f"{P}.statusModule.startDateStruct.type", lambda t, i: t.start_date_type, None),
    (
        f"{P}.statusModule.primaryCompletionDateStruct.date",
        lambda t, i: t.primary_completion_date,
        None,
    ),
    (
        f"{P}.statusModule.primaryCompletionDateStruct.type",
        lambda t, i: t.primary_completion_date_type,
        None,
    ),
    (f"{P}.statusModule.completionDateStruct.date", lambda t, i: t.completion_date, None),
    (f"{P}.statusModule.completionDateStruct.type", lambda t, i: t.completion_date_type, None),
    (f"{P}.statusModule.lastUpdatePostDateStruct.date", lambda t, i: t.last_updated, None),
    (f"{P}.sponsorCollaboratorsModule.leadSponsor.name", lambda t, i: _lead(t).name, None),
    (
        f"{P}.sponsorCollaboratorsModule.leadSponsor.class",
        lambda t, i: _lead(t).agency_class,
        None,
    ),
    (
        f"{P}.sponsorCollaboratorsModule.collaborators[#].name",
        lambda t, i: _collab(t)[i[0]].name,
        None,
    ),
    (
        f"{P}.sponsorCollaboratorsModule.collaborators[#].class",
        lambda t, i: _collab(t)[i[0]].agency_class,
        None,
    ),
    (
        f"{P}.sponsorCollaboratorsModule.responsibleParty.type",
        lambda t, i: t.responsible_party and t.responsible_party.type,
        None,
    ),
    (
        f"{P}.sponsorCollaboratorsModule.responsibleParty.investigatorFullName",
        lambda t, i: t.responsible_party and t.responsible_party.name,
        None,
    ),
    (
        f"{P}.sponsorCollaboratorsModule.responsibleParty.investigatorTitle",
        lambda t, i: t.responsible_party and t.responsible_party.title,
        None,
    ),
    (
        f"{P}.sponsorCollaboratorsModule.responsibleParty.investigatorAffiliation",
        lambda t, i: t.responsible_party and t.responsible_party.affiliation,
        None,
    ),
    (f"{P}.descriptionModule.briefSummary", lambda t, i: t.summary, None),
    (f"{P}.descriptionModule.detailedDescription", lambda t, i: t.description, None),
    (f"{P}.conditionsModule.conditions[#]", lambda t, i: t.conditions[i[0]], None),
    (f"{P}.conditionsModule.keywords[#]", lambda t, i: t.keywords[i[0]], None),
    (f"{P}.designModule.studyType", lambda t, i: t.study_type, None),
    (f"{P}.designModule.phases[#]", lambda t, i: t.phases[i[0]], None),
    (
        f"{P}.designModule.enrollmentInfo.count",
        lambda t, i: t.enrollment and t.enrollment.count,
        None,
    ),
    (
        f"{P}.designModule.enrollmentInfo.type",
        lambda t, i: t.enrollment and t.enrollment.type,
        None,
    ),
    (f"{P}.designModule.designInfo.allocation", lambda t, i: t.design.allocation, None),
    (
        f"{P}.designModule.designInfo.interventionModel",
        lambda t, i: t.design.intervention_model,
        None,
    ),
    (
        f"{P}.designModule.designInfo.primaryPurpose",
        lambda t, i: t.design.primary_purpose,
        None,
    ),
    (f"{P}.designModule.designInfo.maskingInfo.masking", lambda t, i: t.design.masking, None),
    (
        f"{P}.designModule.designInfo.maskingInfo.whoMasked[#]",
        lambda t, i: t.design.who_masked[i[0]],
        None,
    ),
    (
        f"{P}.designModule.designInfo.observationalModel",
        lambda t, i: t.design.observational_model,
        None,
    ),
    (
        f"{P}.designModule.designInfo.timePerspective",
        lambda t, i: t.design.time_perspective,
        None,
    ),
    (f"{P}.armsInterventionsModule.armGroups[#].label", lambda t, i: t.arms[i[0]].label, None),
    (f"{P}.armsInterventionsModule.armGroups[#].type", lambda t, i: t.arms[i[0]].type, None),
    (
        f"{P}.armsInterventionsModule.armGroups[#].description",
        lambda t, i: t.arms[i[0]].description,
        None,
    ),
    (
        f"{P}.armsInterventionsModule.armGroups[#].interventionNames[#]",
        lambda t, i: t.arms[i[0]].interventions[i[1]],
        _strip_type,
    ),
    (
        f"{P}.armsInterventionsModule.interventions[#].name",
        lambda t, i: t.interventions[i[0]].name,
        None,
    ),
    (
        f"{P}.armsInterventionsModule.interventions[#].type",
        lambda t, i: t.interventions[i[0]].type,
        None,
    ),
    (
        f"{P}.armsInterventionsModule.interventions[#].description",
        lambda t, i: t.interventions[i[0]].description,
        None,
    ),
    (
        f"{P}.armsInterventionsModule.interventions[#].otherNames[#]",
        lambda t, i: t.interventions[i[0]].other_names[i[1]],
        None,
    ),
    (
        f"{P}.armsInterventionsModule.interventions[#].armGroupLabels[#]",
        lambda t, i: t.interventions[i[0]].arm_labels[i[1]],
        None,
    ),
    (f"{P}.eligibilityModule.eligibilityCriteria", lambda t, i: t.eligibility.raw_text, None),
    (f"{P}.eligibilityModule.minimumAge", lambda t, i: t.eligibility.minimum_age, None),
    (f"{P}.eligibilityModule.maximumAge", lambda t, i: t.eligibility.maximum_age, None),
    (f"{P}.eligibilityModule.sex", lambda t, i: t.eligibility.sex, None),
    (
        f"{P}.eligibilityModule.healthyVolunteers",
        lambda t, i: t.eligibility.healthy_volunteers,
        None,
    ),
    (
        f"{P}.contactsLocationsModule.overallOfficials[#].name",
        lambda t, i: t.officials[i[0]].name,
        None,
    ),
    (
        f"{P}.contactsLocationsModule.overallOfficials[#].role",
        lambda t, i: t.officials[i[0]].role,
        None,
    ),
    (
        f"{P}.contactsLocationsModule.overallOfficials[#].affiliation",
        lambda t, i: t.officials[i[0]].affiliation,
        None,
    ),
    *[
        (
            f"{P}.contactsLocationsModule.locations[#].{key}",
            (lambda k: lambda t, i: getattr(t.locations[i[0]], k))(key),
            None,
        )
        for key in ("facility", "city", "state", "zip", "country", "status")
    ],
    (
        f"{P}.referencesModule.references[#].citation",
        lambda t, i: t.references[i[0]].citation,
        None,
    ),
    (f"{P}.referencesModule.references[#].pmid", lambda t, i: t.references[i[0]].pmid, None),
    (f"{P}.referencesModule.references[#].type", lambda t, i: t.references[i[0]].type, None),
    (f"{P}.statusModule.whyStopped", lambda t, i: t.why_stopped, None),
    (f"{P}.statusModule.lastKnownStatus", lambda t, i: t.last_known_status, None),
    (f"{P}.statusModule.statusVerifiedDate", lambda t, i: t.status_verified, None),
    (f"{P}.statusModule.studyFirstPostDateStruct.date", lambda t, i: t.first_posted, None),
    (
        f"{P}.statusModule.resultsFirstPostDateStruct.date",
        lambda t, i: t.results_first_posted,
        None,
    ),
    (
        f"{P}.statusModule.expandedAccessInfo.hasExpandedAccess",
        lambda t, i: t.expanded_access and t.expanded_access.available,
        None,
    ),
    (
        f"{P}.statusModule.expandedAccessInfo.nctId",
        lambda t, i: t.expanded_access and t.expanded_access.nct_id,
        None,
    ),
    (
        f"{P}.statusModule.expandedAccessInfo.statusForNctId",
        lambda t, i: t.expanded_access and t.expanded_access.status,
        None,
    ),
    *[
        (
            f"{P}.outcomesModule.{key}[#].{field}",
            (lambda k, f: lambda t, i: getattr(_outcomes(t, k)[i[0]], f))(kind, attr),
            None,
        )
        for kind, key in (
            ("primary", "primaryOutcomes"),
            ("secondary", "secondaryOutcomes"),
            ("other", "otherOutcomes"),
        )
        for field, attr in (
            ("measure", "measure"),
            ("description", "description"),
            ("timeFrame", "time_frame"),
        )
    ],
]
MAPPED_RE = [
    (re.compile("^" + re.escape(pat).replace(r"\[\#\]", r"\[(\d+)\]") + "$"), get, expect)
    for pat, get, expect in MAPPED
]


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(JSON path, value) of every scalar and every empty container."""
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from leaves(child, f"{path}.{key}" if path else key)
    elif isinstance(value, list) and value:
        for i, child in enumerate(value):
            yield from leaves(child, f"{path}[{i}]")
    else:
        yield path, value


_SEGMENT_RE = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def in_extra(path: str, value: Any, extra: dict[str, Any]) -> bool:
    """Whether ``extra`` holds ``value`` at ``path``, under any key that is a prefix of it."""
    bounds = [m.start() for m in _SEGMENT_RE.finditer(path)] + [len(path)]
    for cut in bounds:
        key = path[:cut]
        if key not in extra:
            continue
        node = extra[key]
        for m in _SEGMENT_RE.finditer(path[cut:]):
            name, index = m.groups()
            try:
                node = node[name] if name is not None else node[int(index)]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if node == value and type(node) is type(value):
                return True
    return False


#: JSON path prefix -> model path prefix, for the parts the model mirrors key by key; the
#: rest of such a path maps camelCase -> snake_case (``timeFrame`` -> ``time_frame``).
MIRRORED = [
    ("resultsSection.participantFlowModule", "results.participant_flow"),
    ("resultsSection.baselineCharacteristicsModule", "results.baseline"),
    ("resultsSection.outcomeMeasuresModule.outcomeMeasures", "results.outcome_measures"),
    ("resultsSection.adverseEventsModule", "results.adverse_events"),
    ("resultsSection.moreInfoModule.limitationsAndCaveats.description", "results.limitations"),
    ("resultsSection.moreInfoModule", "results"),
    ("derivedSection.conditionBrowseModule.meshes", "mesh.conditions.terms"),
    ("derivedSection.conditionBrowseModule.ancestors", "mesh.conditions.ancestors"),
    ("derivedSection.conditionBrowseModule.browseLeaves", "mesh.conditions.leaves"),
    ("derivedSection.conditionBrowseModule.browseBranches", "mesh.conditions.branches"),
    ("derivedSection.interventionBrowseModule.meshes", "mesh.interventions.terms"),
    ("derivedSection.interventionBrowseModule.ancestors", "mesh.interventions.ancestors"),
    ("derivedSection.interventionBrowseModule.browseLeaves", "mesh.interventions.leaves"),
    ("derivedSection.interventionBrowseModule.browseBranches", "mesh.interventions.branches"),
    ("documentSection.largeDocumentModule.largeDocs", "documents"),
    (f"{P}.oversightModule.oversightHasDmc", "oversight.has_dmc"),
    (f"{P}.oversightModule.is", "oversight."),
    (f"{P}.oversightModule", "oversight"),
    (f"{P}.ipdSharingStatementModule.ipdSharing", "ipd_sharing.plan"),
    (f"{P}.ipdSharingStatementModule", "ipd_sharing"),
    (f"{P}.contactsLocationsModule.centralContacts", "contacts"),
    (f"{P}.contactsLocationsModule.locations", "locations"),
]
#: Mirrored paths that are not mirrored after all (the locations' other keys are in MAPPED).
_LOCATION_PART_RE = re.compile(r"^locations\[\d+\]\.(contacts|geoPoint)")


def _snake(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), key)


def mirrored_path(path: str) -> str | None:
    """The model path a mirrored JSON leaf path maps to, or None if it is not mirrored."""
    for src, dst in MIRRORED:
        if path.startswith(src):
            rest = path[len(src) :]
            if dst.endswith("."):
                rest = rest[:1].lower() + rest[1:]
            model = dst + rest
            if model.startswith("locations") and not _LOCATION_PART_RE.match(model):
                return None
            model = model.replace(".geoPoint", ".geo")
            return ".".join(_snake(part) for part in model.split("."))
    return None


def model_at(trial: Trial, path: str) -> Any:
    """The value at a model path like ``results.baseline.groups[0].title``."""
    node: Any = trial
    for m in _SEGMENT_RE.finditer("." + path):
        name, index = m.groups()
        node = getattr(node, name) if name is not None else node[int(index)]
    return node


def mapped_value(path: str, trial: Trial) -> tuple[bool, Any, Any]:
    """(is mapped, model value, expected) for a leaf path covered by MAPPED or MIRRORED."""
    for rx, get, _expect in MAPPED_RE:
        m = rx.match(path)
        if m:
            return True, get(trial, [int(g) for g in m.groups()]), _expect
    model = mirrored_path(path)
    if model is not None:
        try:
            return True, model_at(trial, model), None
        except (AttributeError, IndexError, TypeError) as exc:
            return True, f"<no {model}: {exc}>", None
    return False, None, None


@pytest.mark.parametrize(("nct", "study"), STUDIES, ids=IDS)
def test_every_leaf_is_mapped_or_kept(
    nct: str, study: dict[str, Any], trials: dict[str, Trial]
) -> None:
    trial = trials[nct]
    lost: list[str] = []
    wrong: list[str] = []
    for path, value in leaves(study):
        mapped, got, expect = mapped_value(path, trial)
        if mapped:
            want = expect(value, trial) if expect else value
            if got == want:
                continue
            wrong.append(f"{path}: model has {got!r}, source {want!r}")
        if not in_extra(path, value, trial.extra):
            lost.append(f"{path} = {value!r}"[:200])
    assert not wrong, wrong[:10]
    assert not lost, lost[:10]
    # one warning names every kept path (as a pattern)
    [unmapped] = [w for w in trial.warnings if w.code == "unmapped-fields"]
    for key in trial.extra:
        assert re.sub(r"\[\d+\]", "[]", key) in unmapped.message


def test_leaf_walk_detects_loss() -> None:
    """The walk above must fail when a value is dropped: check it against a doctored trial."""
    study = STUDIES[0][1]
    trial = read_one(study)
    extra = dict(trial.extra)
    key = f"{P}.statusModule.studyFirstSubmitDate"
    removed = extra.pop(key)
    assert not in_extra(key, removed, extra)
    assert mapped_value(f"{P}.identificationModule.briefTitle", trial)[1] == trial.title


def test_mirrored_paths_reach_the_model(trials: dict[str, Trial]) -> None:
    """The JSON -> model path translation of the walk above points where the value is."""
    trial = trials["NCT02513394"]
    assert trial.results is not None and trial.results.adverse_events is not None
    path = "resultsSection.adverseEventsModule.seriousEvents[0].stats[1].numAtRisk"
    assert mirrored_path(path) == "results.adverse_events.serious_events[0].stats[1].num_at_risk"
    stats = trial.results.adverse_events.serious_events[0].stats[1]
    assert mapped_value(path, trial)[1] == stats.num_at_risk
    geo = f"{P}.contactsLocationsModule.locations[2].geoPoint.lat"
    assert mirrored_path(geo) == "locations[2].geo.lat"
    assert mirrored_path(f"{P}.contactsLocationsModule.locations[2].city") is None
    assert mirrored_path(f"{P}.oversightModule.isFdaRegulatedDrug") == (
        "oversight.fda_regulated_drug"
    )


def test_reading_is_fast_enough_to_matter_not_timed(trials: dict[str, Trial]) -> None:
    """Timing lives in benchmarks/; here only that the largest study reads completely."""
    pallas = trials["NCT02513394"]
    assert len(pallas.locations) == 437
    assert pallas.results is not None and not any(
        k.startswith("resultsSection") for k in pallas.extra
    )
    assert "protocolSection.contactsLocationsModule.locations_nested" in pallas.extra


# --------------------------------------------------------------------------- mapping details

MINIMAL: dict[str, Any] = {
    "protocolSection": {
        "identificationModule": {"nctId": "NCT01234567", "briefTitle": "A small trial"},
    },
    "hasResults": False,
}


def study_with(**modules: Any) -> dict[str, Any]:
    study = copy.deepcopy(MINIMAL)
    study["protocolSection"].update(modules)
    return study


def test_minimal_study() -> None:
    trial = read_one(MINIMAL)
    assert trial.nct_id == "NCT01234567"
    assert trial.title == "A small trial"
    assert trial.source.format == "ctgov-json"
    assert trial.source.index is None
    assert trial.extra == {}
    assert trial.warnings == []


def test_partial_dates_keep_source_precision() -> None:
    trial = read_one(
        study_with(
            statusModule={
                "overallStatus": "RECRUITING",
                "startDateStruct": {"date": "2024-12"},
                "primaryCompletionDateStruct": {"date": "2026", "type": "ESTIMATED"},
                "completionDateStruct": {"date": "2027-01-31", "type": "ESTIMATED"},
                "lastUpdatePostDateStruct": {"date": "2025-02-03", "type": "ACTUAL"},
            }
        )
    )
    assert trial.start_date == "2024-12"
    assert trial.start_date_type is None
    assert trial.primary_completion_date == "2026"
    assert trial.primary_completion_date_type == "ESTIMATED"
    assert trial.completion_date == "2027-01-31"
    assert trial.last_updated == "2025-02-03"
    assert trial.extra == {"protocolSection.statusModule.lastUpdatePostDateStruct.type": "ACTUAL"}


def test_arm_intervention_prefix_stripped_and_unmatched_kept() -> None:
    trial = read_one(
        study_with(
            armsInterventionsModule={
                "armGroups": [
                    {
                        "label": "A",
                        "interventionNames": [
                            "Drug: Palbociclib",
                            "Combination Product: Pen",
                            "Drug: Ghost",
                            "Note: not a type",
                        ],
                    }
                ],
                "interventions": [
                    {"name": "Palbociclib", "type": "DRUG"},
                    {"name": "Pen", "type": "COMBINATION_PRODUCT"},
                ],
            }
        )
    )
    assert trial.arms[0].interventions == ["Palbociclib", "Pen", "Ghost", "Note: not a type"]
    base = "protocolSection.armsInterventionsModule.armGroups[0].interventionNames"
    assert trial.extra == {f"{base}[2]": "Drug: Ghost", f"{base}[3]": "Note: not a type"}


def test_unknown_enum_values_and_wrong_types_are_kept_with_one_warning() -> None:
    trial = read_one(
        study_with(
            statusModule={"overallStatus": "ON_HOLD"},
            designModule={"phases": ["PHASE1", "PHASE5"], "enrollmentInfo": {"count": "many"}},
            conditionsModule={"conditions": ["Asthma", 7], "keywords": "not a list"},
            contactsLocationsModule={"locations": [{"city": "Oslo", "status": 3}, "Bergen"]},
        )
    )
    assert trial.status is None
    assert trial.phases == ["PHASE1"]
    assert trial.conditions == ["Asthma"]
    assert trial.keywords == []
    assert trial.enrollment is not None and trial.enrollment.count is None
    assert [loc.city for loc in trial.locations] == ["Oslo"]
    assert trial.extra == {
        "protocolSection.statusModule.overallStatus": "ON_HOLD",
        "protocolSection.designModule.phases[1]": "PHASE5",
        "protocolSection.designModule.enrollmentInfo.count": "many",
        "protocolSection.conditionsModule.conditions[1]": 7,
        "protocolSection.conditionsModule.keywords": "not a list",
        "protocolSection.contactsLocationsModule.locations[0].status": 3,
        "protocolSection.contactsLocationsModule.locations[1]": "Bergen",
    }
    [warning] = [w for w in trial.warnings if w.code == "invalid-value"]
    assert "overallStatus = 'ON_HOLD' (not an API v2 OverallStatus value)" in warning.message
    assert "phases[1] = 'PHASE5'" in warning.message
    assert [w.code for w in trial.warnings] == ["invalid-value"]


def test_unmapped_fields_one_warning_with_patterns() -> None:
    locations = [
        {"city": c, "countryCode": "XX", "geoPoint": {"lat": 1.5, "lon": 2.5}} for c in "abc"
    ]
    study = study_with(
        contactsLocationsModule={"locations": locations, "centralContacts": [{"name": "X"}]},
        outcomesModule={"primaryOutcomes": [{"measure": "m"}]},
        statusModule={"studyFirstSubmitDate": "2024-01-02"},
    )
    study["derivedSection"] = {"miscInfoModule": {"versionHolder": "2025-01-01"}}
    trial = read_one(study)
    [warning] = trial.warnings
    assert warning.code == "unmapped-fields"
    assert "locations[].countryCode (3×)" in warning.message
    for key in ("statusModule.studyFirstSubmitDate", "derivedSection.miscInfoModule"):
        assert key in warning.message
    for key in ("centralContacts", "outcomesModule", "geoPoint"):
        assert key not in warning.message
    assert trial.extra["protocolSection.contactsLocationsModule.locations[2].countryCode"] == "XX"
    assert trial.locations[2].geo is not None and trial.locations[2].geo.lon == 2.5
    assert trial.contacts[0].name == "X"
    assert [(o.kind, o.measure) for o in trial.outcomes] == [("primary", "m")]
    assert trial.countries == []


def test_new_fields_with_bad_values_are_kept_with_the_reason() -> None:
    """A bad geo point, a contact role outside the spec and an outcome without a measure."""
    study = study_with(
        contactsLocationsModule={
            "locations": [{"city": "a", "geoPoint": {"lat": 200, "lon": 2}}],
            "centralContacts": [{"name": "X", "role": "BOSS", "phone": "javascript:alert(1)"}],
        },
        outcomesModule={"primaryOutcomes": [{"timeFrame": "1 year"}, {"measure": "m"}]},
        statusModule={"statusVerifiedDate": "May 2024", "whyStopped": "funding"},
    )
    trial = read_one(study)
    [invalid] = [w for w in trial.warnings if w.code == "invalid-value"]
    p = "protocolSection"
    assert (
        f"{p}.contactsLocationsModule.locations[0].geoPoint = an object (invalid value for lat: "
        "Input should be less than or equal to 90)"
    ) in invalid.message
    assert f"{p}.contactsLocationsModule.centralContacts[0].role = 'BOSS'" in invalid.message
    assert f"{p}.outcomesModule.primaryOutcomes[0] = an object (no measure)" in invalid.message
    assert f"{p}.statusModule.statusVerifiedDate = 'May 2024'" in invalid.message
    assert trial.locations[0].geo is None and trial.locations[0].city == "a"
    assert trial.contacts[0].phone == "javascript:alert(1)" and trial.contacts[0].role is None
    assert [o.measure for o in trial.outcomes] == ["m"]
    assert trial.why_stopped == "funding" and trial.status_verified is None
    assert trial.extra[f"{p}.outcomesModule.primaryOutcomes[0]"] == {"timeFrame": "1 year"}


def test_sponsors_identifiers_officials() -> None:
    trial = read_one(
        study_with(
            identificationModule={
                "nctId": "NCT01234567",
                "briefTitle": "T",
                "orgStudyIdInfo": {"id": "ORG-1", "type": "NIH", "link": "https://x"},
                "secondaryIdInfos": [
                    {"id": "2019-001-22", "type": "EUDRACT_NUMBER"},
                    {"id": "R01", "type": "NIH", "domain": "NCI"},
                ],
            },
            sponsorCollaboratorsModule={
                "leadSponsor": {"name": "Lead Co", "class": "INDUSTRY"},
                "collaborators": [{"name": "Uni", "class": "OTHER"}],
                "responsibleParty": {"type": "SPONSOR"},
            },
            contactsLocationsModule={
                "overallOfficials": [
                    {"name": "Dr A", "role": "PRINCIPAL_INVESTIGATOR", "affiliation": "Uni"}
                ]
            },
        )
    )
    assert [(s.name, s.agency_class, s.lead) for s in trial.sponsors] == [
        ("Lead Co", "INDUSTRY", True),
        ("Uni", "OTHER", False),
    ]
    assert [(i.id, i.type, i.source, i.domain) for i in trial.identifiers] == [
        ("ORG-1", "NIH", "org_study_id", None),
        ("2019-001-22", "EUDRACT_NUMBER", "secondary_id", None),
        ("R01", "NIH", "secondary_id", "NCI"),
    ]
    assert trial.responsible_party is not None and trial.responsible_party.type == "SPONSOR"
    assert trial.officials[0].role == "PRINCIPAL_INVESTIGATOR"
    assert trial.extra == {"protocolSection.identificationModule.orgStudyIdInfo.link": "https://x"}


# --------------------------------------------------------------------------- shapes


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def study(n: int) -> dict[str, Any]:
    s = copy.deepcopy(MINIMAL)
    s["protocolSection"]["identificationModule"]["nctId"] = f"NCT{n:08d}"
    return s


@pytest.mark.parametrize("name", ["study.json", "study.txt", "study"])
def test_single_study_any_extension(tmp_path: Path, name: str) -> None:
    [trial] = read_file(write(tmp_path, name, study(1)))
    assert isinstance(trial, Trial)
    assert trial.nct_id == "NCT00000001"
    assert trial.source.path == str(tmp_path / name)


@pytest.mark.parametrize("name", ["ctg-studies.json", "download.txt", "download"])
def test_array_download(tmp_path: Path, name: str) -> None:
    text = "[\n" + ",\n".join(json.dumps(study(n)) for n in (1, 2, 3)) + "\n]"
    results = read_file(write(tmp_path, name, text))
    assert [r.nct_id for r in results if isinstance(r, Trial)] == [
        "NCT00000001",
        "NCT00000002",
        "NCT00000003",
    ]
    assert [r.source.index for r in results if isinstance(r, Trial)] == [0, 1, 2]


@pytest.mark.parametrize("name", ["page.json", "page.txt", "page"])
def test_api_page(tmp_path: Path, name: str) -> None:
    page = {"totalCount": 2, "studies": [study(4), study(5)], "nextPageToken": "abc"}
    results = read_file(write(tmp_path, name, page))
    assert [r.nct_id for r in results if isinstance(r, Trial)] == ["NCT00000004", "NCT00000005"]


def test_directory_reads_every_record(tmp_path: Path) -> None:
    write(tmp_path, "a.json", study(1))
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, "b", [study(2), study(3)])
    write(sub, "c.txt", {"studies": [study(4)]})
    write(tmp_path, ".hidden.json", study(9))
    results = list(read_paths([tmp_path]))
    assert [r.nct_id for r in results if isinstance(r, Trial)] == [
        "NCT00000001",
        "NCT00000002",
        "NCT00000003",
        "NCT00000004",
    ]


def test_pretty_printed_real_file_and_compact_copy_agree(tmp_path: Path) -> None:
    real = next(s for n, s in STUDIES if n == "NCT00973089")
    compact = write(tmp_path, "compact", json.dumps(real, separators=(",", ":")))
    [a] = read_file(compact)
    [b] = read_file(V2_JSON / "ctti-clinicaltrials__aact" / "NCT00973089.json")
    assert isinstance(a, Trial) and isinstance(b, Trial)
    assert a.model_dump(exclude={"source"}) == b.model_dump(exclude={"source"})


# --------------------------------------------------------------------------- errors


def errors_of(results: list[Any]) -> list[RecordError]:
    return [r for r in results if isinstance(r, RecordError)]


def test_invalid_json_names_path_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", '{\n  "protocolSection": {\n    "a": 1\n    "b": 2\n}}')
    with pytest.raises(RecordError) as info:
        read_file(path)
    assert info.value.line == 4
    assert str(info.value) == f"{path}:4: invalid JSON: Expecting ',' delimiter (column 5)"


def test_truncated_array(tmp_path: Path) -> None:
    text = "[\n" + json.dumps(study(1)) + ",\n" + json.dumps(study(2))[:30]
    with pytest.raises(RecordError, match="invalid JSON") as info:
        read_file(write(tmp_path, "t.json", text))
    assert info.value.line == 3


def test_bad_studies_in_array_do_not_hide_good_ones(tmp_path: Path) -> None:
    no_id = study(2)
    del no_id["protocolSection"]["identificationModule"]["nctId"]
    bad_id = study(3)
    bad_id["protocolSection"]["identificationModule"]["nctId"] = "NCT123"
    text = "[\n" + ",\n".join(json.dumps(s) for s in [study(1), no_id, bad_id, 5, study(6)])
    path = write(tmp_path, "mixed.json", text + "\n]")
    results = read_file(path)
    assert [r.nct_id for r in results if isinstance(r, Trial)] == ["NCT00000001", "NCT00000006"]
    msgs = [str(e) for e in errors_of(results)]
    assert msgs == [
        f"{path}:3: study at index 1: no protocolSection.identificationModule.nctId",
        f"{path}:4: study at index 2: malformed protocolSection.identificationModule.nctId "
        "'NCT123' (expected NCT followed by 8 digits)",
        f"{path}:5: study at index 3: expected a study object, got a number",
    ]


def test_single_study_without_nct_id(tmp_path: Path) -> None:
    s = study(1)
    s["protocolSection"]["identificationModule"] = {"briefTitle": "T"}
    [err] = read_file(write(tmp_path, "s.json", s))
    assert isinstance(err, RecordError)
    assert err.message == "no protocolSection.identificationModule.nctId"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"foo": 1}', "JSON is not a ClinicalTrials.gov study"),
        ("[]", "no studies in this JSON"),
        ('{"studies": []}', "no studies in this JSON"),
        ('{"studies": {"a": 1}}', '"studies" must be a list of studies, got an object'),
        ('"a string"', None),
        ("[1e999]", "too large"),
        ("[NaN]", "NaN is not valid JSON"),
        ("[" + "1" * 5000 + "]", "invalid JSON: a number has more than 4300 digits"),
        ("[" * 100000 + "]" * 100000, "nested too deeply"),
        ("[" * 70 + "]" * 70, "nested too deeply"),
        ("{", "invalid JSON"),
    ],
)
def test_not_a_study_shape(text: str, message: str | None) -> None:
    if message is None:  # not JSON-looking: no reader claims it
        with pytest.raises(RecordError, match="not a recognised trial record"):
            read_text(text, "x")
        return
    with pytest.raises(RecordError, match=re.escape(message)):
        read_text(text, "x")


def test_wrong_types_give_a_record_error_naming_the_field() -> None:
    bad = study(1)
    bad["protocolSection"]["identificationModule"]["briefTitle"] = ["not", "a", "string"]
    [err] = read_text(json.dumps(bad), "x")
    assert isinstance(err, RecordError)
    assert "briefTitle" in str(err)


def test_missing_brief_title_falls_back_to_official_title_with_warning() -> None:
    s = study(1)
    ident = s["protocolSection"]["identificationModule"]
    del ident["briefTitle"]
    ident["officialTitle"] = "The official one"
    trial = read_one(s)
    assert trial.title == "The official one"
    assert [w.code for w in trial.warnings] == ["missing-title"]


def test_lone_surrogate_escapes_are_replaced() -> None:
    s = study(1)
    s["protocolSection"]["identificationModule"]["briefTitle"] = "bad \ud800 text \U0001f600"
    trial = read_one(s)
    assert trial.title == "bad \ufffd text \U0001f600"
    trial.model_dump_json()


def test_registry_text_whose_title_starts_with_a_bracket_is_not_json() -> None:
    reader = ctgov_json
    text = "[18F]FDG PET in lung cancer\nNCT ID: NCT01234567\n"
    assert reader.detect(text)  # looks like JSON by its first character...
    from trialpress.readers import detect_format

    found = detect_format(text)
    assert found is not None and found.NAME == "registry-text"  # ...but is not taken for it


# --------------------------------------------------------------------------- criteria text

#: One list marker as the source writes them (numbers, ranges, letters, roman numerals,
#: bullets); whitespace is already gone when this is applied.
_MARKER = (
    r"(?:\d{1,3}\.-\d{1,3}\.?|\d{1,3}(?:\.\)|\.|\))|[ivxlcdmIVXLCDM]{1,6}[.)]"
    r"|[a-zA-Z][.)]|[*+•\-o·▪])"
)
_ONLY_MARKERS = re.compile(rf"(?:{_MARKER})*")
#: A line that is only an inclusion/exclusion heading: the parser drops it (raw_text keeps it).
_HEADING_LINE = re.compile(
    r"^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*(?:key\s+)?(?:inclusion|exclusion)\s+criteria"
    r"\s*:?\s*(?:\*\*|__)?\s*:?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_SPACE = re.compile(r"\s+")


def uncovered(raw: str, criteria: list[Any]) -> str | None:
    """Why the criteria texts don't cover ``raw`` exactly, or None if they do.

    Both sides lose whitespace and Markdown escapes (the same ``unescape`` on both, so the
    comparison is symmetric); the source also loses pure heading lines. Then each criterion's
    text, in source order, must be the very next thing in the source, and what lies between
    two criteria (and after the last) may only be list markers: no text lost, none invented,
    no criterion text mangled.
    """
    from trialpress.eligibility import unescape

    source = _SPACE.sub("", _HEADING_LINE.sub("", unescape(raw)))
    pos = 0
    for crit in criteria:
        text = _SPACE.sub("", unescape(crit.text))
        if not text:
            continue
        found = source.find(text, pos)
        if found < 0:
            return f"criterion not found in order: {crit.text[:80]!r}"
        gap = source[pos:found]
        if not _ONLY_MARKERS.fullmatch(gap):
            return f"source text lost before {crit.text[:60]!r}: {gap[:80]!r}"
        pos = found + len(text)
    if not _ONLY_MARKERS.fullmatch(source[pos:]):
        return f"source text lost at the end: {source[pos : pos + 80]!r}"
    return None


def in_source_order(trial: Trial) -> list[Any]:
    """Every criterion once; sections sorted by source line (stable for run-on splits)."""
    return sorted(trial.eligibility.all_criteria(), key=lambda c: c.line or 0)


@pytest.mark.parametrize(("nct", "study"), STUDIES, ids=IDS)
def test_criteria_cover_the_eligibility_text(
    nct: str, study: dict[str, Any], trials: dict[str, Trial]
) -> None:
    trial = trials[nct]
    raw = study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    assert trial.eligibility.raw_text == raw
    assert trial.eligibility.all_criteria(), "no criteria at all"
    assert uncovered(raw, in_source_order(trial)) is None


def test_coverage_check_catches_loss_and_invention() -> None:
    trial = read_one(
        study_with(
            eligibilityModule={
                "eligibilityCriteria": "Inclusion Criteria:\n\n1. Age \\>18\n2. Consent\n\n"
                "Exclusion Criteria:\n\n* Pregnant"
            }
        )
    )
    crits = in_source_order(trial)
    assert [(c.number, c.text) for c in crits] == [
        ("1", "Age >18"),
        ("2", "Consent"),
        (None, "Pregnant"),
    ]
    raw = trial.eligibility.raw_text or ""
    assert uncovered(raw, crits) is None
    assert uncovered(raw, crits[1:]) is not None  # a criterion lost
    assert uncovered(raw.replace("Consent", "Consent given"), crits) is not None  # text lost
    assert uncovered(raw, [*crits, crits[0]]) is not None  # text invented
    changed = crits[0].model_copy(update={"text": "Age 18"})
    assert uncovered(raw, [changed, *crits[1:]]) is not None  # text mangled


def test_criteria_warnings_point_at_the_eligibility_line(tmp_path: Path) -> None:
    s = study_with(
        eligibilityModule={"eligibilityCriteria": "Inclusion Criteria:\n\n2. Adults\n3. Consent"}
    )
    path = tmp_path / "pretty.json"
    path.write_text(json.dumps([study(1), s], indent=2), encoding="utf-8")
    [_, trial] = read_file(path)
    assert isinstance(trial, Trial)
    [warning] = [w for w in trial.warnings if w.code == "list-starts-late"]
    lines = path.read_text(encoding="utf-8").split("\n")
    assert warning.line is not None
    assert lines[warning.line - 1].lstrip().startswith('"eligibilityCriteria"')
    assert warning.message.startswith("eligibility criteria line 3: ")


def test_repeated_keys_keep_every_value() -> None:
    text = (
        '{"protocolSection": {"identificationModule": {"nctId": "NCT01234567",'
        ' "briefTitle": "First", "briefTitle": "Second"}}}'
    )
    [trial] = read_text(text, "x")
    assert isinstance(trial, Trial)
    assert trial.title == "Second"
    assert trial.extra == {"protocolSection.identificationModule.briefTitle (duplicate)": "First"}
    [warning] = trial.warnings
    assert warning.code == "invalid-value"
    assert "key repeated in the source" in warning.message


def test_lone_surrogates_in_a_str_are_refused_with_the_line() -> None:
    with pytest.raises(RecordError, match="lone surrogate") as info:
        read_text('{\n"a":\n"\ud800"}', "x")
    assert info.value.line == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"protocolSection": []}', "(protocolSection is a list)"),
        ('{"protocolSection": {}}', "(no identificationModule)"),
        ('{"protocolSection": {"identificationModule": 3}}', "(identificationModule is a number)"),
        (
            '{"protocolSection": {"identificationModule": {"nctId": 12345678}}}',
            "malformed protocolSection.identificationModule.nctId a number",
        ),
    ],
)
def test_study_without_usable_nct_id_says_why(text: str, message: str) -> None:
    [err] = read_text(text, "x")
    assert isinstance(err, RecordError)
    assert message in err.message


def test_api_page_lines_point_at_each_study(tmp_path: Path) -> None:
    nameless = {"protocolSection": {"identificationModule": {"briefTitle": "B"}}}
    text = (
        '{"totalCount": 2,\n "studies": [\n'
        + json.dumps(study(1))
        + ",\n"
        + json.dumps(nameless)
        + '\n],\n "nextPageToken": "t"}'
    )
    [trial, err] = read_text(text, "page")
    assert isinstance(trial, Trial) and trial.source.index == 0
    assert isinstance(err, RecordError)
    assert str(err) == "page:4: study at index 1: no protocolSection.identificationModule.nctId"


def test_expanded_access_record_is_a_related_trial(trials: dict[str, Trial]) -> None:
    """The only related-trial link API v2 gives: the expanded-access record's NCT ID."""
    assert [r.nct_id for r in trials["NCT02552212"].related_trials] == ["NCT03559686"]
    with_access = {
        n
        for n, s in STUDIES
        if "nctId" in s["protocolSection"]["statusModule"].get("expandedAccessInfo", {})
    }
    assert {n for n, t in trials.items() if t.related_trials} == with_access


def test_documents_link_the_registry_copy_only_for_plain_file_names() -> None:
    docs = [
        {"label": "Study Protocol", "filename": "Prot_SAP_000.pdf", "size": 10, "hasSap": True},
        {"label": "Consent", "filename": "../x.pdf?a=<script>", "date": "2024-01-02"},
    ]
    study = study_with()
    study["documentSection"] = {"largeDocumentModule": {"largeDocs": docs}}
    trial = read_one(study)
    assert [d.url for d in trial.documents] == [
        "https://cdn.clinicaltrials.gov/large-docs/67/NCT01234567/Prot_SAP_000.pdf",
        None,
    ]
    assert trial.documents[1].filename == "../x.pdf?a=<script>"
    assert trial.documents[0].has_sap is True and trial.documents[0].size == 10
