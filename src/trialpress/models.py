"""The trial model: the one vocabulary every stage after the readers speaks.

``Trial.model_dump(mode="json")`` is a public contract (``trialpress parse --format json``,
the JSON download on every trial page), so field names here change only with care.
Values that the source did not give stay ``None`` or empty; nothing is invented.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from trialpress.enums import (
    AgencyClass,
    AgreementRestrictionType,
    AnalysisDispersionType,
    ArmGroupType,
    BrowseLeafRelevance,
    ConfidenceIntervalNumSides,
    ContactRole,
    DateType,
    DesignAllocation,
    DesignMasking,
    DesignTimePerspective,
    EnrollmentType,
    EventAssessment,
    ExpandedAccessStatus,
    InterventionalAssignment,
    InterventionType,
    IpdSharing,
    IpdSharingInfoType,
    MeasureDispersionType,
    MeasureParam,
    NonInferiorityType,
    ObservationalModel,
    OfficialRole,
    OutcomeMeasureType,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    RecruitmentStatus,
    ReferenceType,
    ReportingStatus,
    Sex,
    StudyType,
    WhoMasked,
)

NCT_ID_RE = re.compile(r"^NCT\d{8}$")
#: Dates keep the precision the source gave: ``2024``, ``2024-12`` or ``2024-12-31``.
PARTIAL_DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")

AgeUnit = Literal["year", "month", "week", "day", "hour", "minute"]
_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?\s*$", re.I)


def parse_age(text: str | None) -> tuple[float, AgeUnit] | None:
    """``"18 Months"`` -> ``(18.0, "month")``; None (no limit) for a missing or unreadable age.

    Ages stay in the model as the source writes them; the finder (years) and the FHIR
    export (UCUM quantities) read them through this one function so they cannot disagree.
    """
    match = _AGE_RE.match(text or "")
    if not match:
        return None
    unit: AgeUnit = match.group(2).lower()  # type: ignore[assignment]
    return float(match.group(1)), unit


SourceFormat = Literal["registry-text", "ctgov-json", "ctgov-xml"]


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


FactKind = Literal[
    "ecog_max",
    "karnofsky_min",
    "anc_min",
    "platelets_min",
    "hemoglobin_min",
    "crcl_min",
    "creatinine_max_uln",
    "bilirubin_max_uln",
    "ast_alt_max_uln",
    "ast_alt_max_uln_liver_mets",
    "cns_metastases",
    "pregnancy_excluded",
    "measurable_disease_required",
    "life_expectancy_min_weeks",
]


class FactSource(_Model):
    """The criterion a fact rests on, so a person can check it."""

    list: Literal["inclusion", "exclusion"]
    number: str = Field(
        description='The criterion as people name it: "3", "2.1", "bullet 2", "17, bullet 1".'
    )
    path: builtins.list[int] = Field(
        description="1-based positions from the top of the list down to the criterion."
    )


class EligibilityFact(_Model):
    """A key eligibility fact (ECOG, a lab threshold, ...) found in one criterion's text."""

    kind: FactKind
    value: bool | int | float | str = Field(
        description="A number in `unit`; `true`; or for `cns_metastases` `excluded`, "
        "`allowed_if_treated_stable` or `allowed`."
    )
    unit: str | None = Field(default=None, description='Canonical unit: "10^9/L", "x ULN", ...')
    comparator: str | None = Field(
        default=None,
        description="`>=`, `>`, `<=`, `<` as a requirement to take part; null for yes/no "
        "and categories.",
    )
    criterion: FactSource
    quote: str = Field(description="The exact words of the criterion the fact rests on.")
    note: str | None = Field(
        default=None,
        description="Set when the fact is not a plain requirement (an alternative, a "
        "threshold for part of the trial): read the criterion.",
    )


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
    facts: list[EligibilityFact] = Field(
        default_factory=list,
        description="Key facts found in the criteria, each naming its criterion and quote.",
    )

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


class Outcome(_Model):
    """A planned outcome measure of the protocol (what the trial measures, and when)."""

    kind: Literal["primary", "secondary", "other"] = Field(
        description="`primary`, `secondary` or `other` (pre-specified) outcome."
    )
    measure: str = Field(description="What is measured, as the registry words it.")
    description: str | None = Field(default=None, description="How it is measured.")
    time_frame: str | None = Field(
        default=None, description='When it is measured, as written: "Baseline to Week 16".'
    )


class Contact(_Model):
    """Someone to ask about the trial: a central contact or one site's contact.

    Phone and e-mail are third-party text as the registry gives them; pages make links of
    them only when they have the shape of a phone number or an e-mail address.
    """

    name: str | None = Field(default=None, description="Person or office, as given.")
    role: ContactRole | None = Field(default=None, description="API v2 `ContactRole`.")
    phone: str | None = Field(default=None, description="Phone number as written.")
    phone_ext: str | None = Field(default=None, description="Phone extension, as written.")
    email: str | None = Field(default=None, description="E-mail address as written.")


class GeoPoint(_Model):
    """A site's position (WGS 84 degrees), as the registry geocoded its city."""

    lat: float = Field(ge=-90, le=90, description="Latitude in degrees, north positive.")
    lon: float = Field(ge=-180, le=180, description="Longitude in degrees, east positive.")


class Location(_Model):
    """A study site."""

    facility: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    status: RecruitmentStatus | None = Field(
        default=None, description="The site's own recruitment status."
    )
    contacts: list[Contact] = Field(default_factory=list, description="The site's contacts.")
    geo: GeoPoint | None = Field(default=None, description="The site's position, where given.")


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


class MeshTerm(_Model):
    """A MeSH descriptor: ``D012559`` / ``Schizophrenia``."""

    id: str | None = Field(
        default=None,
        description="MeSH descriptor ID, e.g. `D001943`; null where the source gives the "
        "heading only (legacy XML).",
    )
    term: str = Field(description="MeSH heading, e.g. `Breast Neoplasms`.")


class BrowseLeaf(_Model):
    """A term of the registry's topic browse tree that the record matched."""

    id: str = Field(description="Browse leaf ID, e.g. `M15376`.")
    name: str = Field(description="The leaf's term.")
    as_found: str | None = Field(
        default=None, description="The record's own word(s) the term was found from."
    )
    relevance: BrowseLeafRelevance | None = Field(
        default=None, description="`HIGH` for the record's own terms, `LOW` for ancestors."
    )


class BrowseBranch(_Model):
    """A top-level topic of the registry's browse tree (e.g. `Cancers and Other Neoplasms`)."""

    abbrev: str = Field(description="Branch abbreviation, e.g. `BC04`.")
    name: str = Field(description="Branch name.")


class MeshBrowse(_Model):
    """MeSH terms the registry derived for the conditions (or the interventions) of a trial."""

    terms: list[MeshTerm] = Field(
        default_factory=list, description="Descriptors matching the record's own words."
    )
    ancestors: list[MeshTerm] = Field(
        default_factory=list,
        description="Broader descriptors above `terms` in the MeSH tree (for grouping).",
    )
    leaves: list[BrowseLeaf] = Field(
        default_factory=list, description="The registry's browse leaves, with relevance."
    )
    branches: list[BrowseBranch] = Field(
        default_factory=list, description="The registry's browse branches (topic areas)."
    )


class Mesh(_Model):
    """The registry's MeSH indexing (API v2 ``derivedSection`` browse modules)."""

    conditions: MeshBrowse = Field(
        default_factory=MeshBrowse, description="From `conditionBrowseModule`."
    )
    interventions: MeshBrowse = Field(
        default_factory=MeshBrowse, description="From `interventionBrowseModule`."
    )


class Document(_Model):
    """A document posted with the record: protocol, statistical analysis plan, consent form."""

    label: str | None = Field(
        default=None, description='As the registry labels it: "Study Protocol".'
    )
    type_abbrev: str | None = Field(
        default=None, description="Registry's kind code: `Prot`, `SAP`, `ICF`, `Prot_SAP`, ..."
    )
    has_protocol: bool | None = Field(default=None, description="The document holds the protocol.")
    has_sap: bool | None = Field(
        default=None, description="The document holds the statistical analysis plan."
    )
    has_icf: bool | None = Field(
        default=None, description="The document holds the informed consent form."
    )
    date: str | None = Field(default=None, description="The document's own date (YYYY-MM-DD).")
    upload_date: str | None = Field(
        default=None, description="When it was uploaded, as given (`2024-09-19T10:12`)."
    )
    filename: str | None = Field(default=None, description="File name at the registry.")
    size: int | None = Field(default=None, description="Size in bytes.")
    url: str | None = Field(default=None, description="Where the registry serves its copy.")


class Oversight(_Model):
    """Regulatory oversight flags of the record (API v2 ``oversightModule``)."""

    has_dmc: bool | None = Field(default=None, description="Has a data monitoring committee.")
    fda_regulated_drug: bool | None = Field(
        default=None, description="Studies a US FDA-regulated drug product."
    )
    fda_regulated_device: bool | None = Field(
        default=None, description="Studies a US FDA-regulated device product."
    )
    unapproved_device: bool | None = Field(
        default=None, description="Studies a device not approved or cleared by the FDA."
    )
    ppsd: bool | None = Field(default=None, description="Pediatric postmarket surveillance.")
    us_export: bool | None = Field(
        default=None, description="Product manufactured in and exported from the US."
    )
    fdaaa801_violation: bool | None = Field(
        default=None, description="The registry records an FDAAA 801 violation."
    )


class IpdSharingStatement(_Model):
    """Whether and how individual participant data will be shared."""

    plan: IpdSharing | None = Field(default=None, description="`YES`, `NO` or `UNDECIDED`.")
    description: str | None = Field(default=None, description="What will be shared, as written.")
    info_types: list[IpdSharingInfoType] = Field(
        default_factory=list, description="Supporting documents to be shared."
    )
    time_frame: str | None = Field(default=None, description="When, as written.")
    access_criteria: str | None = Field(default=None, description="Who may access, and how.")
    url: str | None = Field(default=None, description="Where to ask, as given.")


class ExpandedAccess(_Model):
    """Whether the treatment is available outside the trial (expanded access)."""

    available: bool | None = Field(
        default=None, description="The record says expanded access is (or was) available."
    )
    nct_id: str | None = Field(default=None, description="The expanded-access record's NCT ID.")
    status: ExpandedAccessStatus | None = Field(
        default=None, description="Status of that expanded-access record."
    )


# --------------------------------------------------------------------------- results
# The results mirror API v2 ``resultsSection`` with snake_case names, so the registry's data
# element definitions explain every field; groups are referred to by their ``id``
# (``FG000``, ``BG000``, ``OG000``, ``EG000``). Numbers stay the strings the registry gives
# (``"43.0"``, ``"NA"``) where the API gives strings: their precision is part of the result.


class ResultGroup(_Model):
    """A column of a results table: an arm or group as the results report it."""

    id: str = Field(description="Group ID within its module, e.g. `OG000`.")
    title: str | None = Field(default=None, description="Group title.")
    description: str | None = Field(default=None, description="Who the group is.")


class DenomCount(_Model):
    """A group's number analysed."""

    group_id: str = Field(description="The group (`ResultGroup.id`).")
    value: str = Field(description="Count, as the registry gives it.")


class Denom(_Model):
    """Numbers analysed per group, in some unit (usually participants)."""

    units: str | None = Field(default=None, description='Unit counted: "Participants".')
    counts: list[DenomCount] = Field(default_factory=list, description="One count per group.")


class Measurement(_Model):
    """One group's value in one row of a results table."""

    group_id: str = Field(description="The group (`ResultGroup.id`).")
    value: str | None = Field(default=None, description="The value as reported (`-9.03`, `NA`).")
    spread: str | None = Field(default=None, description="Dispersion value (SD, SE, ...).")
    lower_limit: str | None = Field(default=None, description="Lower end of a range or interval.")
    upper_limit: str | None = Field(default=None, description="Upper end of a range or interval.")
    comment: str | None = Field(default=None, description="Why a value is missing, etc.")


class MeasureCategory(_Model):
    """A row of a results table (e.g. `Female`); untitled when the class has one row."""

    title: str | None = Field(default=None, description="Category title.")
    measurements: list[Measurement] = Field(default_factory=list, description="One per group.")


class MeasureClass(_Model):
    """A block of rows (e.g. a time point `Week 2`, or a race); untitled for a single block."""

    title: str | None = Field(default=None, description="Class title.")
    denoms: list[Denom] = Field(
        default_factory=list, description="Numbers analysed in this class, when they differ."
    )
    categories: list[MeasureCategory] = Field(default_factory=list, description="Rows.")


class BaselineMeasure(_Model):
    """One baseline characteristic (age, sex, a score, ...) by group."""

    title: str = Field(description='What was measured: "Age, Continuous".')
    description: str | None = Field(default=None, description="How, as written.")
    population_description: str | None = Field(
        default=None, description="Who was analysed, when not everyone."
    )
    param_type: MeasureParam | None = Field(default=None, description="Mean, median, count, ...")
    dispersion_type: MeasureDispersionType | None = Field(
        default=None, description="What `spread` or the limits are (SD, range, ...)."
    )
    unit_of_measure: str | None = Field(default=None, description='Unit: "years".')
    calculate_pct: bool | None = Field(
        default=None, description="Whether the registry shows percentages of the counts."
    )
    denom_units_selected: str | None = Field(default=None, description="Unit of the denominators.")
    denoms: list[Denom] = Field(default_factory=list, description="Numbers analysed per group.")
    classes: list[MeasureClass] = Field(default_factory=list, description="Blocks of rows.")


class Baseline(_Model):
    """Baseline characteristics of the participants, by group."""

    population_description: str | None = Field(
        default=None, description="Who the baseline describes."
    )
    type_units_analyzed: str | None = Field(
        default=None, description="Unit analysed when not participants."
    )
    groups: list[ResultGroup] = Field(default_factory=list, description="Columns (`BG000`...).")
    denoms: list[Denom] = Field(default_factory=list, description="Numbers analysed per group.")
    measures: list[BaselineMeasure] = Field(default_factory=list, description="Rows.")


class FlowStats(_Model):
    """A group's count at one milestone, or for one drop-out reason."""

    group_id: str = Field(description="The group (`ResultGroup.id`, `FG000`...).")
    num_subjects: str | None = Field(default=None, description="Participants, as given.")
    num_units: str | None = Field(default=None, description="Units (e.g. eyes), as given.")
    comment: str | None = Field(default=None, description="Comment on the count.")


class FlowMilestone(_Model):
    """A point of the participant flow: `STARTED`, `COMPLETED`, `NOT COMPLETED` or a title."""

    type: str = Field(description="Milestone name as given (`STARTED`, `COMPLETED`, ...).")
    comment: str | None = Field(default=None, description="Comment on the milestone.")
    achievements: list[FlowStats] = Field(default_factory=list, description="Count per group.")


class FlowDropWithdraw(_Model):
    """A reason participants left (`Adverse Event`, `Withdrawal by Subject`, ...)."""

    type: str = Field(description="The reason, as given.")
    comment: str | None = Field(default=None, description="Comment on the reason.")
    reasons: list[FlowStats] = Field(default_factory=list, description="Count per group.")


class FlowPeriod(_Model):
    """A period of the participant flow (often just `Overall Study`)."""

    title: str | None = Field(default=None, description="Period title.")
    milestones: list[FlowMilestone] = Field(default_factory=list, description="In order.")
    drop_withdraws: list[FlowDropWithdraw] = Field(
        default_factory=list, description="Why participants did not complete the period."
    )


class ParticipantFlow(_Model):
    """How participants went through the trial, by group."""

    recruitment_details: str | None = Field(default=None, description="Recruitment, as written.")
    pre_assignment_details: str | None = Field(
        default=None, description="What happened before assignment to groups."
    )
    type_units_analyzed: str | None = Field(
        default=None, description="Unit counted besides participants, if any."
    )
    groups: list[ResultGroup] = Field(default_factory=list, description="Columns (`FG000`...).")
    periods: list[FlowPeriod] = Field(default_factory=list, description="Periods, in order.")


class Analysis(_Model):
    """A statistical analysis comparing groups of one outcome measure."""

    group_ids: list[str] = Field(default_factory=list, description="Groups compared.")
    group_description: str | None = Field(default=None, description="Which comparison.")
    tested_non_inferiority: bool | None = Field(
        default=None, description="Whether non-inferiority or equivalence was tested."
    )
    non_inferiority_type: NonInferiorityType | None = Field(
        default=None, description="Kind of hypothesis (superiority, non-inferiority, ...)."
    )
    non_inferiority_comment: str | None = Field(default=None, description="Comment on it.")
    p_value: str | None = Field(default=None, description='P-value as given ("<0.001").')
    p_value_comment: str | None = Field(default=None, description="Comment on the p-value.")
    statistical_method: str | None = Field(default=None, description='Method: "ANCOVA".')
    statistical_comment: str | None = Field(default=None, description="Comment on the method.")
    param_type: str | None = Field(
        default=None, description='Estimated parameter: "Mean Difference (Final Values)".'
    )
    param_value: str | None = Field(default=None, description="Point estimate, as given.")
    ci_pct_value: str | None = Field(default=None, description="Confidence level in percent.")
    ci_num_sides: ConfidenceIntervalNumSides | None = Field(
        default=None, description="One- or two-sided interval."
    )
    ci_lower_limit: str | None = Field(default=None, description="Lower confidence limit.")
    ci_upper_limit: str | None = Field(default=None, description="Upper confidence limit.")
    ci_lower_limit_comment: str | None = Field(default=None, description="Comment on it.")
    ci_upper_limit_comment: str | None = Field(default=None, description="Comment on it.")
    dispersion_type: AnalysisDispersionType | None = Field(
        default=None, description="Dispersion of the estimate."
    )
    dispersion_value: str | None = Field(default=None, description="Its value.")
    estimate_comment: str | None = Field(default=None, description="Comment on the estimate.")
    other_analysis_description: str | None = Field(
        default=None, description="Other analysis, described in words."
    )


class OutcomeMeasureResult(_Model):
    """The posted result of one outcome measure: a table of groups by rows, plus analyses."""

    type: OutcomeMeasureType | None = Field(
        default=None, description="Primary, secondary, other pre-specified or post hoc."
    )
    title: str = Field(description="The outcome measure's title.")
    description: str | None = Field(default=None, description="What was measured and how.")
    population_description: str | None = Field(
        default=None, description="Who was analysed (analysis population)."
    )
    reporting_status: ReportingStatus | None = Field(
        default=None, description="`POSTED`, or `NOT_POSTED` (with an anticipated date)."
    )
    anticipated_posting_date: str | None = Field(
        default=None, description="When a not-yet-posted result is expected."
    )
    param_type: MeasureParam | None = Field(default=None, description="Mean, median, count, ...")
    dispersion_type: str | None = Field(
        default=None, description='What the spread or limits are: "Standard Deviation", ...'
    )
    unit_of_measure: str | None = Field(default=None, description='Unit: "score on a scale".')
    calculate_pct: bool | None = Field(
        default=None, description="Whether the registry shows percentages of the counts."
    )
    time_frame: str | None = Field(default=None, description="When it was measured.")
    type_units_analyzed: str | None = Field(
        default=None, description="Unit analysed when not participants."
    )
    denom_units_selected: str | None = Field(default=None, description="Unit of the denominators.")
    groups: list[ResultGroup] = Field(default_factory=list, description="Columns (`OG000`...).")
    denoms: list[Denom] = Field(default_factory=list, description="Numbers analysed per group.")
    classes: list[MeasureClass] = Field(default_factory=list, description="Blocks of rows.")
    analyses: list[Analysis] = Field(default_factory=list, description="Statistical analyses.")


class EventGroup(_Model):
    """A group of the adverse-event tables, with its totals."""

    id: str = Field(description="Group ID, e.g. `EG000`.")
    title: str | None = Field(default=None, description="Group title.")
    description: str | None = Field(default=None, description="Who the group is.")
    deaths_num_affected: int | None = Field(default=None, description="Deaths (all causes).")
    deaths_num_at_risk: int | None = Field(default=None, description="At risk of death.")
    serious_num_affected: int | None = Field(
        default=None, description="Participants with a serious adverse event."
    )
    serious_num_at_risk: int | None = Field(default=None, description="At risk (serious).")
    other_num_affected: int | None = Field(
        default=None, description="Participants with another adverse event above the threshold."
    )
    other_num_at_risk: int | None = Field(default=None, description="At risk (other).")


class EventStats(_Model):
    """One group's count for one adverse event."""

    group_id: str = Field(description="The group (`EventGroup.id`).")
    num_events: int | None = Field(default=None, description="Number of events.")
    num_affected: int | None = Field(default=None, description="Participants affected.")
    num_at_risk: int | None = Field(default=None, description="Participants at risk.")


class AdverseEvent(_Model):
    """One adverse-event term with its counts per group."""

    term: str = Field(description="The event term (often MedDRA).")
    organ_system: str | None = Field(default=None, description="Organ system class.")
    source_vocabulary: str | None = Field(default=None, description='e.g. "MedDRA (25.1)".')
    assessment_type: EventAssessment | None = Field(
        default=None, description="Systematic or non-systematic assessment."
    )
    notes: str | None = Field(default=None, description="Notes on the term.")
    stats: list[EventStats] = Field(default_factory=list, description="Counts per group.")


class AdverseEvents(_Model):
    """Adverse events: per-group totals, serious events and other events."""

    frequency_threshold: str | None = Field(
        default=None, description="Percent above which other (non-serious) events are listed."
    )
    time_frame: str | None = Field(default=None, description="Period events were collected in.")
    description: str | None = Field(default=None, description="How they were collected.")
    all_cause_mortality_comment: str | None = Field(
        default=None, description="Comment on all-cause mortality."
    )
    event_groups: list[EventGroup] = Field(default_factory=list, description="Columns.")
    serious_events: list[AdverseEvent] = Field(default_factory=list, description="Serious events.")
    other_events: list[AdverseEvent] = Field(
        default_factory=list, description="Other (non-serious) events above the threshold."
    )


class PointOfContact(_Model):
    """Whom to ask about the results."""

    title: str | None = Field(default=None, description="Name or official title.")
    organization: str | None = Field(default=None, description="Organisation.")
    email: str | None = Field(default=None, description="E-mail address as written.")
    phone: str | None = Field(default=None, description="Phone number as written.")
    phone_ext: str | None = Field(default=None, description="Phone extension as written.")


class CertainAgreement(_Model):
    """Agreements restricting what investigators may publish about the results."""

    pi_sponsor_employee: bool | None = Field(
        default=None, description="All principal investigators are sponsor employees."
    )
    restrictive_agreement: bool | None = Field(
        default=None, description="An agreement restricts the investigators' rights."
    )
    restriction_type: AgreementRestrictionType | None = Field(
        default=None, description="`LTE60`, `GT60` (days of embargo) or `OTHER`."
    )
    other_details: str | None = Field(default=None, description="The restriction, as written.")


class Results(_Model):
    """Posted results (API v2 ``resultsSection``)."""

    participant_flow: ParticipantFlow | None = Field(
        default=None, description="How participants went through the trial."
    )
    baseline: Baseline | None = Field(default=None, description="Baseline characteristics.")
    outcome_measures: list[OutcomeMeasureResult] = Field(
        default_factory=list, description="Outcome measures with their results, source order."
    )
    adverse_events: AdverseEvents | None = Field(default=None, description="Adverse events.")
    limitations: str | None = Field(
        default=None, description="Limitations and caveats the sponsor states."
    )
    certain_agreement: CertainAgreement | None = Field(
        default=None, description="Publication agreements with investigators."
    )
    point_of_contact: PointOfContact | None = Field(
        default=None, description="Whom to ask about the results."
    )


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
    why_stopped: str | None = Field(
        default=None, description="Why a terminated, withdrawn or suspended trial stopped."
    )
    last_known_status: OverallStatus | None = Field(
        default=None, description="Status before the registry marked it `UNKNOWN`."
    )
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
    first_posted: str | None = Field(
        default=None, description="When the registry first posted the record."
    )
    results_first_posted: str | None = Field(
        default=None, description="When the registry first posted results."
    )
    status_verified: str | None = Field(
        default=None, description="When the sponsor last verified the status (often YYYY-MM)."
    )
    has_results: bool = False
    conditions: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    mesh: Mesh = Field(
        default_factory=Mesh,
        description="The registry's MeSH terms for conditions and interventions, with ancestors.",
    )
    summary: str | None = None
    description: str | None = None
    design: Design = Field(default_factory=Design)
    arms: list[Arm] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(
        default_factory=list,
        description="Planned outcome measures: primary, then secondary, then other, each in "
        "source order.",
    )
    eligibility: Eligibility = Field(default_factory=Eligibility)
    sponsors: list[Sponsor] = Field(default_factory=list)
    responsible_party: ResponsibleParty | None = None
    officials: list[Official] = Field(default_factory=list)
    contacts: list[Contact] = Field(
        default_factory=list, description="Central contacts for the whole trial."
    )
    locations: list[Location] = Field(default_factory=list)
    countries: list[str] = Field(
        default_factory=list, description="Countries with at least one site, in source order."
    )
    references: list[Reference] = Field(default_factory=list)
    identifiers: list[Identifier] = Field(default_factory=list)
    related_trials: list[RelatedTrial] = Field(default_factory=list)
    documents: list[Document] = Field(
        default_factory=list, description="Protocol, analysis plan and consent documents."
    )
    oversight: Oversight | None = Field(default=None, description="Regulatory oversight flags.")
    ipd_sharing: IpdSharingStatement | None = Field(
        default=None, description="Plan to share individual participant data."
    )
    expanded_access: ExpandedAccess | None = Field(
        default=None, description="Availability of the treatment outside the trial."
    )
    results: Results | None = Field(
        default=None, description="Posted results; null when the registry has none."
    )
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

    @field_validator(
        "start_date",
        "primary_completion_date",
        "completion_date",
        "last_updated",
        "first_posted",
        "results_first_posted",
        "status_verified",
    )
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


class Warned(Protocol):
    """Anything carrying a trial's reader warnings (a :class:`Trial` or its summary)."""

    @property
    def warnings(self) -> list[ReadWarning]: ...


def count_warnings(trials: Iterable[Warned], severity: str = "warning") -> int:
    """How many reader warnings (or, with ``severity="note"``, notes) the trials carry."""
    return sum(1 for t in trials for w in t.warnings if w.severity == severity)
