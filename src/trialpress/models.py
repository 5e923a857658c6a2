"""The trial model: the one vocabulary every stage after the readers speaks.

``Trial.model_dump(mode="json")`` is a public contract (``trialpress parse --format json``,
the JSON download on every trial page), so field names here change only with care.
Values that the source did not give stay ``None`` or empty; nothing is invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trialpress.enums import (
    AgencyClass,
    ArmGroupType,
    DateType,
    DesignAllocation,
    DesignMasking,
    DesignTimePerspective,
    EnrollmentType,
    InterventionalAssignment,
    InterventionType,
    ObservationalModel,
    OfficialRole,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    RecruitmentStatus,
    ReferenceType,
    Sex,
    StudyType,
    WhoMasked,
)

NCT_ID_RE = re.compile(r"^NCT\d{8}$")
#: Dates keep the precision the source gave: ``2024``, ``2024-12`` or ``2024-12-31``.
PARTIAL_DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")

SourceFormat = Literal["registry-text", "ctgov-json"]


class _Model(BaseModel):
    """Shared config: unknown keys are a programming error, and models are compared by value."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ReadWarning(_Model):
    """Something the reader noticed: text it could not place, numbering it kept as-is, ..."""

    code: str = Field(description="Stable machine-readable kind, e.g. `list-starts-late`.")
    message: str = Field(description="One sentence for people, naming what was kept and where.")
    line: int | None = Field(default=None, description="1-based source line, where known.")
    severity: Literal["warning", "note"] = Field(
        default="warning",
        description="`note`: nothing is wrong, data was only kept aside (e.g. in `extra`); "
        "`--strict` fails on warnings, never on notes.",
    )


class Criterion(_Model):
    """One eligibility criterion, numbered exactly as the source numbers it."""

    number: str | None = Field(
        default=None,
        description='Source numbering without trailing dot: "2", "8.-10.", null for a bullet.',
    )
    text: str = Field(description="The criterion's own text, without number, bullet or escapes.")
    children: list[Criterion] = Field(default_factory=list, description="Nested criteria.")
    line: int | None = Field(default=None, description="1-based line in the source text.")

    def walk(self) -> list[Criterion]:
        """This criterion and all its descendants, in source order."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


class Eligibility(_Model):
    """Who may take part; ``raw_text`` keeps the source wording so nothing is lost."""

    minimum_age: str | None = Field(
        default=None, description='As the source writes it: "18 Years".'
    )
    maximum_age: str | None = None
    sex: Sex | None = None
    healthy_volunteers: bool | None = None
    inclusion: list[Criterion] = Field(default_factory=list)
    exclusion: list[Criterion] = Field(default_factory=list)
    other: list[Criterion] = Field(
        default_factory=list,
        description="Eligibility text outside any inclusion/exclusion heading, kept in order.",
    )
    raw_text: str | None = Field(default=None, description="The source's eligibility text as-is.")

    def all_criteria(self) -> list[Criterion]:
        """Every criterion once, in source order (other, inclusion, exclusion)."""
        out: list[Criterion] = []
        for top in [*self.other, *self.inclusion, *self.exclusion]:
            out.extend(top.walk())
        return out


class Enrollment(_Model):
    """Participant count and whether it is the actual or the planned number."""

    count: int | None = None
    type: EnrollmentType | None = None


class Design(_Model):
    """Study design; interventional and observational studies fill different fields."""

    allocation: DesignAllocation | None = None
    intervention_model: InterventionalAssignment | None = None
    primary_purpose: PrimaryPurpose | None = None
    masking: DesignMasking | None = None
    who_masked: list[WhoMasked] = Field(default_factory=list)
    observational_model: ObservationalModel | None = None
    time_perspective: DesignTimePerspective | None = None


class Arm(_Model):
    """An arm or cohort; ``interventions`` names entries of ``Trial.interventions``."""

    label: str
    type: ArmGroupType | None = None
    description: str | None = None
    interventions: list[str] = Field(default_factory=list)


class Intervention(_Model):
    """A drug, device, procedure, ... given in one or more arms."""

    name: str
    type: InterventionType | None = None
    description: str | None = None
    other_names: list[str] = Field(default_factory=list)
    arm_labels: list[str] = Field(default_factory=list)


class Sponsor(_Model):
    """Lead sponsor or collaborator; ``lead`` is None when the source does not say."""

    name: str
    agency_class: AgencyClass | None = None
    lead: bool | None = None


class Official(_Model):
    """A principal investigator, study chair or director."""

    name: str
    role: OfficialRole | None = None
    affiliation: str | None = None


class Location(_Model):
    """A study site."""

    facility: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    status: RecruitmentStatus | None = None


class Reference(_Model):
    """A publication; ``pmid`` when the registry links it to PubMed."""

    citation: str
    pmid: str | None = None
    type: ReferenceType | None = None


class Identifier(_Model):
    """Another identifier of the trial; ``source`` is `org_study_id` or `secondary_id`."""

    id: str
    type: str | None = Field(
        default=None, description="e.g. EUDRACT_NUMBER, OTHER; null if not given."
    )
    source: Literal["org_study_id", "secondary_id"] | None = None
    domain: str | None = Field(default=None, description="Issuing organisation, where given.")


class RelatedTrial(_Model):
    """Another trial the registry relates to this one."""

    nct_id: str
    title: str | None = None


class ResponsibleParty(_Model):
    """Who is responsible for the registry record."""

    type: str | None = None
    name: str | None = None
    title: str | None = None
    affiliation: str | None = None


class Source(_Model):
    """Where the trial was read from, so errors and warnings can name it."""

    format: SourceFormat
    path: str
    index: int | None = Field(default=None, description="Position in a multi-study file.")


class Trial(_Model):
    """One trial, read from any supported format."""

    nct_id: str = Field(description="ClinicalTrials.gov identifier, NCT followed by 8 digits.")
    title: str = Field(description="Brief title.")
    official_title: str | None = None
    acronym: str | None = None
    status: OverallStatus | None = None
    phases: list[Phase] = Field(default_factory=list)
    study_type: StudyType | None = None
    enrollment: Enrollment | None = None
    start_date: str | None = None
    start_date_type: DateType | None = None
    primary_completion_date: str | None = None
    primary_completion_date_type: DateType | None = None
    completion_date: str | None = None
    completion_date_type: DateType | None = None
    last_updated: str | None = None
    has_results: bool = False
    conditions: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    summary: str | None = None
    description: str | None = None
    design: Design = Field(default_factory=Design)
    arms: list[Arm] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    sponsors: list[Sponsor] = Field(default_factory=list)
    responsible_party: ResponsibleParty | None = None
    officials: list[Official] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    countries: list[str] = Field(
        default_factory=list, description="Countries with at least one site, in source order."
    )
    references: list[Reference] = Field(default_factory=list)
    identifiers: list[Identifier] = Field(default_factory=list)
    related_trials: list[RelatedTrial] = Field(default_factory=list)
    source: Source
    warnings: list[ReadWarning] = Field(default_factory=list)
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description="Source data the model has no field for, by source path: kept, never dropped.",
    )

    @field_validator("nct_id")
    @classmethod
    def _check_nct_id(cls, value: str) -> str:
        if not NCT_ID_RE.match(value):
            raise ValueError(f"NCT ID must be NCT followed by 8 digits, got {value!r}")
        return value

    @field_validator("start_date", "primary_completion_date", "completion_date", "last_updated")
    @classmethod
    def _check_partial_date(cls, value: str | None) -> str | None:
        if value is not None and not PARTIAL_DATE_RE.match(value):
            raise ValueError(f"date must be YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
        return value

    @property
    def registry_url(self) -> str:
        """The trial's record on ClinicalTrials.gov."""
        return f"https://clinicaltrials.gov/study/{self.nct_id}"

    @property
    def lead_sponsor(self) -> Sponsor | None:
        """The lead sponsor if the source says which one it is."""
        return next((s for s in self.sponsors if s.lead), None)


def count_warnings(trials: Iterable[Trial], severity: str = "warning") -> int:
    """How many reader warnings (or, with ``severity="note"``, notes) the trials carry."""
    return sum(1 for t in trials for w in t.warnings if w.severity == severity)
