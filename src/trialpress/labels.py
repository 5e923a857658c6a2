"""People's wording for API v2 enumeration values, one table for pages and PDFs alike.

A clinician reading a trial page and its printed brief must see the same words for the
same value, so both renderers take their labels from here.
"""

from __future__ import annotations

_LABELS = {
    # overall status
    "ACTIVE_NOT_RECRUITING": "Active, not recruiting",
    "ENROLLING_BY_INVITATION": "Enrolling by invitation",
    "NOT_YET_RECRUITING": "Not yet recruiting",
    "NO_LONGER_AVAILABLE": "No longer available",
    "TEMPORARILY_NOT_AVAILABLE": "Temporarily not available",
    "APPROVED_FOR_MARKETING": "Approved for marketing",
    # phase
    "NA": "Not applicable",
    "EARLY_PHASE1": "Early phase 1",
    "PHASE1": "Phase 1",
    "PHASE2": "Phase 2",
    "PHASE3": "Phase 3",
    "PHASE4": "Phase 4",
    # sex, agency class, primary purpose, identifier types
    "ALL": "All",
    "NIH": "NIH",
    "FED": "Federal",
    "OTHER_GOV": "Other government",
    "INDIV": "Individual",
    "AMBIG": "Ambiguous",
    "ECT": "Expanded care",
    "EUDRACT_NUMBER": "EudraCT number",
    "EU_CT_NUMBER": "EU CT number",
    "CTIS": "EU CTIS",
    "FDA": "FDA",
    "VA": "VA",
    "AHRQ": "AHRQ",
    # results: statistics, dispersion, agreements, shared documents
    "CONFIDENCE_80": "80% confidence interval",
    "CONFIDENCE_90": "90% confidence interval",
    "CONFIDENCE_95": "95% confidence interval",
    "CONFIDENCE_975": "97.5% confidence interval",
    "CONFIDENCE_99": "99% confidence interval",
    "CONFIDENCE_OTHER": "Other confidence interval",
    "INTER_QUARTILE_RANGE": "Inter-quartile range",
    "STANDARD_ERROR_OF_MEAN": "Standard error of the mean",
    "LTE60": "Sponsor may delay publication up to 60 days",
    "GT60": "Sponsor may delay publication more than 60 days",
    "SAP": "Statistical analysis plan",
    "ICF": "Informed consent form",
    "CSR": "Clinical study report",
}


def enum_label(value: object) -> str:
    """``NOT_YET_RECRUITING`` -> ``Not yet recruiting``, ``PHASE3`` -> ``Phase 3``; None -> ""."""
    if value is None:
        return ""
    text = str(value)
    return _LABELS.get(text) or text.replace("_", " ").capitalize()
