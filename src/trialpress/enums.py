"""Enumerations of the ClinicalTrials.gov API v2 (OpenAPI 2.0.3), spelled as the API spells them.

Copied from ``components.schemas`` of the spec so that the model validates against the same
vocabulary the registry uses; ``tests/test_enums.py`` fails if they drift apart.
"""

from enum import StrEnum


class OverallStatus(StrEnum):
    """API v2 ``Status``."""

    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    COMPLETED = "COMPLETED"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    RECRUITING = "RECRUITING"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    WITHDRAWN = "WITHDRAWN"
    AVAILABLE = "AVAILABLE"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING"
    WITHHELD = "WITHHELD"
    UNKNOWN = "UNKNOWN"


class Phase(StrEnum):
    """API v2 ``Phase``."""

    NA = "NA"
    EARLY_PHASE1 = "EARLY_PHASE1"
    PHASE1 = "PHASE1"
    PHASE2 = "PHASE2"
    PHASE3 = "PHASE3"
    PHASE4 = "PHASE4"


class StudyType(StrEnum):
    """API v2 ``StudyType``."""

    EXPANDED_ACCESS = "EXPANDED_ACCESS"
    INTERVENTIONAL = "INTERVENTIONAL"
    OBSERVATIONAL = "OBSERVATIONAL"


class EnrollmentType(StrEnum):
    """API v2 ``EnrollmentType``."""

    ACTUAL = "ACTUAL"
    ESTIMATED = "ESTIMATED"


class DateType(StrEnum):
    """API v2 ``DateType``."""

    ACTUAL = "ACTUAL"
    ESTIMATED = "ESTIMATED"


class DesignAllocation(StrEnum):
    """API v2 ``DesignAllocation``."""

    RANDOMIZED = "RANDOMIZED"
    NON_RANDOMIZED = "NON_RANDOMIZED"
    NA = "NA"


class InterventionalAssignment(StrEnum):
    """API v2 ``InterventionalAssignment``."""

    SINGLE_GROUP = "SINGLE_GROUP"
    PARALLEL = "PARALLEL"
    CROSSOVER = "CROSSOVER"
    FACTORIAL = "FACTORIAL"
    SEQUENTIAL = "SEQUENTIAL"


class PrimaryPurpose(StrEnum):
    """API v2 ``PrimaryPurpose``."""

    TREATMENT = "TREATMENT"
    PREVENTION = "PREVENTION"
    DIAGNOSTIC = "DIAGNOSTIC"
    ECT = "ECT"
    SUPPORTIVE_CARE = "SUPPORTIVE_CARE"
    SCREENING = "SCREENING"
    HEALTH_SERVICES_RESEARCH = "HEALTH_SERVICES_RESEARCH"
    BASIC_SCIENCE = "BASIC_SCIENCE"
    DEVICE_FEASIBILITY = "DEVICE_FEASIBILITY"
    OTHER = "OTHER"


class DesignMasking(StrEnum):
    """API v2 ``DesignMasking``."""

    NONE = "NONE"
    SINGLE = "SINGLE"
    DOUBLE = "DOUBLE"
    TRIPLE = "TRIPLE"
    QUADRUPLE = "QUADRUPLE"


class WhoMasked(StrEnum):
    """API v2 ``WhoMasked``."""

    PARTICIPANT = "PARTICIPANT"
    CARE_PROVIDER = "CARE_PROVIDER"
    INVESTIGATOR = "INVESTIGATOR"
    OUTCOMES_ASSESSOR = "OUTCOMES_ASSESSOR"


class ObservationalModel(StrEnum):
    """API v2 ``ObservationalModel``."""

    COHORT = "COHORT"
    CASE_CONTROL = "CASE_CONTROL"
    CASE_ONLY = "CASE_ONLY"
    CASE_CROSSOVER = "CASE_CROSSOVER"
    ECOLOGIC_OR_COMMUNITY = "ECOLOGIC_OR_COMMUNITY"
    FAMILY_BASED = "FAMILY_BASED"
    DEFINED_POPULATION = "DEFINED_POPULATION"
    NATURAL_HISTORY = "NATURAL_HISTORY"
    OTHER = "OTHER"


class DesignTimePerspective(StrEnum):
    """API v2 ``DesignTimePerspective``."""

    RETROSPECTIVE = "RETROSPECTIVE"
    PROSPECTIVE = "PROSPECTIVE"
    CROSS_SECTIONAL = "CROSS_SECTIONAL"
    OTHER = "OTHER"


class ArmGroupType(StrEnum):
    """API v2 ``ArmGroupType``."""

    EXPERIMENTAL = "EXPERIMENTAL"
    ACTIVE_COMPARATOR = "ACTIVE_COMPARATOR"
    PLACEBO_COMPARATOR = "PLACEBO_COMPARATOR"
    SHAM_COMPARATOR = "SHAM_COMPARATOR"
    NO_INTERVENTION = "NO_INTERVENTION"
    OTHER = "OTHER"


class InterventionType(StrEnum):
    """API v2 ``InterventionType``."""

    BEHAVIORAL = "BEHAVIORAL"
    BIOLOGICAL = "BIOLOGICAL"
    COMBINATION_PRODUCT = "COMBINATION_PRODUCT"
    DEVICE = "DEVICE"
    DIAGNOSTIC_TEST = "DIAGNOSTIC_TEST"
    DIETARY_SUPPLEMENT = "DIETARY_SUPPLEMENT"
    DRUG = "DRUG"
    GENETIC = "GENETIC"
    PROCEDURE = "PROCEDURE"
    RADIATION = "RADIATION"
    OTHER = "OTHER"


class AgencyClass(StrEnum):
    """API v2 ``AgencyClass``."""

    NIH = "NIH"
    FED = "FED"
    OTHER_GOV = "OTHER_GOV"
    INDIV = "INDIV"
    INDUSTRY = "INDUSTRY"
    NETWORK = "NETWORK"
    AMBIG = "AMBIG"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class Sex(StrEnum):
    """API v2 ``Sex``."""

    FEMALE = "FEMALE"
    MALE = "MALE"
    ALL = "ALL"


class OfficialRole(StrEnum):
    """API v2 ``OfficialRole``."""

    STUDY_CHAIR = "STUDY_CHAIR"
    STUDY_DIRECTOR = "STUDY_DIRECTOR"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR"


class ReferenceType(StrEnum):
    """API v2 ``ReferenceType``."""

    BACKGROUND = "BACKGROUND"
    RESULT = "RESULT"
    DERIVED = "DERIVED"


class RecruitmentStatus(StrEnum):
    """API v2 ``RecruitmentStatus``."""

    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    COMPLETED = "COMPLETED"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    RECRUITING = "RECRUITING"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    WITHDRAWN = "WITHDRAWN"
    AVAILABLE = "AVAILABLE"


class SecondaryIdType(StrEnum):
    """API v2 ``SecondaryIdType``."""

    NIH = "NIH"
    FDA = "FDA"
    VA = "VA"
    CDC = "CDC"
    AHRQ = "AHRQ"
    SAMHSA = "SAMHSA"
    OTHER_GRANT = "OTHER_GRANT"
    EUDRACT_NUMBER = "EUDRACT_NUMBER"
    CTIS = "CTIS"
    REGISTRY = "REGISTRY"
    OTHER = "OTHER"


class OrgStudyIdType(StrEnum):
    """API v2 ``OrgStudyIdType``."""

    NIH = "NIH"
    FDA = "FDA"
    VA = "VA"
    CDC = "CDC"
    AHRQ = "AHRQ"
    SAMHSA = "SAMHSA"


class ResponsiblePartyType(StrEnum):
    """API v2 ``ResponsiblePartyType``."""

    SPONSOR = "SPONSOR"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR"
    SPONSOR_INVESTIGATOR = "SPONSOR_INVESTIGATOR"


class StandardAge(StrEnum):
    """API v2 ``StandardAge``."""

    CHILD = "CHILD"
    ADULT = "ADULT"
    OLDER_ADULT = "OLDER_ADULT"


class ContactRole(StrEnum):
    """API v2 ``ContactRole``."""

    STUDY_CHAIR = "STUDY_CHAIR"
    STUDY_DIRECTOR = "STUDY_DIRECTOR"
    PRINCIPAL_INVESTIGATOR = "PRINCIPAL_INVESTIGATOR"
    SUB_INVESTIGATOR = "SUB_INVESTIGATOR"
    CONTACT = "CONTACT"


class OutcomeMeasureType(StrEnum):
    """API v2 ``OutcomeMeasureType``."""

    PRIMARY = "PRIMARY"
    SECONDARY = "SECONDARY"
    OTHER_PRE_SPECIFIED = "OTHER_PRE_SPECIFIED"
    POST_HOC = "POST_HOC"


class ReportingStatus(StrEnum):
    """API v2 ``ReportingStatus``."""

    NOT_POSTED = "NOT_POSTED"
    POSTED = "POSTED"


class MeasureParam(StrEnum):
    """API v2 ``MeasureParam``."""

    GEOMETRIC_MEAN = "GEOMETRIC_MEAN"
    GEOMETRIC_LEAST_SQUARES_MEAN = "GEOMETRIC_LEAST_SQUARES_MEAN"
    LEAST_SQUARES_MEAN = "LEAST_SQUARES_MEAN"
    LOG_MEAN = "LOG_MEAN"
    MEAN = "MEAN"
    MEDIAN = "MEDIAN"
    NUMBER = "NUMBER"
    COUNT_OF_PARTICIPANTS = "COUNT_OF_PARTICIPANTS"
    COUNT_OF_UNITS = "COUNT_OF_UNITS"


class MeasureDispersionType(StrEnum):
    """API v2 ``MeasureDispersionType``."""

    NA = "NA"
    STANDARD_DEVIATION = "STANDARD_DEVIATION"
    STANDARD_ERROR = "STANDARD_ERROR"
    INTER_QUARTILE_RANGE = "INTER_QUARTILE_RANGE"
    FULL_RANGE = "FULL_RANGE"
    CONFIDENCE_80 = "CONFIDENCE_80"
    CONFIDENCE_90 = "CONFIDENCE_90"
    CONFIDENCE_95 = "CONFIDENCE_95"
    CONFIDENCE_975 = "CONFIDENCE_975"
    CONFIDENCE_99 = "CONFIDENCE_99"
    CONFIDENCE_OTHER = "CONFIDENCE_OTHER"
    GEOMETRIC_COEFFICIENT = "GEOMETRIC_COEFFICIENT"


class AnalysisDispersionType(StrEnum):
    """API v2 ``AnalysisDispersionType``."""

    STANDARD_DEVIATION = "STANDARD_DEVIATION"
    STANDARD_ERROR_OF_MEAN = "STANDARD_ERROR_OF_MEAN"


class ConfidenceIntervalNumSides(StrEnum):
    """API v2 ``ConfidenceIntervalNumSides``."""

    ONE_SIDED = "ONE_SIDED"
    TWO_SIDED = "TWO_SIDED"


class NonInferiorityType(StrEnum):
    """API v2 ``NonInferiorityType``."""

    SUPERIORITY = "SUPERIORITY"
    NON_INFERIORITY = "NON_INFERIORITY"
    EQUIVALENCE = "EQUIVALENCE"
    OTHER = "OTHER"
    NON_INFERIORITY_OR_EQUIVALENCE = "NON_INFERIORITY_OR_EQUIVALENCE"
    SUPERIORITY_OR_OTHER = "SUPERIORITY_OR_OTHER"
    NON_INFERIORITY_OR_EQUIVALENCE_LEGACY = "NON_INFERIORITY_OR_EQUIVALENCE_LEGACY"
    SUPERIORITY_OR_OTHER_LEGACY = "SUPERIORITY_OR_OTHER_LEGACY"


class EventAssessment(StrEnum):
    """API v2 ``EventAssessment``."""

    NON_SYSTEMATIC_ASSESSMENT = "NON_SYSTEMATIC_ASSESSMENT"
    SYSTEMATIC_ASSESSMENT = "SYSTEMATIC_ASSESSMENT"


class AgreementRestrictionType(StrEnum):
    """API v2 ``AgreementRestrictionType``."""

    LTE60 = "LTE60"
    GT60 = "GT60"
    OTHER = "OTHER"


class IpdSharing(StrEnum):
    """API v2 ``IpdSharing``."""

    YES = "YES"
    NO = "NO"
    UNDECIDED = "UNDECIDED"


class IpdSharingInfoType(StrEnum):
    """API v2 ``IpdSharingInfoType``."""

    STUDY_PROTOCOL = "STUDY_PROTOCOL"
    SAP = "SAP"
    ICF = "ICF"
    CSR = "CSR"
    ANALYTIC_CODE = "ANALYTIC_CODE"


class ExpandedAccessStatus(StrEnum):
    """API v2 ``ExpandedAccessStatus``."""

    AVAILABLE = "AVAILABLE"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING"


class BrowseLeafRelevance(StrEnum):
    """API v2 ``BrowseLeafRelevance``."""

    LOW = "LOW"
    HIGH = "HIGH"


#: Spec schema name for each enumeration, used by the drift test.
SPEC_NAMES: dict[type[StrEnum], str] = {
    OverallStatus: "Status",
    Phase: "Phase",
    StudyType: "StudyType",
    EnrollmentType: "EnrollmentType",
    DateType: "DateType",
    DesignAllocation: "DesignAllocation",
    InterventionalAssignment: "InterventionalAssignment",
    PrimaryPurpose: "PrimaryPurpose",
    DesignMasking: "DesignMasking",
    WhoMasked: "WhoMasked",
    ObservationalModel: "ObservationalModel",
    DesignTimePerspective: "DesignTimePerspective",
    ArmGroupType: "ArmGroupType",
    InterventionType: "InterventionType",
    AgencyClass: "AgencyClass",
    Sex: "Sex",
    OfficialRole: "OfficialRole",
    ReferenceType: "ReferenceType",
    RecruitmentStatus: "RecruitmentStatus",
    SecondaryIdType: "SecondaryIdType",
    OrgStudyIdType: "OrgStudyIdType",
    ResponsiblePartyType: "ResponsiblePartyType",
    StandardAge: "StandardAge",
    ContactRole: "ContactRole",
    OutcomeMeasureType: "OutcomeMeasureType",
    ReportingStatus: "ReportingStatus",
    MeasureParam: "MeasureParam",
    MeasureDispersionType: "MeasureDispersionType",
    AnalysisDispersionType: "AnalysisDispersionType",
    ConfidenceIntervalNumSides: "ConfidenceIntervalNumSides",
    NonInferiorityType: "NonInferiorityType",
    EventAssessment: "EventAssessment",
    AgreementRestrictionType: "AgreementRestrictionType",
    IpdSharing: "IpdSharing",
    IpdSharingInfoType: "IpdSharingInfoType",
    ExpandedAccessStatus: "ExpandedAccessStatus",
    BrowseLeafRelevance: "BrowseLeafRelevance",
}
