"""FHIR R5 ``ResearchStudy`` of a trial, and a ``Bundle`` of them, as plain JSON-ready dicts.

Follows HL7's ResearchStudy-to-ClinicalTrials.gov mapping where it has one: the NCT number
as an identifier in the registry's naming system, org-study and secondary IDs beside it;
title and acronym (``label``); the record's recruitment status and milestone dates as
``progressStatus``; ``phase``, ``primaryPurposeType`` and ``studyDesign`` as codings;
conditions (with MeSH codings where the record has them), keywords, interventions as
``focus``; sites as contained ``Location`` resources; enrolment and eligibility (a contained
``Group`` with the age range, sex and criteria text) as ``recruitment``; arms as
``comparisonGroup``; outcome measures; sponsors and investigators as ``associatedParty``;
references with PMIDs and DOIs as ``relatedArtifact``.

HL7 code systems are used where one exists for the concept (phase, status, primary purpose,
arm type, party role, title type); elsewhere the API v2 enumeration name is the code, in
a system named after the registry's data-structure page, so nothing is invented.

Record text stays data: every string passes :func:`trialpress.escaping.clean` (FHIR strings
may not hold control characters) and every ``markdown`` element
:func:`trialpress.escaping.markdown_literal`, so a consumer rendering it shows text, never
links or HTML. The tests validate every export with ``fhir.resources`` (R5).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from trialpress.escaping import clean, markdown_literal
from trialpress.labels import enum_label
from trialpress.models import AgeUnit, Contact, MeshTerm, Reference, Trial, parse_age
from trialpress.render import doi_from_citation

#: HL7's naming system for ClinicalTrials.gov identifiers (NCT numbers).
NCT_SYSTEM = "http://clinicaltrials.gov"
PUBMED_SYSTEM = "http://www.ncbi.nlm.nih.gov/pubmed"
MESH_SYSTEM = "http://id.nlm.nih.gov/mesh"
UCUM = "http://unitsofmeasure.org"
#: API v2 enumerations (DesignAllocation, ...) as code systems: the registry's own codes.
CTGOV_ENUM = "https://clinicaltrials.gov/data-api/about-api/study-data-structure#enum-"
_HL7 = "http://hl7.org/fhir/"
_THO = "http://terminology.hl7.org/CodeSystem/"

_PHASE = {
    "NA": "n-a",
    "EARLY_PHASE1": "early-phase-1",
    "PHASE1": "phase-1",
    "PHASE2": "phase-2",
    "PHASE3": "phase-3",
    "PHASE4": "phase-4",
}
#: The two combined phases HL7's code system has.
_PHASE_PAIRS: dict[tuple[str, ...], str] = {
    ("phase-1", "phase-2"): "phase-1-phase-2",
    ("phase-2", "phase-3"): "phase-2-phase-3",
}
_STATUS = {
    "ACTIVE_NOT_RECRUITING": "active-but-not-recruiting",
    "COMPLETED": "completed",
    "ENROLLING_BY_INVITATION": "enrolling-by-invitation",
    "NOT_YET_RECRUITING": "not-yet-recruiting",
    "RECRUITING": "recruiting",
    "SUSPENDED": "temporarily-closed-to-accrual",
    "TERMINATED": "terminated",
    "WITHDRAWN": "withdrawn",
}
_PURPOSE = {
    "TREATMENT": "treatment",
    "PREVENTION": "prevention",
    "DIAGNOSTIC": "diagnostic",
    "SUPPORTIVE_CARE": "supportive-care",
    "SCREENING": "screening",
    "HEALTH_SERVICES_RESEARCH": "health-services-research",
    "BASIC_SCIENCE": "basic-science",
    "DEVICE_FEASIBILITY": "device-feasibility",
}
_ARM_TYPE = {
    "EXPERIMENTAL": "experimental",
    "ACTIVE_COMPARATOR": "active-comparator",
    "PLACEBO_COMPARATOR": "placebo-comparator",
    "SHAM_COMPARATOR": "sham-comparator",
    "NO_INTERVENTION": "no-intervention",
    "OTHER": "other-arm-type",
}
_OFFICIAL_ROLE = {
    "PRINCIPAL_INVESTIGATOR": "primary-investigator",
    "SUB_INVESTIGATOR": "sub-investigator",
    "STUDY_DIRECTOR": "study-director",
    "STUDY_CHAIR": "study-chair",
}
_OUTCOME_TYPE = {"primary": "primary", "secondary": "secondary", "other": "exploratory"}
_AGENCY = {"NIH": "nih", "FED": "government", "OTHER_GOV": "government", "INDUSTRY": "industry"}
_SEX = {"FEMALE": "female", "MALE": "male"}
_AGE_UNITS: dict[AgeUnit, tuple[str, str]] = {
    "year": ("a", "years"),
    "month": ("mo", "months"),
    "week": ("wk", "weeks"),
    "day": ("d", "days"),
    "hour": ("h", "hours"),
    "minute": ("min", "minutes"),
}
_ID_UNSAFE_RE = re.compile(r"[^A-Za-z0-9.-]")
#: FHIR unsignedInt's largest value.
_MAX_UNSIGNED = 2**31 - 1


def _text(value: object) -> str | None:
    """A FHIR string from record text: controls made visible; None when empty."""
    if value is None:
        return None
    text = clean(value)
    return text if text.strip() else None


def _markdown(value: object) -> str | None:
    if value is None or not str(value).strip():
        return None
    return markdown_literal(value)


def _concept(text: object, *codings: dict[str, str] | None) -> dict[str, Any]:
    """A CodeableConcept with the codings given (None ones skipped) and ``text``."""
    out: dict[str, Any] = {}
    found = [c for c in codings if c]
    if found:
        out["coding"] = found
    shown = _text(text)
    if shown:
        out["text"] = shown
    return out


def _coding(system: str, code: str | None, display: object = None) -> dict[str, str] | None:
    if not code:
        return None
    out = {"system": system, "code": code}
    shown = _text(display)
    if shown:
        out["display"] = shown
    return out


def _enum_coding(kind: str, value: object) -> dict[str, str] | None:
    """The API v2 enumeration value as a coding in the registry's own code system."""
    if value is None:
        return None
    return _coding(CTGOV_ENUM + kind, str(value), enum_label(value))


def _prune(value: Any) -> Any:
    """Drop empty strings, lists and objects, so no element is present without a value."""
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [v for v in (_prune(v) for v in value) if v not in (None, "", [], {})]
    return value


def fhir_id(value: str) -> str:
    """A string made fit for a FHIR ``id`` (letters, digits, ``-``, ``.``; 64 at most)."""
    return (_ID_UNSAFE_RE.sub("-", value) or "x")[:64]


def age_quantity(age: str | None) -> dict[str, Any] | None:
    """``18 Years`` -> a UCUM Quantity (18 a); None when not a number with a unit."""
    parsed = parse_age(age)
    if parsed is None:
        return None
    number, unit_name = parsed
    code, unit = _AGE_UNITS[unit_name]
    value: int | float = int(number) if number.is_integer() else number
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _telecom(contact: Contact) -> list[dict[str, Any]]:
    """Phone (with its extension) and e-mail of a contact, as written."""
    out = []
    if contact.phone:
        phone = (
            contact.phone if not contact.phone_ext else f"{contact.phone} ext. {contact.phone_ext}"
        )
        out.append({"system": "phone", "value": _text(phone), "use": "work"})
    if contact.email:
        out.append({"system": "email", "value": _text(contact.email), "use": "work"})
    return out


def _mesh_coding(term: MeshTerm) -> dict[str, str]:
    """A MeSH coding; a heading without a descriptor ID (legacy XML) is given by name only."""
    if term.id:
        return _coding(MESH_SYSTEM, term.id, term.term) or {}
    return {"system": MESH_SYSTEM, "display": clean(term.term)}


def _with_mesh(texts: list[str], terms: list[MeshTerm], coded: bool) -> list[dict[str, Any]]:
    """One concept per text, coded with the MeSH term of the same name; then each MeSH term
    that names none of the texts, as a concept of its own (coded where it has an ID)."""
    by_name = {t.term.casefold(): t for t in terms}
    out = [
        _concept(
            text, _mesh_coding(by_name[text.casefold()]) if text.casefold() in by_name else None
        )
        for text in texts
    ]
    if coded:
        named = {text.casefold() for text in texts}
        out += [_concept(t.term, _mesh_coding(t)) for t in terms if t.term.casefold() not in named]
    return out


# --------------------------------------------------------------------------- parts


def _identifiers(trial: Trial) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "use": "official",
            "system": NCT_SYSTEM,
            "value": trial.nct_id,
            "type": {"text": "ClinicalTrials.gov NCT number"},
        }
    ]
    for ident in trial.identifiers:
        label = "Organization's unique protocol ID"
        if ident.source == "secondary_id":
            label = f"Secondary ID ({enum_label(ident.type)})" if ident.type else "Secondary ID"
        entry: dict[str, Any] = {
            "use": "secondary",
            "value": _text(ident.id),
            "type": {"text": label},
        }
        if ident.domain:
            entry["assigner"] = {"display": _text(ident.domain)}
        out.append(entry)
    return out


def _labels(trial: Trial) -> list[dict[str, Any]]:
    out = []
    kinds = (("acronym", trial.acronym), ("official", trial.official_title))
    for code, value in kinds:
        if value:
            out.append(
                {
                    "type": _concept(code.title(), _coding(_HL7 + "title-type", code)),
                    "value": _text(value),
                }
            )
    return out


def _progress(trial: Trial) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if trial.status is not None:
        out.append(
            {
                "state": _concept(
                    enum_label(trial.status),
                    _coding(_HL7 + "research-study-status", _STATUS.get(trial.status)),
                    _enum_coding("Status", trial.status),
                ),
                "actual": True,
            }
        )
    milestones = (
        ("overall-study", "Study start", trial.start_date, trial.start_date_type, "start"),
        (None, "Primary completion", trial.primary_completion_date,
         trial.primary_completion_date_type, "end"),
        ("completed", "Study completion", trial.completion_date, trial.completion_date_type,
         "end"),
    )  # fmt: skip
    for code, label, day, kind, edge in milestones:
        if not day:
            continue
        out.append(
            {
                "state": _concept(label, _coding(_HL7 + "research-study-status", code)),
                "actual": kind == "ACTUAL" if kind else None,
                "period": {edge: day},
            }
        )
    return out


def _design(trial: Trial) -> list[dict[str, Any]]:
    d = trial.design
    parts = (
        ("StudyType", "Study type", trial.study_type),
        ("DesignAllocation", "Allocation", d.allocation),
        ("InterventionalAssignment", "Intervention model", d.intervention_model),
        ("DesignMasking", "Masking", d.masking),
        ("ObservationalModel", "Observational model", d.observational_model),
        ("DesignTimePerspective", "Time perspective", d.time_perspective),
    )
    out = [
        _concept(f"{label}: {enum_label(value)}", _enum_coding(kind, value))
        for kind, label, value in parts
        if value is not None
    ]
    out += [
        _concept(f"Masked: {enum_label(who)}", _enum_coding("WhoMasked", who))
        for who in d.who_masked
    ]
    return out


def _phase(trial: Trial) -> dict[str, Any] | None:
    if not trial.phases:
        return None
    codes = tuple(_PHASE[p] for p in trial.phases)
    code = codes[0] if len(codes) == 1 else _PHASE_PAIRS.get(codes)
    return _concept(
        "/".join(enum_label(p) for p in trial.phases),
        _coding(_THO + "research-study-phase", code),
        *(_enum_coding("Phase", p) for p in trial.phases),
    )


def _conditions(trial: Trial) -> list[dict[str, Any]]:
    """The record's conditions, then the registry's MeSH headings for them."""
    return _with_mesh(trial.conditions, trial.mesh.conditions.terms, coded=True)


def _sites(trial: Trial) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Contained Locations and the references to them."""
    contained: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    for i, loc in enumerate(trial.locations, start=1):
        lid = f"site-{i}"
        address = {
            "city": _text(loc.city),
            "state": _text(loc.state),
            "postalCode": _text(loc.zip),
            "country": _text(loc.country),
        }
        resource: dict[str, Any] = {
            "resourceType": "Location",
            "id": lid,
            "name": _text(loc.facility),
            "address": address,
        }
        if loc.status is not None:
            resource["description"] = markdown_literal(f"Recruitment: {enum_label(loc.status)}")
        if loc.geo is not None:
            resource["position"] = {"latitude": loc.geo.lat, "longitude": loc.geo.lon}
        resource["contact"] = [
            {
                "purpose": _concept(enum_label(c.role), _enum_coding("ContactRole", c.role))
                if c.role
                else None,
                "name": [{"text": _text(c.name)}] if _text(c.name) else [],
                "telecom": _telecom(c),
            }
            for c in loc.contacts
        ]
        contained.append(resource)
        refs.append({"reference": f"#{lid}", "display": _text(loc.facility)})
    return contained, refs


def _eligibility_group(trial: Trial) -> dict[str, Any] | None:
    e = trial.eligibility
    characteristics: list[dict[str, Any]] = []
    low, high = age_quantity(e.minimum_age), age_quantity(e.maximum_age)
    if low or high:
        characteristics.append(
            {
                "code": {"text": "Age"},
                "valueRange": {"low": low, "high": high},
                "exclude": False,
            }
        )
    if e.sex is not None:
        characteristics.append(
            {
                "code": {"text": "Sex"},
                "valueCodeableConcept": _concept(
                    enum_label(e.sex),
                    _coding(_HL7 + "administrative-gender", _SEX.get(e.sex)),
                    _enum_coding("Sex", e.sex),
                ),
                "exclude": False,
            }
        )
    if e.healthy_volunteers is not None:
        characteristics.append(
            {
                "code": {"text": "Accepts healthy volunteers"},
                "valueBoolean": e.healthy_volunteers,
                "exclude": False,
            }
        )
    if not characteristics and not e.raw_text:
        return None
    return {
        "resourceType": "Group",
        "id": "eligibility",
        "type": "person",
        "membership": "definitional",
        "name": _text(f"Eligibility for {trial.nct_id}"),
        "description": _markdown(e.raw_text),
        "characteristic": characteristics,
    }


def _recruitment(trial: Trial, group: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    enrollment = trial.enrollment
    count = enrollment.count if enrollment is not None else None
    if enrollment is not None and count is not None and count <= _MAX_UNSIGNED:
        key = "actualNumber" if enrollment.type == "ACTUAL" else "targetNumber"
        out[key] = count
    if group is not None:
        out["eligibility"] = {"reference": "#eligibility"}
    return out


def _arms(trial: Trial) -> list[dict[str, Any]]:
    out = []
    for i, arm in enumerate(trial.arms, start=1):
        interventions = "; ".join(arm.interventions)
        description = arm.description or ""
        if interventions:
            description = f"{description}\n\nInterventions: {interventions}".strip()
        out.append(
            {
                "linkId": f"arm-{i}",
                "name": _text(arm.label),
                "type": _concept(
                    enum_label(arm.type),
                    _coding(_HL7 + "research-study-arm-type", _ARM_TYPE.get(arm.type or "")),
                    _enum_coding("ArmGroupType", arm.type),
                )
                if arm.type
                else None,
                "description": _markdown(description),
            }
        )
    return out


def _focus(trial: Trial) -> list[dict[str, Any]]:
    """Interventions (with a MeSH coding where a heading has the intervention's name)."""
    by_name = {t.term.casefold(): t for t in trial.mesh.interventions.terms}
    out = []
    for iv in trial.interventions:
        kind = f"{enum_label(iv.type)}: " if iv.type else ""
        mesh = by_name.get(iv.name.casefold())
        concept = _concept(
            f"{kind}{iv.name}",
            _enum_coding("InterventionType", iv.type),
            _mesh_coding(mesh) if mesh else None,
        )
        out.append({"concept": concept})
    return out


def _outcomes(trial: Trial) -> list[dict[str, Any]]:
    out = []
    for o in trial.outcomes:
        text = o.description or ""
        if o.time_frame:
            text = f"{text}\n\nTime frame: {o.time_frame}".strip()
        objective = _coding(_THO + "research-study-objective-type", _OUTCOME_TYPE[o.kind])
        out.append(
            {
                "name": _text(o.measure),
                "type": [_concept(o.kind.capitalize(), objective)],
                "description": _markdown(text),
            }
        )
    return out


def _central_contacts(trial: Trial) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Contained Practitioners for the central contacts, and their associatedParty entries."""
    contained: list[dict[str, Any]] = []
    parties: list[dict[str, Any]] = []
    for i, c in enumerate(trial.contacts, start=1):
        cid = f"contact-{i}"
        contained.append(
            {
                "resourceType": "Practitioner",
                "id": cid,
                "name": [{"text": _text(c.name)}] if _text(c.name) else [],
                "telecom": _telecom(c),
            }
        )
        parties.append(
            {
                "name": _text(c.name),
                "role": _concept(
                    "Recruitment contact",
                    _coding(_HL7 + "research-study-party-role", "recruitment-contact"),
                ),
                "party": {"reference": f"#{cid}"},
            }
        )
    return contained, parties


def _parties(trial: Trial) -> list[dict[str, Any]]:
    role_system = _HL7 + "research-study-party-role"
    out = []
    for sponsor in trial.sponsors:
        role = "lead-sponsor" if sponsor.lead else "collaborator"
        kind = _AGENCY.get(sponsor.agency_class or "")
        out.append(
            {
                "name": _text(sponsor.name),
                "role": _concept(role.replace("-", " ").capitalize(), _coding(role_system, role)),
                "classifier": [
                    _concept(
                        enum_label(sponsor.agency_class),
                        _coding(_HL7 + "research-study-party-org-type", kind),
                        _enum_coding("AgencyClass", sponsor.agency_class),
                    )
                ]
                if sponsor.agency_class
                else [],
            }
        )
    for official in trial.officials:
        code = _OFFICIAL_ROLE.get(official.role or "")
        name = official.name
        if official.affiliation:
            name = f"{name} ({official.affiliation})"
        out.append(
            {
                "name": _text(name),
                "role": _concept(
                    enum_label(official.role) if official.role else "Investigator",
                    _coding(role_system, code),
                ),
            }
        )
    return out


def _artifact(ref: Reference) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "citation",
        "citation": _markdown(ref.citation),
        "classifier": [_concept(enum_label(ref.type), _enum_coding("ReferenceType", ref.type))]
        if ref.type
        else [],
    }
    if ref.pmid and ref.pmid.strip().isdigit():
        out["label"] = f"PMID {ref.pmid.strip()}"
        out["resourceReference"] = {
            "identifier": {"system": PUBMED_SYSTEM, "value": ref.pmid.strip()},
            "display": f"PubMed {ref.pmid.strip()}",
        }
    doi = doi_from_citation(ref.citation)
    if doi:
        out["document"] = {"url": f"https://doi.org/{doi}", "title": _text(f"doi:{doi}")}
    return out


# --------------------------------------------------------------------------- resources


def research_study(trial: Trial) -> dict[str, Any]:
    """The trial as an R5 ``ResearchStudy`` (JSON-ready dict, empty elements left out)."""
    sites, site_refs = _sites(trial)
    group = _eligibility_group(trial)
    people, contact_parties = _central_contacts(trial)
    contained = [*sites, *([group] if group else []), *people]
    start = trial.start_date
    end = trial.completion_date or trial.primary_completion_date
    study: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": fhir_id(trial.nct_id),
        "contained": contained,
        "url": trial.registry_url,
        "identifier": _identifiers(trial),
        "name": trial.nct_id,
        "title": _text(trial.title),
        "label": _labels(trial),
        "date": trial.last_updated,
        "status": "active",
        "primaryPurposeType": _concept(
            enum_label(trial.design.primary_purpose),
            _coding(_THO + "research-study-prim-purp-type",
                    _PURPOSE.get(trial.design.primary_purpose or "")),
            _enum_coding("PrimaryPurpose", trial.design.primary_purpose),
        )
        if trial.design.primary_purpose
        else None,
        "phase": _phase(trial),
        "studyDesign": _design(trial),
        "focus": _focus(trial),
        "condition": _conditions(trial),
        "keyword": [_concept(k) for k in trial.keywords],
        "region": [_concept(c) for c in trial.countries],
        "descriptionSummary": _markdown(trial.summary),
        "description": _markdown(trial.description),
        "period": {"start": start, "end": end},
        "site": site_refs,
        "associatedParty": [*_parties(trial), *contact_parties],
        "progressStatus": _progress(trial),
        "recruitment": _recruitment(trial, group),
        "comparisonGroup": _arms(trial),
        "outcomeMeasure": _outcomes(trial),
        "whyStopped": _concept(trial.why_stopped) if trial.why_stopped else None,
        "relatedArtifact": [_artifact(r) for r in trial.references],
    }  # fmt: skip
    pruned: dict[str, Any] = _prune(study)
    return pruned


def bundle(trials: Iterable[Trial]) -> dict[str, Any]:
    """One ``collection`` Bundle of every trial's ResearchStudy, in the order given."""
    return bundle_of((t.registry_url, research_study(t)) for t in trials)


def bundle_of(studies: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """A Bundle of ResearchStudy resources already made, by registry URL (the site reuses
    each trial's cached resource instead of mapping every trial again).

    Entry URLs are stable (a UUID derived from the registry URL), so the same trials give
    the same file on every build.
    """
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": entry_url(url), "resource": study} for url, study in studies],
    }


def entry_url(registry_url: str) -> str:
    """A Bundle entry's stable ``fullUrl``: a UUID derived from the trial's registry URL."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, registry_url)}"
