"""Key eligibility facts (ECOG, labs, CNS metastases, ...) read from the criteria trees.

A screener checks a handful of hard numbers first; this module finds them in the criteria
text with deterministic rules (no model, no network) and keeps, for each, the criterion it
came from and the exact words it rests on (``quote``, a verbatim substring of that
criterion's ``text``), so a person can always check it.

Choices, because a wrong fact is worse than a missing one:

* Only inclusion and exclusion criteria are read, each criterion's own text (children are
  criteria of their own). An exclusion criterion counts with its meaning inverted:
  "ECOG >= 2" under exclusion is ``ecog_max`` 1.
* A number is taken only next to its anchor (no other laboratory test in between) and only
  with a unit that fits the kind (``x ULN`` for the ULN kinds, ``mL/min`` for clearance,
  weeks/months/years for life expectancy); out-of-range results are dropped.
* Thresholds for Gilbert's syndrome are dropped; AST/ALT thresholds for liver metastases
  become ``ast_alt_max_uln_liver_mets``; other values tied to liver metastases are dropped.
* Several different thresholds of one kind in one criterion (per stage, cohort or regimen,
  or two units that disagree) give no fact of that kind.
* A fact that is only one of alternatives ("creatinine <= 1.5 x ULN or CrCl >= 60") keeps a
  ``note`` saying so; so
  does one under a condition or cause ("if not related to AML", "in patients with ...",
  "unless due to ..."), one whose unit read literally gives another value ("100,000/L") and
  "within normal limits" (only implied 1 x ULN). A conditional second threshold beside a
  plain one of the same kind is left out, and a test that is itself the condition ("if
  transaminases are <= ULN") gives no fact.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import get_args

from trialpress.models import Criterion, Eligibility, EligibilityFact, FactKind

__all__ = [
    "NUMERIC_KINDS",
    "FactGroup",
    "FactRow",
    "criterion_ref",
    "extract_facts",
    "fact_groups",
    "fact_rows",
    "iter_criteria",
]

#: Kinds with a numeric value (the evaluation's "numeric kinds"): all but the yes/no and
#: category kinds, in the model's order.
CATEGORY_KINDS = ("cns_metastases", "pregnancy_excluded", "measurable_disease_required")
NUMERIC_KINDS = tuple(k for k in get_args(FactKind) if k not in CATEGORY_KINDS)

UNITS = {
    "anc_min": "10^9/L",
    "platelets_min": "10^9/L",
    "hemoglobin_min": "g/dL",
    "crcl_min": "mL/min",
    "creatinine_max_uln": "x ULN",
    "bilirubin_max_uln": "x ULN",
    "ast_alt_max_uln": "x ULN",
    "ast_alt_max_uln_liver_mets": "x ULN",
    "life_expectancy_min_weeks": "weeks",
    "karnofsky_min": "%",
}

NOTE_ALTERNATIVE = "one of alternatives: another threshold in the same criterion may suffice"
NOTE_SEVERAL = "the criterion gives several different thresholds for this"
NOTE_CONDITIONAL = "applies only to part of the trial (a phase, cohort or arm)"
NOTE_SOME_PATIENTS = "applies only to some patients (the criterion states a condition)"
NOTE_JOINT = "excludes only when this and the other joined threshold are both met"
NOTE_IMPLIED = "the wording only implies this; check the criterion"
NOTE_UNIT = "the unit as written gives another value; check the criterion"

# -- criteria walk: the one place that numbers criteria the way people see them ------------


def criterion_ref(parent_ref: str, criterion: Criterion, position: int) -> str:
    """How people name a criterion: its source number (``3``), ``2.1`` for a numbered
    child, ``bullet 2`` or ``17, bullet 1`` for unnumbered items (1-based position)."""
    if criterion.number:
        return f"{parent_ref}.{criterion.number}" if parent_ref else criterion.number
    return f"{parent_ref}, bullet {position}" if parent_ref else f"bullet {position}"


def iter_criteria(
    criteria: list[Criterion], parent_ref: str = "", parent_path: tuple[int, ...] = ()
) -> Iterator[tuple[str, tuple[int, ...], Criterion]]:
    """Every criterion with its reference and 1-based position path, depth first."""
    for pos, crit in enumerate(criteria, start=1):
        ref = criterion_ref(parent_ref, crit, pos)
        path = (*parent_path, pos)
        yield ref, path, crit
        yield from iter_criteria(crit.children, ref, path)


# -- anchors -------------------------------------------------------------------------------

_ANCHORS: list[tuple[str, str]] = [
    (
        "ecog",
        r"\bECOG\b|Eastern\s+Co\w*\s+(?:Cancer\s+)?(?:Oncology\s+)?(?:Cooperative\s+)?Group"
        r"|\bZubrod\b|\bWHO\s+(?:performance(?:\s+status)?|PS)\b|World\s+Health\s+Organi[sz]ation\s+"
        r"(?:\(WHO\)\s+)?performance\s+status|\bperformance\s+status\b|(?-i:\bPS\b)",
    ),
    ("karnofsky", r"\bKarnofsky\b|\bKPS\b|\bLansky\b"),
    (
        "anc",
        r"absolute\s+neutrophils?\s+counts?|(?:absolute\s+)?granulocytes?(?:\s+counts?)?|\bANC\b|\bAGC\b"
        r"|\bneutrophils?(?:\s+counts?)?(?:\s+\(absolute\s+value\))?",
    ),
    ("platelets", r"\bplatelets?(?:\s+counts?)?|\bPLTs?\b|\bthrombocytes\b"),
    ("hemoglobin", r"\bha?emoglobin\b|\bHgb\b|\bHGB\b|\bHb\b|\bHB\b"),
    (
        "crcl",
        r"(?:serum\s+)?creatinine\s+clearance(?:\s+rate)?|\bCrCl\b|\bCCr\b|\bClCr\b"
        r"|(?:estimated\s+)?glomerular\s+filtration\s+rate|\beGFR\b|\bGFR\b|\bclearance\b",
    ),
    ("creatinine", r"(?:serum\s+)?creatinine\b|\bSCr\b|\bCr\b"),
    ("bilirubin", r"(?:total\s+|serum\s+)*(?:total\s+)?bilirubin\b|\bT?BIL\b|\bTBil\b"),
    (
        "ast_alt",
        r"\bAST\b|\bALT\b|\bSGOT\b|\bSGPT\b|\bASAT\b|\bALAT\b|\bALA\s+T\b|\bGOT\b|\bGPT\b"
        r"|serum\s+glutamic[\s-]+(?:oxalo(?:acetic)?|pyruvic)\s+transaminase|aspartate\s+"
        r"(?:amino\s*)?transferase|alanine\s+(?:amino\s*)?transferase|\btransaminases?\b",
    ),
    (
        "life",
        r"life[\s-]+expectancy|expected\s+(?:survival|to\s+survive)|survival\s+"
        r"(?:time\s+)?(?:is\s+|was\s+)?expected|estimated\s+survival|anticipated\s+survival"
        r"|\bprognosis\b|(?:anticipated|expected)\s+to\s+live|expected\s+life[\s-]*time"
        # "Anticipated lifespan greater than 3 months", "life expectance > 12 weeks"
        r"|(?:anticipated|expected|estimated|predicted)\s+life[\s-]*span|life[\s-]+expectance",
    ),
    # Other tests: they end the reach of the anchor before them.
    (
        "stop",
        r"\bWBC\b|white\s+blood\s+cells?|leukocytes?|\bINR\b|a?PTT\b|\bAPTT\b|\bPT\b"
        r"|prothrombin|alkalin\w*\s+phosphatases?|\bALP\b|\bAKP\b|lipase|amylase|albumin|\bALB\b"
        r"|\burea\b|\bBUN\b|\bGGT\b|gamma[\s-]*glutamyl\s*transferase|\bLDH\b|direct\s+bilirubin|conjugated\s+bilirubin"
        r"|potassium|calcium|magnesium|\bTSH\b|lymphocytes?|\bCRP\b|\bQTc\w*|\bLVEF\b"
        r"|ejection\s+fraction|glucose|HbA1c|A1c|proteinuria|urine\s+protein|\bHBV\b|\bHCV\b"
        r"|\bBMI\b|blood\s+pressure|\bAPCT\b|\bASO\b|thromboplastin|international\s+normali[sz]ed"
        r"|ha?ematocrit|\bHct\b|fibrinogen|uric\s+acid|cholesterol|triglycerides?|\bPSA\b"
        r"|testosterone|ferritin|\bCD4\b",
    ),
]
#: Every anchor starts a word; saying so first lets the search skip the inside of words
#: (four times faster than trying each alternative at each character).
_ANCHOR_RE = re.compile(
    r"\b(?:" + "|".join(f"(?P<{name}>{rx})" for name, rx in _ANCHORS) + ")", re.IGNORECASE
)
_CASE_SENSITIVE = {
    *("ANC", "AGC", "PLT", "Hb", "HB", "Hgb", "HGB", "Cr", "SCr", "ALT", "AST", "PT"),
    *("GOT", "GPT"),
}
_SHORT_UPPER = {w.upper() for w in _CASE_SENSITIVE}
_JOIN_RE = re.compile(
    r"[\s()\[\]/,、（）]*(?:(?:and|or|and/or|&)[\s()\[\]/,、（）]*)?", re.IGNORECASE
)


@dataclass(frozen=True)
class _Anchor:
    kind: str
    start: int
    end: int


def _anchors(text: str) -> list[_Anchor]:
    out: list[_Anchor] = []
    for m in _ANCHOR_RE.finditer(text):
        word = m.group(0)
        # Short abbreviations count only as written ("CR" is a complete response, not Cr).
        if word.upper() in _SHORT_UPPER and word not in _CASE_SENSITIVE:
            continue
        kind = m.lastgroup or "stop"
        # "Alanine aminotransferase (ALT) and AST" is one anchor, quoted from its start; so is
        # "Karnofsky performance status" (the generic words belong to the named scale).
        same = bool(out) and out[-1].kind == kind != "stop"
        # "alkaline phosphatase (ALP)": one other test, named twice
        if bool(out) and out[-1].kind == kind == "stop":
            same = re.fullmatch(r"[\s(]*", text[out[-1].end : m.start()]) is not None
        scale = bool(out) and out[-1].kind == "karnofsky" and kind == "ecog"
        if (same or scale) and _JOIN_RE.fullmatch(text, out[-1].end, m.start()):
            out[-1] = _Anchor(out[-1].kind, out[-1].start, m.end())
            continue
        out.append(_Anchor(kind, m.start(), m.end()))
    return out


# -- values --------------------------------------------------------------------------------

_WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
}

_GE = (
    r"≥|>=|=>|≧|⩾|>\s*/\s*=|>\s*or\s*(?:=|equal(?:\s+to)?)|at\s+least|no\s+less\s+than|not\s+less\s+than"
    r"|a?\s*minimum\s+of|(?:greater|more)\s+than\s+or\s+equal(?:\s+to)?|or\s+more"
)
_GT = r">|more\s+than|greater\s+than|higher\s+than|above|over|exceeding|exceeds"
_LE = (
    r"≤|<=|=<|≦|⩽|<\s*/\s*=|<\s*or\s*(?:=|equal(?:\s+to)?)|no(?:t)?\s+(?:greater|higher)\s+than"
    r"|less\s+than\s*/\s*equal(?:\s+to)?|no\s+more\s+than|not\s+more\s+than|not\s+exceed(?:ing)?"
    r"|up\s+to|maximum\s+of|(?:less|better)\s+than\s+or\s+equal(?:\s+to)?|or\s+less|within"
)
_LT = r"<|less\s+than|lower\s+than|below|under"
# A decimal comma ("1,5 x ULN", "1,5 x 109/l") only before a multiple, where it cannot be
# a thousands separator.
# A comma as thousands separator may end a sentence ("ANC >= 1,500."): only a digit or a
# decimal part after it makes it something else.
# A space as thousands separator ("1 500/mm3", "100 000/µL") only before a count's unit,
# where reading "500/mm3" alone would be a wrong threshold.
_NUM = (
    r"\b\d{1,2},\d{1,2}(?=\s*(?:[xX×ⅹ*]|times\b|upper\b|U[LN][NL]\b"
    # "Hemoglobin >= 5,6 mmol/L", "10,5 g/dL": before a concentration, no count either
    r"|g\s*/\s*d?[lL]\b|mmol\s*/\s*L\b|mg\s*/\s*d[lL]\b))"
    # (not "100 109/L": 10^9/L with its superscript lost)
    r"|\d{1,3}(?:[ \u00a0\u202f](?!109\s*/\s*L\b)\d{3})+(?=\s*(?:/|cells\b|per\b))"
    r"|\d{1,3}(?:,\d{3})+(?!\d|\.\d)|\d+(?:\.\d+)?|\.\d+"
)
_ULN_WORDS = (
    # "upper institution limit for normal", "upper limit normal"
    r"I?ULN|UNL|upper\s+(?:institution(?:al)?\s+)?limits?\s+(?:(?:of|for)\s+)?(?:the\s+)?"
    r"(?:institutional\s+)?norm(?:al)?\b(?:\s+range)?"
    r"|upper\s+normal(?:ity)?\s+(?:range\s+)?(?:limits?|levels?)|ULRR"
    r"|upper\s+limits?\s+of\s+(?:the\s+)?reference\s+range"
    # "2.0 X normal institutional limits", "< 3 x normal": only after a multiplier (below)
    r"|(?:(?<=[xX×ⅹ*])|(?<=[xX×ⅹ*]\s)|(?<=times\s))(?:institutional\s+)?(?:upper\s+)?normal\b"
    r"(?:\s+(?:institutional\s+)?(?:limits?|values?|range))?"
    # "< 2.5 X institutional upper limit": after a multiplier, the limit is the normal one
    r"|(?:(?<=[xX×ⅹ*])|(?<=[xX×ⅹ*]\s)|(?<=times\s))(?:the\s+)?(?:institutional\s+)?upper\s+limits?\b"
)
_WORDNUM = "|".join(_WORD_NUMBERS)
_UNIT = (
    # "< 1.5 x< ULN": a comparator repeated after the multiplier by a slip
    r"(?P<uln>(?:(?:x|X|×|ⅹ|\*|⋅|·|\?|times)\s*(?:[<≤]\s*)?(?P<above>(?:greater|higher)\s+than\s+|above\s+|over\s+)?"
    r"(?:of\s+)?(?:the\s+)?)?"
    # "1.5 the upper limit of normal" (no multiplier), "3 X laboratory ULN", "2 x UIHC upper
    # limit of normal" (an institution's initials)
    r"(?:(?:of\s+)?the\s+(?=upper|ULN))?(?:(?:institutional|laboratory|lab|local|site)\s+)?"
    r"(?:(?-i:[A-Z]{2,6})\s+(?=upper))?"
    rf"(?:{_ULN_WORDS})(?:\s+value)?)"
    r"|(?P<e9>(?:x|X|×|ⅹ|\*|´|')\s*10\s*(?:\^|\*\*|e)?\s*(?:(?:9|⁹)(?:th)?\s*(?:cells\s*)?/\s*L"
    r"|\(9\)(?:\s*(?:cells\s*)?/\s*L)?)|(?-i:G/[Ll]|Gi/L)"
    # "ANC >= 1.5 109/L": the power's superscript lost, no multiplier left
    r"|(?<=\s)109\s*/\s*L\b)"
    r"|(?P<e3>(?:x|X|×|ⅹ|\*|´|')\s*10\s*(?:\^|\*\*|e)?\s*(?:3|³)\s*(?:cells\s*)?/\s*"
    r"(?:(?:µ|μ|u|mc|m)[lL]|mm\s*(?:3|³|\^3))"
    r"|[kK]\s*/\s*(?:µ|μ|u|mc)[lL]|(?<=\d)[kK]\b)"
    r"|(?P<ul>(?:cells\s*)?/\s*(?:µ|μ|u|mc)[lL]|/\s*micro-?lit(?:er|re)s?\b|(?:cells\s*)?/\s*mm\s*(?:3|³|\^3)|/\s*cumm"
    r")|(?P<perml>(?:cells\s*)?/\s*mL\b)"
    r"|(?P<gdl>g\s*/\s*d[lL])|(?P<gl>g(?:m|r)?\s*/\s*L)|(?P<mmol>mmol\s*/\s*L|(?-i:mM)\b)"
    r"|(?P<mgdl>mg\s*/\s*d[lL])"
    # "platelet count > 100,000/L" (or "/mL"): read literally 10^-4 x 10^9/L, surely not meant
    r"|(?P<perl>(?:cells\s*)?/\s*L\b)"
    r"|(?P<mlmin>(?:m[lL]|cc)\s*/\s*(?:min(?:ute)?|mn)\b(?:\s*/\s*1\.73\s*m\s*(?:2|²|\^2))?)"
    r"|(?P<weeks>weeks?|wks?)\b|(?P<months>months?)\b|(?P<years>years?)\b|(?P<days>days?)\b"
    r"|(?P<pct>%)"
)
_VALUE_RE = re.compile(
    rf"(?:(?P<ge>{_GE})|(?P<gt>{_GT})|(?P<le>{_LE})|(?P<lt>{_LT}))?"
    # "greater than (>) 1.5 x ULN": the comparator repeated as a symbol in brackets
    r"(?:\s*\(\s*(?:[<>≤≥]|[<>]=|=[<>])\s*\))?\s*(?:is\s+|of\s+|:\s*|=\s*)?"
    rf"(?P<num>{_NUM}|\b(?:{_WORDNUM})\b(?:\s*\(\d+\))?)\s*(?:-?\s*fold\s*)?(?:{_UNIT})?",
    re.IGNORECASE,
)
_BARE_ULN_RE = re.compile(
    rf"(?:(?P<le>{_LE})|(?P<lt>{_LT})|(?P<gt>{_GT}|greater)|(?P<ge>{_GE}))\s*(?:the\s+)?"
    r"(?:institutional\s+)?(?:ULN|UNL|upper\s+limit\s+(?:of\s+)?(?:the\s+)?(?:institutional\s+)?"
    r"normal(?:\s+range)?(?:\s+\(ULN\))?|upper\s+normal(?:ity)?\s+limit)"
    # "within normal institutional limits" bounds the value below too and only implies 1 x ULN
    r"|(?P<wnl>within\s+(?:the\s+)?(?:institutional\s+)?normal\s+(?:institutional\s+)?limits)",
    re.IGNORECASE,
)


_CMP_GROUPS = ("ge", "gt", "le", "lt")
_UNIT_GROUPS = (
    *("uln", "e9", "e3", "ul", "gdl", "gl", "mmol", "mlmin", "perl", "perml", "mgdl"),
    *("weeks", "months", "years", "days", "pct"),
)


@dataclass(frozen=True)
class _Value:
    start: int
    end: int
    cmp: str | None  # "ge", "gt", "le", "lt" or None
    number: float
    unit: str | None  # the named unit group that matched


def _number(raw: str) -> float:
    raw = raw.strip()
    word = re.match(r"[A-Za-z]+", raw)
    if word:
        return float(_WORD_NUMBERS[word.group(0).lower()])
    if re.fullmatch(r"\d{1,2},\d{1,2}", raw):
        return float(raw.replace(",", "."))  # a decimal comma
    return float(re.sub(r"[,\s]", "", raw))


def _values(text: str, start: int, end: int) -> list[_Value]:
    """Comparator-number-unit groups in ``text[start:end]``, in order."""
    out = []
    pos = start
    while pos < end:
        bare = _BARE_ULN_RE.search(text, pos, end)
        m = _VALUE_RE.search(text, pos, end)
        if bare and (m is None or bare.start() <= m.start()) and bare.group(0)[:3].lower() == "or ":
            pos = bare.end()  # "4 times or less upper limit normal": "or less" ends the 4
            continue
        if bare and (m is None or bare.start() <= m.start()):
            bare_cmp = next((k for k in _CMP_GROUPS if bare.groupdict().get(k)), "le")
            bare_unit = "wnl" if bare.group("wnl") else "uln"
            out.append(_Value(bare.start(), bare.end(), bare_cmp, 1.0, bare_unit))
            pos = bare.end()
            continue
        if m is None:
            break
        cmp = next((k for k in _CMP_GROUPS if m.group(k)), None)
        if cmp is None and m.group("above"):
            cmp = "gt"  # "6x above the upper limit of normal"
        unit = next((k for k in _UNIT_GROUPS if m.group(k)), None)
        glued_before = m.start("num") > 0 and text[m.start("num") - 1].isalnum()
        glued_after = m.end("num") < len(text) and text[m.end("num")].isalpha()
        if (glued_before and cmp is None) or (glued_after and unit is None):
            pos = m.end("num")  # part of a word ("CTCAE5", "T790M", "2nd"), not a threshold
            continue
        number = _number(m.group("num"))
        if unit == "ul" and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", m.group("num")):
            number = float(m.group("num").replace(".", ""))  # "1.500 cells/mm3": thousands
        out.append(_Value(m.start(), m.end(), cmp, number, unit))
        pos = m.end()
    return out


# -- contexts ------------------------------------------------------------------------------

_LIVER_RE = re.compile(
    r"\b(?:liver|hepatic)\b[^;.]{0,25}?(?:metasta|involvement|lesion)"
    r"|metasta\w*\s+(?:disease\s+)?(?:to|in|of)\s+the\s+liver",
    re.IGNORECASE,
)
_LIVER_NEG_RE = re.compile(
    r"\b(?:no|without|absence\s+of|not)\b[^;.]{0,30}?"
    r"(?:liver|hepatic)",
    re.IGNORECASE,
)
_GILBERT_RE = re.compile(r"gilbert|hyperbilirubin", re.IGNORECASE)
# A value in brackets that a cause after them qualifies
_GILBERT_AFTER_BRACKET_RE = re.compile(
    r"[^()]{0,30}\)\s*(?:due\s+to|from|because\s+of|secondary\s+to|caused\s+by)\s+"
    r"[^.;()]{0,20}?(?:gilbert|hyperbilirubin)",
    re.IGNORECASE,
)
# "<= 1.5 x ULN or within normal limits": the normal range is the weaker alternative's name
_ULN_OR_WNL_RE = re.compile(
    r"(?:\bULN|upper\s+limit\s+of\s+normal)\)?\s*,?\s*or\s+(?:\w+\s+)?$", re.IGNORECASE
)
_PART_RE = re.compile(
    r"\b(?:cohort|phase|part\s+[A-Z0-9]|arm|dose\s+(?:escalation|expansion))\b", re.IGNORECASE
)
# "or" between two tests, not the comparator words "or more", "or equal", "> or =".
_OR_RE = re.compile(
    r"(?<![<>]\s)\bor\b(?!\s*(?:more|less|equal|greater|higher|lower|above|below|=))",
    re.IGNORECASE,
)
# "... >= 60 mL/min for participants with creatinine above normal": for some patients only.
_SOME_PATIENTS_RE = re.compile(
    r"\b(?:for|in)\s+(?:patients|participants|subjects|those|people|persons|individuals)\s+"
    r"(?:with|who|whose|on|receiving|aged|older|younger|over|under|[<>≥≤])",
    re.IGNORECASE,
)
# "life expectancy < 6 months for reasons other than the disease": the limit leaves a cause
# out, so it is not the trial's plain limit ("due to concurrent disease" names the cause of
# the excluded short life and stays plain).
_CAUSE_RE = re.compile(
    r"^\s*(?:\w+\s+){0,2}?(?:for\s+reasons\s+other\s+than|other\s+than|unrelated\s+to)\b",
    re.IGNORECASE,
)
# "<= 1.5 x ULN unless due to Gilbert's syndrome": the exception follows the main value, which
# stays (only a value for Gilbert's is dropped).
_EXCEPTION_FWD_RE = re.compile(
    r"^\s*(?:\w+\s+){0,2}?(?:unless|except|other\s+than|excluding)\b", re.IGNORECASE
)
# "> 4 x ULN if not caused by the leukaemia": a condition after the value ("unless ..." is an
# exception to the main value, as for Gilbert's, and stays plain; "when" is mostly a time).
_CONDITION_FWD_RE = re.compile(r"^\s*(?:\w+\s+){0,2}?(?:if|in\s+case)\b", re.I)
# "Renal impairment not related to the tumour: CrCl < 40": a cause anywhere in the criterion
# limits the threshold to some patients.
_CAUSE_ANY_RE = re.compile(
    r"\b(?:not\s+(?:related|due|attributable|secondary)\s+to|not\s+in\s+relation\s+(?:with|to)"
    r"|not\s+caused\s+by|unrelated\s+to)\b",
    re.IGNORECASE,
)
# "50-100 x 10^9/L": the number ends a range (searched up to the value's number).
_RANGE_END_RE = re.compile(r"\d\s*(?:-|–|—|to)\s*$", re.IGNORECASE)
# Exclusion "Prior grade 4 thrombocytopenia (platelets < 25)", "who experienced ALT > 5 x ULN
# on prior immunotherapy": a past event, not a limit on who may enter now ("prior to
# registration" is a time, not an event).
_PAST_EVENT_RE = re.compile(
    r"\b(?:history\s+of|previous(?:ly)?|experienced|developed|prior\s+(?!to\b))", re.IGNORECASE
)
# "ECOG 0-1 or 2 if related to the underlying cancer": a cause right after the grades.
_CAUSE_FWD_RE = re.compile(
    r"\s*(?:\w+\s+){0,2}?(?:due|related|secondary|attributable)\s+to\b", re.IGNORECASE
)
# Exclusion "Other malignancy with a life expectancy of less than 2 years", "Any condition
# with a life expectancy under 5 years": the limit concerns another illness.
_OTHER_ILLNESS_RE = re.compile(
    r"\b(?:(?:other|another|second|concurrent|concomitant|any)\s+(?:\w+\s+){0,2}?"
    r"(?:malignan\w*|cancers?|conditions?|illness(?:es)?|diseases?|tumou?rs?|disorders?))\b",
    re.IGNORECASE,
)
# "... < 70% for patients < 60": the number after the people named is an age.
_AGE_BEFORE_RE = re.compile(
    r"\b(?:patients|participants|subjects|people|persons|children|adults|aged?)\s*$", re.IGNORECASE
)
# "If the creatinine is > 1.5 mg/dL ...", "(If greater than 1.5, the clearance must be ...)",
# "Note: for HCC, AST ... <= 5 x ULN" (a group named before the value)
_IF_RE = re.compile(
    r"(?:^|[(.;:]\s*)(?:if\b|(?:note\s*:\s*)?for\s+(?!all\b)[^,:;.()\d]{1,40}[,:]"
    # "In subjects with marrow involvement, ANC ...", "Patients aged 70 or older: CrCl >= 30"
    # (not "Patients with adequate organ function, defined as: ...", which is everyone)
    r"|(?:in|for)\s+(?:patients|participants|subjects|those)\s+(?:with|who|receiving|on|aged"
    r"|older|younger|over|under|[<>≥≤])(?:[^,:;.()]|\.(?=\d)){0,50}[,:]"
    r"|(?:patients|participants|subjects|those)\s+(?:aged|older|younger|over|under|[<>≥≤])"
    r"(?:[^,:;.()]|\.(?=\d)){0,50}[,:])",
    re.IGNORECASE,
)
# Exclusion "Neutrophils < 1.5 x 10^9/L and platelets < 100 x 10^9/L": literally both at once.
_JOINT_RE = re.compile(r"\s*and\s+(?:the\s+|a\s+)?", re.IGNORECASE)
_SHARED_RE = re.compile(
    r"[\s()\[\]/,、（）]*(?:and\s*/\s*or|and|or|&|,)[\s()\[\]/,、（）]*(?:(?:blood|serum|total)\s+)?",
    re.IGNORECASE,
)
_MAYBE_NUMERIC_RE = re.compile(
    r"\d|\bI?ULN\b|\bUNL\b|upper\s+limit|normal\s+(?:institutional\s+)?limits|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve)\b",
    re.IGNORECASE,
)


def _context(text: str, value: _Value, prev_end: int) -> tuple[str, str]:
    """The clause around a value: back to the previous value or ``;.)`` and forward to the
    next ``;,():`` or `` or ``; what a qualifier (liver metastases, Gilbert's) applies to."""
    back_from = max(prev_end, 0)
    back = text[back_from : value.start]
    cut = max(back.rfind(c) for c in (";", ". ", ")", "）", "；"))
    if cut >= 0:
        back = back[cut + 1 :]
    fwd = text[value.end : value.end + 120]
    # A bare unit conversion in brackets, "(3.0 mg/dL)", belongs to this value.
    fwd = re.sub(r"^\s*\([^()a-zA-Z]*[a-zA-Z/µμ]{0,6}\)", "", fwd)
    # (also at "OR", "&" and the next comparator: "<= 2.5 x ULN OR <= 5 x ULN for subjects with
    # liver metastases", "<= 2.5 x ULN & <= 5 x ULN if ...": the qualifier is the next value's)
    m = re.search(
        r"[;,():/（）；，&]|\.\s|\.$|(?i:\bor\b)|^\s*(?:and\s+)?(?:[<>≤≥]|=<|=>)\s*\d", fwd
    )
    if m:
        fwd = fwd[: m.start()]
    return back, fwd


_LIVER_ABSENT_RE = re.compile(
    r"(?:metasta\w*|involvement|lesions?)\s+(?:are|is)\s+(?:absent|not\s+present)", re.IGNORECASE
)


def _bracket_rest(text: str, value: _Value) -> str:
    """The rest of the bracket a value sits in ("(<= 5 x ULN, if liver metastases are
    present)" gives ", if liver metastases are present"), or ""."""
    opened = text.rfind("(", max(0, value.start - 20), value.start)
    if opened < 0 or ")" in text[opened : value.start]:
        return ""
    closed = text.find(")", value.end, value.end + 100)
    return text[value.end : closed] if closed >= 0 else ""


def _about_liver(back: str, fwd: str) -> bool:
    """A value for patients with liver metastases ("<= 5 x ULN if liver metastases"), not
    for those without ("2 x ULN if liver metastases are absent")."""
    if _LIVER_RE.search(fwd):
        negated = _LIVER_NEG_RE.search(fwd) or _LIVER_ABSENT_RE.search(fwd)
        return not negated and "unless" not in fwd.lower()
    return bool(_LIVER_RE.search(back)) and not _LIVER_NEG_RE.search(back)


# -- numeric kinds -------------------------------------------------------------------------


@dataclass
class _Found:
    kind: str
    value: bool | int | float | str
    comparator: str | None
    start: int
    end: int
    anchor_kind: str
    note: str | None = None


_FLIP = {"ge": "lt", "gt": "le", "le": "gt", "lt": "ge"}
_SYMBOL = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}


def _direction(cmp: str | None, exclusion: bool, want_min: bool) -> str | None:
    """The comparator as an inclusion requirement, or None when it points the wrong way."""
    if cmp is None:
        return None if exclusion else ("ge" if want_min else "le")
    if exclusion:
        cmp = _FLIP[cmp]
    ok = cmp in ("ge", "gt") if want_min else cmp in ("le", "lt")
    return cmp if ok else None


def _count_per_l(value: _Value, kind: str) -> float | None:
    """ANC or platelets in 10^9/L ("/L" as written is read as the per-microlitre count it
    surely means; the caller notes it)."""
    n = value.number
    if value.unit in ("e9", "e3"):
        return n
    if value.unit in ("ul", "perl", "perml") or (value.unit is None and n >= 500):
        return n / 1000
    # "ANC >= 1.5", "platelets >= 100": without a unit, 10^9/L and 10^3/uL give the same value
    small = (0.5, 10.0) if kind == "anc" else (20.0, 500.0)
    if value.unit is None and value.cmp is not None and small[0] <= n < small[1]:
        return n
    return None


def _unit_misread(value: _Value) -> bool:
    """A unit that, read literally, gives another value than the one meant: counts "/L" or
    "/mL" ("100,000/L"), haemoglobin "9 gm/L" (0.9 g/dL as written)."""
    return value.unit in ("perl", "perml", "mgdl") or (value.unit == "gl" and value.number < 50)


def _hemoglobin(value: _Value) -> float | None:
    n = value.number
    if value.unit == "gdl":
        return n
    if value.unit == "gl":
        return n / 10 if n >= 50 else n  # "9 gm/L" is g/dL miswritten (noted by the caller)
    if value.unit == "mgdl" and 6 <= n <= 18:
        return n  # "10 mg/dL": g/dL miswritten (noted by the caller)
    if value.unit == "mmol":
        return round(n * 1.611, 1)
    if value.unit is None and value.cmp is not None and 6 <= n <= 18:
        return n  # "hemoglobin >= 10.0": only g/dL has numbers in this range
    return None


def _weeks(value: _Value) -> float | None:
    n = value.number
    factor = {"weeks": 1.0, "months": 4.33, "years": 52.0, "days": 1 / 7}.get(value.unit or "")
    return None if factor is None else float(round(n * factor))


_ECOG_VALUE_RE = re.compile(
    rf"\s*[^0-9;.]{{0,60}}?(?:(?P<ge>{_GE})|(?P<gt>{_GT})|(?P<le>{_LE})|(?P<lt>{_LT}))?\s*"
    r"(?:of\s+|:\s*|=\s*|is\s+|(?<=[=l])\s+to\s+)?(?P<a>[0-5])(?!\.\d|\d|%|\s*(?:weeks?|days?|months?|years?|hours?)\b)"
    r"(?:\s*(?:-|–|—|~|to|,|or|and|/)\s*(?P<b>[0-5])(?!\.\d|\d|%|\s*(?:weeks?|days?|months?|years?|hours?)\b)"
    r"(?:\s*,?\s*(?:or|and)?\s*(?P<c>[0-5])(?!\.\d|\d|%|\s*(?:weeks?|days?|months?|years?|hours?)\b)"
    r"(?:\s*,?\s*(?:or|and)?\s*(?P<d>[0-5])(?!\.\d|\d|%|\s*(?:weeks?|days?|months?|years?|hours?)\b))?)?)?"
    r"(?P<tail>\s*(?:points?\s*)?(?:or\s+(?:less|lower|below|better|more|higher|greater|above)))?",
    re.IGNORECASE,
)


def _ecog_values(text: str, start: int, end: int) -> tuple[int, int, str | None, int] | None:
    """(lowest, highest, comparator, end) of the grades after an ECOG anchor: "0-1",
    "0, 1, or 2", "0,1,2 or 3", "<= 2", "2 or less"."""
    m = _ECOG_VALUE_RE.match(text, start, end)
    if not m:
        return None
    nums = [int(m.group(g)) for g in ("a", "b", "c", "d") if m.group(g)]
    cmp = next((k for k in ("ge", "gt", "le", "lt") if m.group(k)), None)
    tail = (m.group("tail") or "").lower()
    if any(w in tail for w in ("less", "lower", "below", "better")):
        cmp = "le"
    elif tail.strip():
        cmp = "ge"
    return min(nums), max(nums), cmp, m.end()


def _numeric_facts(text: str, anchors: list[_Anchor], exclusion: bool) -> list[_Found]:
    """Values read after each anchor, up to the next anchor (of any test)."""
    found: list[_Found] = []
    prev_end = 0  # end of the last value read: a qualifier before it is not about the next
    for i, anchor in enumerate(anchors):
        if anchor.kind == "stop":
            continue
        # "Creatinine and blood urea nitrogen <= 1.5 x ULN": one value for a list of tests
        j = i + 1
        while j < len(anchors) and (
            _SHARED_RE.fullmatch(text, anchors[j - 1].end, anchors[j].start)
            # "ECOG performance score (PS) of 0-1": the scale named again
            or (anchors[j].kind == anchor.kind and anchors[j].start - anchors[j - 1].end <= 30)
        ):
            j += 1
        limit = anchors[j].start if j < len(anchors) else len(text)
        limit = min(limit, anchor.end + 160)
        if anchor.kind == "ecog":
            found.extend(
                _ecog(text, anchor, limit, exclusion) or _percent(text, anchor, limit, exclusion)
            )
            continue
        if anchor.kind in ("life", "karnofsky"):
            found.extend(_value_before(text, anchor, exclusion))
        near = anchor.end
        read: list[tuple[_Value, _Found | None]] = []
        for value in _values(text, anchor.end, limit):
            if value.start - near > 70:
                break
            fact = _lab(text, anchor, value, prev_end, exclusion)
            prev_end = near = value.end
            read.append((value, fact))
            if fact is not None:
                found.append(fact)
        if not exclusion:
            _mark_other_unit(text, read)
    return found


def _mark_other_unit(text: str, read: list[tuple[_Value, _Found | None]]) -> None:
    """ "Bilirubin < 1.5 mg/dL OR less than the ULN": the fact read in one unit is only one
    of the alternatives when the other, in a unit this kind does not take, is joined by "or"
    (not a value for liver metastases or Gilbert's, which are the main value's companions)."""
    for (a, fa), (b, fb) in itertools.pairwise(read):
        if (fa is None) == (fb is None) or a.unit == b.unit:
            continue
        if not _OR_RE.search(text, a.end, b.start):
            continue
        other = a if fa is None else b
        near = text[other.start : other.end + 60]
        if _LIVER_RE.search(near) or _GILBERT_RE.search(near):
            continue
        fact = fa or fb
        if fact is not None:
            fact.note = fact.note or NOTE_ALTERNATIVE


_BEFORE_RE = re.compile(
    rf"(?:(?P<ge>{_GE})|(?P<gt>{_GT})|(?P<le>{_LE})|(?P<lt>{_LT}))\s*(?P<num>\d+)\s*"
    r"(?:(?P<weeks>weeks?)|(?P<months>months?)|(?P<years>years?)|(?P<pct>%))?\s*(?:of\s+)?$",
    re.IGNORECASE,
)


def _value_before(text: str, anchor: _Anchor, exclusion: bool) -> list[_Found]:
    """ "Greater than 12 weeks life expectancy", "Less than 30 Karnofsky score": a threshold
    written right before the anchor, read only with its comparator (and, for life
    expectancy, a unit of time)."""
    m = _BEFORE_RE.search(text, max(0, anchor.start - 40), anchor.start)
    if m is None:
        return []
    unit = next((u for u in ("weeks", "months", "years", "pct") if m.group(u)), None)
    cmp = next((k for k in _CMP_GROUPS if m.group(k)), None)
    value = _Value(m.start(), anchor.end, cmp, float(m.group("num")), unit)
    fact = _lab(text, anchor, value, m.start(), exclusion)
    if fact is None:
        return []
    fact.start, fact.end = m.start(), anchor.end
    return [fact]


def _percent(text: str, anchor: _Anchor, limit: int, exclusion: bool) -> list[_Found]:
    """ "Performance status >= 60%" with no scale named: only Karnofsky and Lansky count in
    percent, so it is their minimum."""
    if not text[anchor.start : anchor.end].lower().startswith(("performance", "ps")):
        return []
    if re.search(r"karnofsky|lansky|\bKPS\b|\bECOG\b|zubrod|\bWHO\b", text, re.IGNORECASE):
        return []  # a scale named anywhere is read by its own rule
    values = _values(text, anchor.end, limit)
    if not values or values[0].unit != "pct" or values[0].start - anchor.end > 20:
        return []
    scale = _Anchor("karnofsky", anchor.start, anchor.end)
    fact = _lab(text, scale, values[0], anchor.end, exclusion)
    return [fact] if fact else []


def _ecog(text: str, anchor: _Anchor, limit: int, exclusion: bool) -> list[_Found]:
    generic = text[anchor.start : anchor.end].lower().startswith(("performance", "ps"))
    if generic and re.search(r"karnofsky|lansky|\bKPS\b", text, re.IGNORECASE):
        return []
    got = _ecog_values(text, anchor.end, limit)
    if got is None:
        return []
    low, high, cmp, end = got
    dangling = re.match(r"\s*(?:or|and|to|-|–|,)\s*$", text[end:], re.IGNORECASE)
    if dangling and cmp is None and low == high:
        return []  # "score of 0 or" at the end: the list goes on in a line the parser split off
    if re.search(
        r"\b(?:other\s+than|except|apart\s+from|not)\s*[0-5]", text[anchor.end : end], re.I
    ):
        return []  # "ECOG PS other than 2": no range is stated
    if exclusion:
        # "ECOG >= 2", "ECOG 3-4", "ECOG > 2", "ECOG 2 or more" exclude: the maximum allowed
        # is just below the excluded range.
        if cmp in ("le", "lt") or (cmp is None and low == 0):
            return []
        value = high if cmp == "gt" else low - 1
    else:
        if cmp in ("ge", "gt") or (cmp is None and low > 0 and high == low):
            # "ECOG >= 1" in inclusion is no maximum; a single grade "ECOG 2" is unclear.
            return []
        elif cmp == "lt":
            value = high - 1
        else:
            value = high
    if value < 0:
        return []
    # "0, 1 or 2 for dose escalation, and 0 or 1 for dose expansion": a threshold per part
    again = _ECOG_VALUE_RE.match(text, end, limit)
    # ... a second range or bound; not "(Appendix 2)", "(ECOG 3 is excluded)"
    if again and not (again.group("b") or any(again.group(k) for k in _CMP_GROUPS)):
        again = None
    if again and re.search(
        r"\b(?:appendix|section|table|figure|version)\W*$", again.group(0), re.I
    ):
        again = None
    # "< 2, unless PS of 3-4 based solely on bone pain": the cause-exception rule's business
    if again and re.search(r"\b(?:unless|except)\b", again.group(0), re.I):
        again = None
    # "Cohort 2: ECOG 0-2" (a part named before, in the same clause) or after the grades
    clause = max(_clause_start(text, anchor.start), anchor.start - 60)
    part = _PART_RE.search(text, end, min(limit, end + 40)) or _PART_RE.search(
        text, clause, anchor.start
    )
    some = _SOME_PATIENTS_RE.search(text, end, min(limit, end + 40))
    # "ECOG 0-1 or 2 if related to the underlying cancer": a grade under a condition
    some = some or _CONDITION_FWD_RE.match(text, end) or _CAUSE_FWD_RE.match(text, end)
    note = (
        NOTE_SEVERAL  # a threshold per part or group: dropped with the others (below)
        if again
        else NOTE_CONDITIONAL
        if part
        else NOTE_SOME_PATIENTS
        if some or _IF_RE.match(text.lstrip())
        else None
    )
    return [_Found("ecog_max", float(value), "<=", anchor.start, end, "ecog", note)]


def _clause_start(text: str, pos: int) -> int:
    """Where the ``;``- or sentence-clause holding ``pos`` starts."""
    return max(text.rfind(";", 0, pos), text.rfind(". ", 0, pos), 0)


_BRACKETED_GROUP_RE = re.compile(
    r"\s*[(,]\s*(?:only\s+)?(?:for|in)\s+(?:patients|participants|subjects|those|people"
    r"|persons|individuals)\s+(?:with|who|whose|on|receiving|aged|older|younger|over|under)\b",
    re.IGNORECASE,
)
_LEFT_OUT_RE = re.compile(
    r"[^.;]{0,20}?\b(?:excluding|except(?:\s+for)?|apart\s+from|other\s+than|unrelated\s+to)\b",
    re.IGNORECASE,
)
# "Platelets >= 100,000/mm3 OR at least the lower limit of normal": another bound that gives no
# fact is an alternative all the same.
_OR_NORMAL_RE = re.compile(
    rf"\s*,?\s*or\s+(?:(?:{_GE})|(?:{_GT})|(?:{_LE})|(?:{_LT}))?\s*(?:the\s+)?(?:institutional\s+)?"
    r"(?:lower\s+limits?\s+of\s+(?:the\s+)?normal|LLN|normal\b|within\s+normal)"
    # "Hemoglobin > 10 g/dL or not more than 2 g/dL below the lower limit of normal",
    # "platelets >= 50,000/mcL or recovery to the baseline count": another bound, no test
    r"|\s*\)?\s*,?\s*or\s+(?:[^;.()<>≤≥]|\.(?=\d)){0,40}?\b(?:lower\s+limits?\s+of\s+"
    r"(?:the\s+)?normal|LLN|baseline)\b",
    re.IGNORECASE,
)


def _for_some_patients(text: str, start: int, fwd: str) -> bool:
    """A threshold under a condition: the criterion opens with "If", an "if" clause starts
    the sentence or bracket the value is in, or "for patients with ..." follows it."""
    opening = _IF_RE.match(text.lstrip())
    if opening and not re.search(r"liver|hepatic|gilbert", text[:start], re.IGNORECASE):
        return True
    # "... in patients without liver metastases": the liver rules' business
    some = _SOME_PATIENTS_RE.search(fwd) and not _LIVER_RE.search(fwd)
    if some or _CAUSE_RE.search(fwd) or _CAUSE_ANY_RE.search(text):
        return True
    # "<= 1.5 x ULN if no liver metastases": the liver rules' business
    if _CONDITION_FWD_RE.match(fwd) and not _GILBERT_RE.search(fwd) and not _LIVER_RE.search(fwd):
        return True
    before = text[:start]
    last = max((m.end() for m in _IF_RE.finditer(before)), default=-1)
    # "If there is no liver metastasis, ALT > 2.5 x ULN": the liver rules' business; "(If
    # greater than 1.5, ...) CrCl": the bracket closed the condition ("(AST)" does not).
    rest = before[last:]
    closed = rest.count(")") > rest.count("(") or re.search(r";|\.\s", rest) is not None
    return last >= 0 and not closed and not re.search(r"liver|hepatic|gilbert", rest, re.I)


# "If transaminases are <= ULN", "For subjects with serum creatinine > 1.5 x ULN, ...": the
# test named right after the opener is the condition, not a limit.
_OPENER_BEFORE_RE = re.compile(
    r"\b(?:if|when(?:ever)?|provided(?:\s+that)?|(?:for|in)\s+(?:patients|participants|subjects"
    r"|those)\s+with)\s+(?:\w+\s+){0,3}?$",
    re.IGNORECASE,
)


def _is_condition(text: str, anchor: _Anchor, value: _Value) -> bool:
    """Whether the value is the condition itself ("... if transaminases are <= ULN")."""
    if not _OPENER_BEFORE_RE.search(text, max(0, anchor.start - 60), anchor.start):
        return False
    return not re.search(r"[,)]|\bthen\b", text[anchor.end : value.start], re.IGNORECASE)


def _if_names_other_test(text: str, anchor: _Anchor) -> bool:
    """ "If alkaline phosphatase is >= 2.5 x ULN in the presence of liver metastases, AST
    must be < 5 x ULN": the liver threshold depends on another test too."""
    clause = _clause_start(text, anchor.start)
    openers = list(re.finditer(r"\bif\b", text[clause : anchor.start], re.IGNORECASE))
    return bool(openers) and bool(_anchors(text[clause + openers[-1].end() : anchor.start]))


def _lab(
    text: str, anchor: _Anchor, value: _Value, prev_end: int, exclusion: bool
) -> _Found | None:
    kind = anchor.kind
    back, fwd = _context(text, value, prev_end)
    # "(=< 5 x ULN, if liver metastases are present)": the condition sits past the comma
    # "<= 5 x ULN (for subjects with metastatic disease to the liver)": the bracket after it
    # (a bracket with no value of its own: "(<= 5 x ULN with liver metastases)" is another's)
    after_bracket = re.match(r"\s*\(([^()\d]{0,100})\)", text[value.end :])
    bracket = after_bracket.group(1) if after_bracket else ""
    own_bracket = not re.search(r"\b(?:times|ULN|upper\s+limit|normal)\b", bracket, re.I)
    liver = (
        _about_liver(back, fwd)
        or _about_liver("", _bracket_rest(text, value))
        or (own_bracket and _about_liver("", bracket))
    )
    gilbert_fwd = _GILBERT_RE.search(fwd) and not _EXCEPTION_FWD_RE.match(fwd)
    if _GILBERT_RE.search(back) or gilbert_fwd or _AGE_BEFORE_RE.search(back):
        return None
    if value.cmp is None and _RANGE_END_RE.search(text, 0, value.start):
        return None  # "50-100 x 10^9/L", "30-59 mL/min": the top of a range is no limit
    if exclusion and _PAST_EVENT_RE.search(back):
        return None  # "History of febrile neutropenia (ANC < 0.5)": an event, not a limit
    but = not liver and re.search(r"\bbut\s*$", back, re.IGNORECASE)
    if but or _is_condition(text, anchor, value):
        return None  # "> 1.5 x ULN but < 3 x ULN": the top of a range; or a condition
    note = NOTE_CONDITIONAL if _PART_RE.search(back) or _PART_RE.search(fwd) else None
    if note is None and not liver and _for_some_patients(text, value.start, fwd):
        note = NOTE_SOME_PATIENTS
    if note is None and liver and _if_names_other_test(text, anchor):
        note = NOTE_SOME_PATIENTS
    clause = _clause_start(text, anchor.start)
    if kind == "life" and _OTHER_ILLNESS_RE.search(text, clause, anchor.start):
        note = note or NOTE_SOME_PATIENTS
    # ">= 60 mL/min (for patients with creatinine above normal)"; "life expectancy of 5 years,
    # excluding their cancer": a condition or a cause left out, after a bracket or comma
    after = text[value.end : value.end + 100]
    group = _BRACKETED_GROUP_RE.match(after) and not _GILBERT_RE.search(after[:60])
    if not liver and (group or (kind == "life" and _LEFT_OUT_RE.match(after))):
        note = note or NOTE_SOME_PATIENTS
    if kind in ("creatinine", "bilirubin", "ast_alt"):
        if value.unit not in ("uln", "wnl") or not 0.5 <= value.number <= 20:
            return None
        if value.unit == "wnl" and _ULN_OR_WNL_RE.search(text, 0, value.start):
            return None  # "<= 1.5 x ULN or within normal limits": the ULN multiple is the limit
        if _GILBERT_AFTER_BRACKET_RE.match(text, value.end):
            return None  # "(greater than ULN to 1.5 x ULN) due to Gilbert's disease"
        if value.unit == "wnl":
            note = note or NOTE_IMPLIED
        cmp = _direction(value.cmp, exclusion, want_min=False)
        if cmp is None:
            return None
        name = {"creatinine": "creatinine_max_uln", "bilirubin": "bilirubin_max_uln"}.get(
            kind, "ast_alt_max_uln"
        )
        if liver:
            if kind != "ast_alt":
                return None
            name = "ast_alt_max_uln_liver_mets"
        return _Found(name, value.number, _SYMBOL[cmp], anchor.start, value.end, kind, note)
    if liver:
        return None
    if kind == "karnofsky":
        if value.unit not in (None, "pct") or not 10 <= value.number <= 100:
            return None
        if value.number % 10:
            return None
        cmp = _direction(value.cmp, exclusion, want_min=True)
        if cmp is None:
            return None
        number = value.number if cmp == "ge" else value.number + 10
        return _Found("karnofsky_min", number, ">=", anchor.start, value.end, kind, note)
    converted: float | None
    if kind in ("anc", "platelets"):
        converted = _count_per_l(value, kind)
        low, high = (0.1, 10.0) if kind == "anc" else (10.0, 500.0)
        name = f"{kind}_min"
    elif kind == "hemoglobin":
        converted, low, high, name = _hemoglobin(value), 5.0, 15.0, "hemoglobin_min"
    elif kind == "crcl":
        bare = text[anchor.start : anchor.end].lower() == "clearance"
        ok = value.unit == "mlmin" or (value.unit is None and value.cmp is not None and not bare)
        converted, low, high, name = (value.number if ok else None), 10.0, 150.0, "crcl_min"
    elif kind == "life":
        converted, low, high, name = _weeks(value), 1.0, 520.0, "life_expectancy_min_weeks"
    else:
        return None
    if converted is None or not low <= converted <= high:
        return None
    cmp = _direction(value.cmp, exclusion, want_min=True)
    if cmp is None:
        return None
    if _unit_misread(value):
        note = note or NOTE_UNIT
    return _Found(name, converted, _SYMBOL[cmp], anchor.start, value.end, kind, note)


def _mark_alternatives(
    text: str, anchors: list[_Anchor], found: list[_Found], exclusion: bool
) -> None:
    """Note facts joined to a neighbouring test of another kind by "or" ("creatinine <=
    1.5 x ULN or CrCl >= 60", "creatinine =< 2.0 mg/dL OR creatinine clearance >= 40",
    where the other side gives no fact). Under exclusion "or" joins exclusions: each side
    is a limit of its own, so nothing is noted."""
    if exclusion:
        return
    stops = [a.start for a in anchors if a.kind == "stop"]
    # A test that gives no fact is an alternative all the same ("bilirubin <= 1.5 x ULN or
    # direct bilirubin <= ULN", "WBC >= 3.0 or ANC >= 1.5").
    for f in found:
        last = next((a for a in reversed(anchors) if a.end <= f.start), None)
        # after that test's own values ("ECOG 0 or 1 with a life expectancy ...", "creatinine
        # < 2.0 mg/dl or 177 umol/l or calculated (Cockcroft) clearance > 40"): the reach
        # counts from the last of them, however many units the other test is written in
        gap = max([g.end for g in found if g.end <= f.start], default=0)
        if last is not None and last.kind != f.anchor_kind:
            own = [v.end for v in _values(text, last.end, f.start) if v.end <= f.start]
            reach = max([last.end, *own])
            between = text[reach : f.start]
            one_clause = ";" not in between and ". " not in between
            apart = not any(reach <= s < f.start for s in stops)  # no third test in between
            near_or = f.start - reach <= 100 and one_clause and apart
            if near_or and _OR_RE.search(text, max(reach, gap), f.start):
                f.note = NOTE_ALTERNATIVE
        after = next((a for a in anchors if a.start >= f.end), None)
        # "CrCl >= 30 mL/min by the Cockcroft-Gault formula or serum creatinine <= 2 mg/dL":
        # a method named in between, in the same clause and with no other fact, is no break
        gap_text = text[f.end : after.start] if after is not None else ""
        # (no value or bracket in it: "(or <= 3 x ULN if due to leukaemia)" is the same test's)
        alone = not re.search(r";|\.\s|[\d()\[\]]", gap_text)
        alone = alone and not any(f.end <= g.start < after.start for g in found if after)
        reach_after = 40 if not alone else 80
        near = (
            after is not None and after.kind != f.anchor_kind and after.start - f.end <= reach_after
        )
        if after is not None and near and _OR_RE.search(text[f.end : after.start]):
            f.note = NOTE_ALTERNATIVE
        before = [g for g in found if g.end <= f.start and f.start - g.end <= 40]
        for g in before:
            if g.anchor_kind != f.anchor_kind and _OR_RE.search(text[g.end : f.start]):
                f.note = NOTE_ALTERNATIVE
        if _or_other_than_a_test(text, f.end) or _OR_NORMAL_RE.match(text, f.end):
            f.note = NOTE_ALTERNATIVE
        if _or_before_a_state(text, anchors, f.start):
            f.note = NOTE_ALTERNATIVE


# "End-stage renal disease on hemodialysis or CrCl >= 75 mL/min": "or" right before the test
_OR_BEFORE_RE = re.compile(r"\bor\s+(?:[\w-]+\s+){0,2}$", re.IGNORECASE)


def _or_before_a_state(text: str, anchors: list[_Anchor], start: int) -> bool:
    """Whether the threshold at ``start`` is the second way in after a state that names no
    test ("on hemodialysis or CrCl >= 75"), in the same clause."""
    clause = _clause_start(text, start)
    m = _OR_BEFORE_RE.search(text, clause, start)
    if m is None or not re.search(r"[A-Za-z]{3}", text[clause : m.start()]):
        return False
    return not any(clause <= a.start < m.start() for a in anchors)


# "(ANC > 1000) at baseline, or willingness to accept transfusions": after ", or" the rest of
# the sentence names no test and no number, so the threshold is one way in among others.
_CLAUSE_OR_RE = re.compile(r",\s*or\b(?!\s*(?:more|less|equal|greater|higher|lower|=))", re.I)


def _or_other_than_a_test(text: str, start: int) -> bool:
    """Whether ", or" after ``start`` opens, in the same sentence, an alternative that is
    no test ("..., or willingness to accept transfusions")."""
    stops = [i for i in (text.find(";", start), text.find(". ", start)) if i >= 0]
    end = min(stops) if stops else len(text)
    m = _CLAUSE_OR_RE.search(text, start, end)
    if m is None:
        return False
    rest = text[m.end() : end]
    if _LIVER_RE.search(rest) or _GILBERT_RE.search(rest):
        return False  # the companions of a main value, not another way in
    return not re.search(r"\d", rest) and not _anchors(rest) and not _BARE_ULN_RE.search(rest)


def _mark_joint(text: str, found: list[_Found], exclusion: bool) -> None:
    """Under exclusion, two tests joined by a bare "and" ("ANC < 1.5 and platelets < 100")
    exclude only together, so neither is a plain minimum; say so on both."""
    if not exclusion:
        return
    ordered = sorted(found, key=lambda f: f.start)
    for f, g in itertools.pairwise(ordered):
        if f.anchor_kind != g.anchor_kind and _JOINT_RE.fullmatch(text, f.end, g.start):
            for h in (f, g):
                h.note = h.note or NOTE_JOINT


# -- categorical kinds ---------------------------------------------------------------------

_CNS_RE = re.compile(
    r"\b(?:brain|CNS|central\s+nervous\s+system(?:\s+\(CNS\))?|intracranial|cerebral)\s+"
    r"(?:(?:or|and|and/or)\s+[\w-]+\s+)?(?:tumou?r\s+)?(?:metasta\w*|lesions?|mets)\b"
    r"|metasta\w*\s+(?:to|in)\s+(?:the\s+)?(?:brain|CNS|central\s+nervous\s+system)"
    r"|(?:invasion|infiltration|involvement)\s+(?:in|into|of)\s+(?:the\s+)?"
    r"(?:brain|CNS|central\s+nervous\s+system)"
    r"|\b(?:CNS|central\s+nervous\s+system(?:\s+\(CNS\))?)\s+involvement\s+(?:by|with)\s+"
    r"(?:malignan|tumou?r|cancer|lymphoma|leuka?em)"
    # "CNS involvement", "Known brain or leptomeningeal involvement" (in a cancer trial's
    # criteria: the disease in the brain)
    r"|\b(?:brain|CNS|central\s+nervous\s+system(?:\s+\(CNS\))?)\s+"
    r"(?:(?:or|and|and/or)\s+[\w-]+\s+)?involvement\b"
    # "Metastatic brain or meningeal tumors", "No brain and/or leptomeningeal disease"
    r"|\bmetastatic\s+(?:brain|CNS|cerebral)\s+(?:(?:or|and|and/or)\s+[\w-]+\s+)?tumou?rs?\b"
    r"|\b(?:brain|CNS)\s+(?:or|and|and/or)\s+leptomeningeal\s+disease\b"
    # "Cancer that has spread to the brain", "Known CNS disease" (the NCI wording)
    r"|\bspread\s+to\s+(?:the\s+)?(?:brain|CNS|central\s+nervous\s+system)\b"
    r"|\bknown\s+(?:CNS|central\s+nervous\s+system(?:\s+\(CNS\))?)\s+disease\b",
    re.IGNORECASE,
)
_CNS_ACTIVE_RE = re.compile(
    r"\b(?:active|untreated|symptomatic|unstable|uncontroll\w*|progressive|progressing"
    r"|untreatable|not\s+(?:been\s+)?(?:treated|controlled|stable)|new\s+or\s+progressive"
    r"|recurrent|symptoms?\s+of)\b",
    re.IGNORECASE,
)
_CNS_EXCEPTION_RE = re.compile(
    r"\b(?:may|can|could|will|are|is|be)\s+(?:be\s+)?(?:eligible|allowed|permitted|included"
    r"|enrolled|admitted|considered|participate|accepted)|\bunless\b|\bexcept(?:ions?)?\b"
    r"|\bprovided\b"
    # "Known brain metastases (treated brain metastases allowed if stable)"
    r"|(?<!not\s)(?<!never\s)\b(?:allowed|permitted)\b"
    # "Concomitant brain metastases. If previous brain metastases were treated, ..."
    r"|\bif\s+(?:\w+\s+){0,4}?(?:were|was|have\s+been|has\s+been|are)\s+(?:\w+\s+)?"
    r"(?:treated|resected|irradiated)\b",
    re.IGNORECASE,
)
# Where the criterion's CNS item is not the fact's scale: the leukaemia or lymphoma itself in
# the CNS (a disease site, not metastases), or only some metastases ("multiple", "more than 3").
_CNS_UNCLEAR_RE = re.compile(
    r"\b(?:CNS|central\s+nervous\s+system(?:\s+\(CNS\))?|brain|meningeal)\s+"
    r"(?:\w+\s+){0,2}?(?:involvement|disease|infiltration)\s+(?:\w+\s+){0,2}?"
    r"(?:by|with|of)\s+(?:\w+\s+)?(?:leuka?emi|lymphoma|blasts)"
    r"|\b(?:CNS|central\s+nervous\s+system(?:\s+\(CNS\))?)\s+(?:leuka?emi|lymphoma)"
    r"|\b(?:leuka?emi\w*|lymphoma(?:tous)?)\s+(?:involvement\s+)?(?:of|in)\s+(?:the\s+)?"
    r"(?:CNS|central\s+nervous|brain)"
    r"|\b(?:multiple|more\s+than\s+\w+|>\s*\d+|\d+\s+or\s+more)\s+(?:\w+\s+)?"
    r"(?:brain|CNS|cerebral|intracranial)\s+(?:metasta|lesion|mets)"
    # only some by size or site: "brain metastases > 3 cm", "... in the brainstem"
    r"|\b(?:brain|CNS|cerebral|intracranial)\s+(?:metasta\w*|lesions?|mets)\s+(?:\w+\s+){0,2}?"
    r"(?:[>≥]\s*\d|(?:larger|greater|bigger)\s+than|\d+(?:\.\d+)?\s*(?:cm|mm)\b|located\b"
    r"|in\s+the\s+(?:brain\s*stem|cerebellum|posterior\s+fossa))",
    re.IGNORECASE,
)
# A treatment named before the metastases: "Steroid therapy for brain metastasis", "radiation
# for palliation of bone metastases and CNS lesions"
_CNS_TREATMENT_RE = re.compile(
    r"\b(?:therap(?:y|ies)|steroids?|corticosteroids?|dexamethasone|radiation|radiotherapy"
    r"|irradiation|palliation)\s+(?:\w+\s+){0,2}?(?:for|to|of)\s+(?:\w+\s+){0,5}?$",
    re.IGNORECASE,
)
_CNS_NEGATED_RE = re.compile(
    r"\b(?:no|without|absence\s+of|free\s+of|negative|eliminat\w*|rul(?:e|ed|ing)\s+out"
    r"|(?:the\s+)?exclusion\s+of|excluding)\s+"
    r"(?:\w+\s+){0,3}?(?:brain|CNS|central|"
    r"intracranial)",
    re.IGNORECASE,
)
_CNS_ALLOWED_RE = re.compile(
    r"\b(?:eligible|allowed|permitted|(?:may|can|could)\s+(?:only\s+)?be\s+(?:enrolled|included)"
    r"|(?:may|can)\s+(?:participate|enrol+)"
    r"|including\s+(?:those|patients|participants|subjects)\s+with)\b",
    re.IGNORECASE,
)
_CONDITION_RE = re.compile(
    r"\b(?:if|provided|stable|treated|asymptomatic|unless|when|as\s+long\s+as)\b", re.IGNORECASE
)

_PREG_WORD_RE = re.compile(r"\bpregnan(?:t|cy|cies)\b", re.IGNORECASE)
_PREG_NOT_RE = re.compile(
    # "take measures to avoid becoming pregnant": contraception, not a pregnancy now
    r"(?:prevent|avoid)\w*\s+(?:\w+\s+)?(?:becom|get)\w*\s+pregnant|"
    r"high[- ]risk\s+pregnanc|(?:prevent|avoid)\w*\s+(?:of\s+)?pregnanc|pregnancy\s+"
    r"prevention|(?<!women\s)(?<!woman\s)during\s+pregnancy"
    r"|(?:history\s+of|previous|prior|past)\s+pregnan|pregnancy\s+loss"
    r"|pregnancy[- ](?:induced|related|associated)"
    r"|(?:capable\s+of|able\s+to|potential\s+to)\s+becom\w*\s+pregnant"
    # contraception and testing rules: "can become pregnant ... refuse birth control",
    # "without adequate protection against pregnancy", "to minimize the risk of pregnancy",
    # "do not agree to submit to pregnancy testing"
    r"|\b(?:can|could|may|might)\s+(?:\w+\s+)?becom\w*\s+pregnant"
    r"|\bprotect\w*\s+against\s+(?:\w+\s+)?pregnan|\brisk\s+of\s+(?:\w+\s+)?pregnan"
    r"|\b(?:(?:submit|agree|consent)\w*\s+to|undergo\w*)\s+(?:\w+\s+){0,2}?pregnancy\s+test",
    re.IGNORECASE,
)
_PREG_INCLUSION_RE = re.compile(
    r"negative\b[^.;]{0,60}?\b(?:pregnancy|hCG)\b|\b(?:pregnancy|hCG)\s+(?:test\s+)?"
    r"(?:must\s+be\s+|is\s+|that\s+is\s+)?negative|\bnon-?pregnant\b|\bnot\s+(?:be\s+)?pregnant\b"
    r"|\bpregnan\w*[^.;]{0,40}?\b(?:not\s+eligible|excluded|ineligible)",
    re.IGNORECASE,
)

_MEASURABLE_RE = re.compile(
    r"\bmeasurable\s+(?:\w+\s+){0,2}?(?:disease|lesions?|tumou?rs?)\b|accurately\s+measured"
    r"|\b(?:disease|lesions?|tumou?rs?)\s+(?:that\s+(?:is|are)\s+)?measurable\b",
    re.IGNORECASE,
)
_MEASURABLE_NOT_RE = re.compile(
    r"non-?\s*measurable|measurable\s+(?:and\s*/\s*)?or\s+(?:non|evaluable|assessable)|evaluable"
    r"|assessable|recommended|not\s+required|(?:no|without)\s+measurable"
    # hedged: "preferred but not mandatory", "optional", "desirable", "ideally"
    r"|\bprefer\w*|\boptional\b|\bdesir\w*|\bencourag\w*|\bideally\b"
    r"|\bnot\s+(?:mandatory|necessary|needed|obligatory|essential|a\s+requirement)\b"
    r"|\b(?:if|where|when(?:ever)?)\s+(?:possible|available|feasible)\b"
    # "measurable disease ... or elevation of AFP": a tumour marker may do instead
    r"|\bor\s+(?:an?\s+)?(?:ris|elevat|increas)\w*"
    # a definition of the lesions that count, not a requirement to have one
    r"|(?:serving|used|selected|chosen)\s+as\s+(?:\w+\s+)?measurable"
    # "whether in-field disease progression or ...", "determined by CT or bone marrow
    # involvement": alternatives to measurable disease
    r"|\bwhether\b|\bor\s+(?:\w+\s+){0,3}?(?:marrow|involvement|markers?|PSA|CA-?125)\b",
    re.IGNORECASE,
)
# In the sentence naming measurable disease, a definition or a pointer to one, not a
# requirement: "For secretory myeloma, measurable disease is defined as ...", "See section
# 6.2 for the evaluation of measurable disease" (a later sentence may define what a
# requirement before it asks for)
_MEASURABLE_DEFINITION_RE = re.compile(
    r"measurable\s+(?:disease|lesions?)\s+(?:is|are)\s+defined"
    r"|\b(?:evaluation|assessment|definition)\s+of\s+measurable|(?<!\()\bsee\s+(?:section|appendix)",
    re.IGNORECASE,
)


def _sentence(text: str, start: int, end: int, limit: int = 200) -> tuple[int, int]:
    """The sentence (or ``;``-clause) around ``text[start:end]``, at most ``limit`` long."""
    left = max(text.rfind(";", 0, start), text.rfind(". ", 0, start), text.rfind("\n", 0, start))
    s = left + 1 if left >= 0 else 0
    while s < start and text[s].isspace():
        s += 1
    stops = [i for i in (text.find(";", end), text.find(". ", end), text.find("\n", end)) if i >= 0]
    e = min(stops) if stops else len(text)
    if e - s > limit:
        if start - limit // 3 > s:
            space = text.find(" ", start - limit // 3, start)
            s = space + 1 if space >= 0 else start
        e = min(e, max(end, s + limit))
        if e < len(text) and not text[e].isspace():
            space = text.rfind(" ", end, e)
            e = space if space >= 0 else e
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


# "symptoms from brain metastases", "symptoms due to CNS metastases": about symptoms ("signs
# of CNS metastases" excludes the metastases, as read in the labels)
_CNS_SYMPTOMS_RE = re.compile(
    r"\b(?:symptoms?|headaches?|seizures?|deficits?)\s+(?:\w+\s+){0,2}?(?:from|due\s+to|attributable\s+to|caused\s+by"
    r"|related\s+to|associated\s+with)\s+(?:the\s+|their\s+|his\s+"
    r"|her\s+|possible\s+|potential\s+)?$",
    re.IGNORECASE,
)
# A qualifier right before the metastases that no rule reads ("uncotrolled", "severe",
# "bulky"): the plain exclusion would over-read it. Words that leave the meaning whole pass.
_CNS_PLAIN_BEFORE = {
    *("known", "documented", "suspected", "confirmed", "diagnosed", "proven", "existing"),
    *("present", "current", "concurrent", "concomitant", "prior", "previous", "untreated"),
    *("radiological", "radiologic", "radiographic", "clinical", "metastatic", "secondary"),
    *("detected", "established", "identified", "evident", "proved", "verified", "parenchymal"),
}
_CNS_QUALIFIER_RE = re.compile(
    r"\b(?P<w>[a-z]+(?:ed|ive|ic|ous|able|ible|ful|ant|ent|al)|severe|large|bulky|major"
    r"|significant|extensive|massive|serious|gross|small|few|limited|isolated|solitary|single)"
    r"[\s,]*$",
    re.IGNORECASE,
)


def _cns(text: str, exclusion: bool) -> tuple[str, int, int, str | None] | None:
    """(category, quote span, note): an exclusion of only active/untreated/symptomatic brain
    metastases, or one with an exception, admits treated stable ones; a plain one excludes.
    "Uncontrolled" only implies that, so the fact says so."""
    m = _CNS_RE.search(text)
    if not m or re.search(r"\bnon-?\s*$", text[: m.start()], re.IGNORECASE):
        return None  # "measurable, non-CNS lesion"
    if _CNS_UNCLEAR_RE.search(text) or _CNS_UNSURE_RE.search(text):
        return None  # leukaemia in the CNS, "multiple brain metastases": not the fact's scale
    if _CNS_NOT_ABOUT_RE.search(
        text[max(0, m.start() - 40) : m.start()]
    ) or _CNS_THEN_TREATED_RE.match(text, m.end()):
        return None  # "(e.g. brain or bone metastasis) radiotherapy", "medications for brain ..."
    if text.rstrip().endswith(":") and not _CNS_EXCEPTION_RE.search(text):
        return None  # "Brain metastases that are:": a heading, its items say which
    if re.search(r"\bnote\b[^.;)]*$", text[: m.start()], re.IGNORECASE):
        return None  # "(NOTE: CNS metastases are allowable in ...)": in a note
    if not _cns_plain_lead(text, m.start()):
        return None  # not one of the plain shapes: a wrong fact is worse than a missing one
    if _CNS_SYMPTOMS_RE.search(text, max(0, m.start() - 80), m.start()):
        return None  # "therapy to control symptoms from brain metastases": about symptoms
    s, e = _sentence(text, m.start(), m.end())
    before = text[max(0, m.start() - 60) : m.start()]
    # "Patients with active secondary malignancy or who have CNS involvement", "hematopoietic
    # malignancies,uncontrolled infection, CNS metastasis": the words of another item of the
    # list are no qualifier of the metastases
    before = re.split(r"\bor\s+(?:who|whom|those|with)\b|;", before)[-1]
    if re.search(r",\s*$", before):
        before = ""  # "X, CNS metastasis", not "Progressive, symptomatic, or hemorrhagic brain"
    about_treatment = (
        r"\b(?:treat(?:ment)?\s+(?:(?:of|for)\s+)?"
        r"|(?:used|given|administered|indicated)\s+(?:for|to\s+treat)\s+"
        # "Prior radiotherapy to brain metastases within 2 weeks"
        r"|(?:radio(?:therapy|surgery)|radiation(?:\s+therapy)?|irradiation|surgery|resection"
        r"|\bSRS|\bWBRT)\s+(?:to|of|for)\s+)(?:the\s+)?(?:known\s+)?$"
    )
    if re.search(about_treatment, before, re.IGNORECASE) or _CNS_TREATMENT_RE.search(
        text[max(0, m.start() - 80) : m.start()]
    ):
        return None  # "radiosensitizers used to treat brain metastases": about a treatment
    if re.search(r"\bunless\b[^.;]{0,60}?\brul(?:e|ed)\s+out", text, re.IGNORECASE):
        return None  # "... unless brain metastases are ruled out by CT": a screening rule
    negated = bool(_CNS_NEGATED_RE.search(text[max(0, m.start() - 40) : m.end()]))
    after = text[m.end() : e]
    if exclusion:
        if negated:
            return None  # "No progress in CNS lesions": a condition of an exception above it
        # "brain metastases that are symptomatic", not "brain metastases or who have
        # signs/symptoms attributable to them" (a further exclusion, joined by "or")
        further = (
            r"\bor\s+(?:who|whom|those|patients|participants|subjects|ha(?:ve|s)|with\s+signs)\b"
            # "brain metastasis or active leptomeningeal disease": the word qualifies the other
            r"|\bor\s+(?:\w+\s+){0,2}?(?:leptomening|meningeal|spinal|carcinomatous)"
            r"|,\s*or\s"  # "..., or symptomatic lymphangitic spread": another item of a list
            # "... should be excluded because they often develop progressive neurologic
            # dysfunction": the reason for the exclusion, not a qualifier of the metastases
            r"|\bbecause\b|\bsince\b|\bgiven\s+(?:their|the)\b|\bdue\s+to\s+(?:their|the\s+poor|poor)\b"
        )
        own = re.match(rf"(?:(?!{further}).)*", after, re.S)
        qualifier = after[: own.end()] if own else after
        # "symptomatic" anywhere in the qualifier; the noun only in its first clause ("...,
        # in the opinion of the Investigator, taking into account ... symptoms" is evidence)
        symptoms = re.search(r"\bsymptomatic\b|\bactive\b", qualifier, re.I) or re.search(
            r"\bsymptom", qualifier.split(",")[0], re.I
        )
        # "Brain metastases that have not been treated", "... which are unstable", "... with
        # progression": only active ones are excluded (checked like the words before them)
        active_words = [
            a
            for a in _CNS_ACTIVE_RE.finditer(qualifier)
            if not a.group(0).lower().startswith("uncontroll")
        ]
        after_active = (active_words[0] if active_words else None) or re.search(
            r"\bnot\s+(?:\w+\s+){0,2}?(?:treated|irradiated|resected|operated|controlled)"
            r"|\bprogressi\w*|\bunstable\b",
            qualifier,
            re.I,
        )
        if after_active and not after_active.group(0).lower().startswith("uncontroll"):
            symptoms = symptoms or after_active
        first = min((a.start() for a in (symptoms, after_active) if a), default=None)
        # "CNS metastases or symptomatic CNS involvement": which does the word qualify?
        or_first = first is not None and re.search(r"\bor\b", qualifier[:first], re.I)
        if or_first and not _CNS_ACTIVE_RE.search(before):
            return None
        # "Brain metastases requiring corticosteroids": only implies treated stable ones pass
        requiring = re.search(r"\brequir(?:ing|es?)\b", qualifier, re.I)  # not "not required"
        active = _CNS_ACTIVE_RE.search(before)
        last_active = ([None, *_CNS_ACTIVE_RE.finditer(before)])[-1]
        if last_active and _CNS_OTHER_NOUN_RE.match(before, last_active.end()):
            return None  # "Active seizure disorder or evidence of brain metastases": whose?
        # "Clinically evident brain metastases": silent ones are not excluded, whatever follows;
        # "clinically active" leaves open which ones the investigator counts
        clinical = re.search(
            r"\bclinical(?:ly)?\s+(?:evident|apparent|active|signs?|evidence|symptoms?)\b",
            text[max(0, m.start() - 40) : m.start()],
            re.I,
        )
        # "Known history or symptomatic brain metastases": any history is excluded
        history = re.search(r"\bhistory\s+or\s+(?:symptomatic|active|untreated)\b", before, re.I)
        # an exception after the metastases ("..., unless treated"; "If previous brain
        # metastases were treated, ..."), not one of an earlier item ("Prior therapy is
        # allowed unless ...; brain metastases")
        exception = _CNS_EXCEPTION_RE.search(text, m.start()) is not None
        if history and not exception:
            return "excluded", s, e, None
        if requiring and not (active or symptoms or exception):
            return "allowed_if_treated_stable", s, e, NOTE_IMPLIED
        if active or exception or symptoms:
            implied = active is not None and active.group(0).lower().startswith("uncontroll")
            only_implied = implied and not symptoms and not exception
            note = NOTE_IMPLIED if only_implied or clinical else None
            # "Brain metastases, except in the expansion cohort": an exception for a part
            if _PART_RE.search(text) and not symptoms and not active:
                note = NOTE_CONDITIONAL
            return "allowed_if_treated_stable", s, e, note
        if re.search(r"leptomening|\bLM\b", text[: m.start()], re.IGNORECASE):
            return None
        qualifier_before = _CNS_QUALIFIER_RE.search(text, max(0, m.start() - 30), m.start())
        if qualifier_before and qualifier_before.group("w").lower() not in _CNS_PLAIN_BEFORE:
            return None  # "uncotrolled brain metastases", "severe brain metastases"
        return "excluded", s, e, NOTE_IMPLIED if clinical else None
    # a permission from the metastases' own sentence on ("Prior radiotherapy is allowed. No
    # brain metastases": the permission is the radiotherapy's)
    permit = _CNS_ALLOWED_RE.search(text, _clause_start(text, m.start()))
    if permit and re.search(r"\b(?:not|never)\s+(?:be\s+)?$", text[: permit.start()], re.I):
        return "excluded", s, e, None  # "Patients with brain metastases are not eligible"
    allowed = permit is not None
    # A condition of the metastases follows them when they are negated ("No brain metastases
    # unless treated and stable"); "Stable neurological status without ... CNS metastases"
    # is about something else.
    condition = bool(_CONDITION_RE.search(text if allowed else text[m.start() :]))
    if (negated or allowed) and condition:
        return "allowed_if_treated_stable", s, e, None
    if negated:
        # "No untreated brain metastases", "without progressive CNS metastases": only active
        # ones are ruled out; "No brain metastases requiring steroids" only implies it
        neg = _CNS_NEGATED_RE.search(text, max(0, m.start() - 40), m.end())
        between = text[neg.start() if neg else m.start() : m.start()]
        own_words = re.split(r"[,;(]|\band\b|\bor\b", after, maxsplit=1)[0][:40]
        if _CNS_ACTIVE_RE.search(between) or _CNS_ACTIVE_RE.search(own_words):
            return "allowed_if_treated_stable", s, e, None
        if re.match(r"\W*(?:that\s+(?:are|is)\s+|which\s+(?:are|is)\s+)?requir", after, re.I):
            return None
        # "without clinical evidence of CNS metastases": silent ones are not ruled out
        clinical = re.search(r"\bclinical", text[max(0, m.start() - 40) : m.start()], re.I)
        return "excluded", s, e, NOTE_IMPLIED if clinical else None
    if allowed and _PERMIT_HEDGE_RE.search(text, _clause_start(text, m.start())):
        return None  # "may be eligible after discussion with the sponsor": case by case
    if (
        not allowed
        and _CNS_MUST_BE_STABLE_RE.match(text, m.end())
        and re.fullmatch(
            r"\W*(?:(?:patients|subjects|participants)\s+with\s+)?(?:known\s+|any\s+|prior\s+)?",
            text[: m.start()],
            re.IGNORECASE,
        )
    ):
        return "allowed_if_treated_stable", s, e, None  # "Brain metastases must be treated ..."
    return ("allowed", s, e, None) if allowed else None


# Inclusion "Brain metastases must be treated and stable for 3 months", "Patients with CNS
# metastases must have been treated": a plain condition for those who have them
_CNS_MUST_BE_STABLE_RE = re.compile(
    r"\s*(?:,\s*if\s+present,?\s*)?(?:must|should|need\s+to|are\s+required\s+to)\s+(?:have\s+been|be)\s+"
    r"(?:adequately\s+|previously\s+|clinically\s+|radiologically\s+)?(?:treated|stable"
    r"|irradiated|resected)\b",
    re.IGNORECASE,
)
# Anywhere in the criterion: a note, or wording whose scope the labels leave open ("in the
# absence of symptoms ...", "CNS involvement by malignancy": the disease, not metastases)
_CNS_UNSURE_RE = re.compile(
    r"^\W*note\b|\bin\s+the\s+absence\s+of\b|\binvolvement\s+(?:(?:of|in)\s+(?:the\s+)?"
    r"(?:brain|CNS|central\s+nervous\s+system(?:\s+\(CNS\))?)\s+)?(?:\w+\s+)?(?:by|with)\s+"
    r"(?:\w+\s+)?(?:malignan\w*|tumou?r\s+cells|blasts)"
    # a pointer to other criteria ("metastases that do not meet the above criteria are
    # allowed"); a screening rule whose "unless" is no exception for the metastases ("brain
    # MRI scans are not required to rule out CNS involvement, unless there is suspicion")
    r"|\b(?:the\s+)?(?:above|preceding|previous)\s+(?:criteri\w*|conditions?|requirements?)"
    r"|\bas\s+above\b"
    r"|\b(?:scans?|MRI|CT|imaging)\b[^.;]{0,40}?\bnot\s+(?:be\s+)?required\b[^.;]{0,80}?\bunless\b",
    re.IGNORECASE,
)
# Right before the metastases: an example of something else ("limited-field [e.g. brain or
# bone metastasis] radiotherapy") or the reason for a treatment or medication ("anti-epileptic
# medications for brain metastases", "steroids for known CNS metastases")
_CNS_NOT_ABOUT_RE = re.compile(
    r"(?:\be\.\s*g\.?|\bsuch\s+as|\bfor\s+example)\s*,?\s*$"
    r"|\b(?:medications?|medicines?|drugs?|agents?|anti-?convulsants?|anti-?epileptics?"
    r"|treatments?|therap(?:y|ies)|steroids?|corticosteroids?|surgery|radiation|radiotherapy)"
    r"\s+(?:given\s+|used\s+|taken\s+)?for\s+(?:(?:the|their|known|his|her)\s+)?$",
    re.IGNORECASE,
)
# After the last active word before the metastases, another noun then "or": the word may
# qualify only that noun ("Active seizure disorder or evidence of brain metastases"); a site
# word shares the noun ("untreated leptomeningeal or brain metastases")
_CNS_OTHER_NOUN_RE = re.compile(
    r"\s+(?:(?!(?:or|and|brain|CNS|leptomeningeal|meningeal|spinal|intracranial|cerebral)\b)"
    r"[\w-]+\s+){1,3}(?:or|and|and/or)\s+(?:[\w-]+\s+){0,3}$",
    re.IGNORECASE,
)
# Right after them, a treatment they name the target of: "brain metastases radiotherapy"
_CNS_THEN_TREATED_RE = re.compile(
    r"[\])\s]*(?:radio\w*|radiation|irradiation|surgery|resection|SRS|WBRT)\b", re.IGNORECASE
)
# The plain shapes of the words before the metastases, from the clause's start: who ("Patients
# with", "Subjects who have", "Has", "Presence of", "No"), then words of the lists the rules
# read (knowledge, time, state, site: "Known or suspected", "History or clinical evidence of",
# "symptomatic or untreated", "brain or other"). Anything else ("Stable neurological status
# without", "Detectable disease in a patient is defined as ...") is not read.
_CNS_LEAD_RE = re.compile(
    r"(?:\d{1,2}\s+)?(?:(?:the\s+)?(?:patients?|subjects?|participants?|individuals"
    r"|potential\s+participants)\s+(?:(?:are\s+excluded\s+if\s+they|who|that)\s+)?"
    r"(?:with|have\s+had|has\s+had|have|has|had|who\s+have"
    r"|present\s+with|must\s+not\s+have)\s+(?:the\s+)?|(?:must\s+not\s+)?(?:have|has|had)\s+"
    r"|(?:the\s+)?(?:presence|absence)\s+of\s+|there\s+(?:is|are)\s+|no\s+|without\s+"
    r"|(?:with\s+)?(?:the\s+)?exclusion\s+of\s+|including\s+(?:those\s+with\s+)?"
    r"|(?:cancer|tumou?r|disease)\s+that\s+(?:has|have)\s+|(?:who|that)\s+(?:have|has)\s+(?:had\s+)?"
    r"|(?:patients?|subjects?|participants?)\s+having\s+)?"
    r"(?:(?:known|documented|suspected|confirmed|history|of|evidence|clinical|clinically"
    r"|radiological|radiographic|radiologic|or|and|and/or|current|presence|present|past|prior"
    r"|previous|previously|any|a|signs?|symptoms|new|existing|concomitant|concurrent"
    r"|active|actively|untreated|symptomatic|unstable|uncontroll\w*|progressive|progressing"
    r"|stable|treated|controlled|asymptomatic|(?:corticosteroid|steroid)-requiring|ha?emorrhagic|bleeding"
    r"|evident|brain|CNS|cerebral|leptomeningeal|meningeal|subdural|other)[\s,]+)*",
    re.IGNORECASE,
)
# Where another item of a list ends and the metastases' own words begin
_CNS_ITEM_SEP_RE = re.compile(
    r"(?P<list>,|\(|\)|\bincluding\b|\bor\s+(?=who\b|with\b|those\b))\s*|(?:\bor\b|\band/or\b|/)\s*",
    re.IGNORECASE,
)


def _cns_plain_lead(text: str, start: int) -> bool:
    """Whether the words before the metastases are a plain shape: wholly, or after another
    item of a list ("Spinal cord compression or"; not "Symptomatic spinal cord compression
    or": the word may cover both; a comma-separated item keeps its words)."""
    left = max(text.rfind(c, 0, start) for c in (";", ". ", ":")) + 1
    lead = " ".join(text[left:start].split())
    lead += " " if lead else ""
    if _CNS_LEAD_RE.fullmatch(lead):
        return True
    for sep in reversed(list(_CNS_ITEM_SEP_RE.finditer(lead))):
        head, tail = lead[: sep.start()], lead[sep.end() :]
        # after a comma or bracket, or "or who", the item before is its own; after a bare
        # "or" its words may qualify both
        shared = sep.group("list") is None and _CNS_ACTIVE_RE.search(head)
        if _CNS_LEAD_RE.fullmatch(tail) and not shared:
            return True
    return False


# A permission left to someone's judgement: not "allowed" as a rule
_PERMIT_HEDGE_RE = re.compile(
    r"\b(?:may|might|could)\s+(?:\w+\s+)?be\b|discretion|discuss\w*|case[\s-]+by[\s-]+case"
    r"|approv\w*|consult\w*|judg(?:e)?ment|individual\s+basis",
    re.IGNORECASE,
)


# Right before the word: a plan, or what happens on becoming pregnant later, not a pregnancy
# now ("Pregnant, or plan to become pregnant" still counts for its first word)
_PREG_LATER_RE = re.compile(
    r"\b(?:(?:plan\w*|intend\w*|intention|wish\w*|desir\w*)\s+(?:\w+\s+)?(?:to\s+)?"
    r"|(?:who|if|should)\s+(?:\w+\s+)?)(?:becom\w*|get(?:ting)?)\s+$",
    re.IGNORECASE,
)


def _pregnancy(text: str, exclusion: bool) -> tuple[int, int] | None:
    """Quote span: an exclusion naming pregnancy, or an inclusion asking for a negative
    test or for not being pregnant (contraception alone says nothing about it)."""
    if exclusion:
        men_only = re.match(r"\s*(?:men|males?)\b", text, re.IGNORECASE)
        if men_only and not re.search(r"\b(?:wom[ae]n|females?)\b", text, re.IGNORECASE):
            return None  # "Men who plan to become pregnant": about partners, not participants
        for m in _PREG_WORD_RE.finditer(text):
            if _PREG_LATER_RE.search(text, max(0, m.start() - 40), m.start()):
                continue  # "plan to become pregnant", "who become pregnant during the study"
            near = text[max(0, m.start() - 30) : m.end() + 30]
            # "Subjects whose partners are pregnant": about someone else
            partner = re.search(r"\bpartners?\b", text[max(0, m.start() - 60) : m.end() + 20], re.I)
            if not _PREG_NOT_RE.search(near) and not partner:
                return _sentence(text, m.start(), m.end())
        return None
    if re.search(r"\bdonors?\b", text, re.IGNORECASE):
        return None  # "Female donors must have a negative hCG test": not the participants
    for found in _PREG_INCLUSION_RE.finditer(text):
        # "With a female partner of childbearing potential who is not pregnant, men ..."
        if not re.search(r"\bpartner", text[max(0, found.start() - 60) : found.start()], re.I):
            return _sentence(text, found.start(), found.end())
    # "Women of childbearing potential must have a negative serum test result"
    test = re.search(r"\bnegative\s+(?:\w+\s+){0,2}?test\b", text, re.IGNORECASE)
    if test and re.search(r"childbearing|pregnan", text, re.IGNORECASE):
        return _sentence(text, test.start(), test.end())
    return None


_MEASURABLE_EXCLUDED_RE = re.compile(
    r"\b(?:without|no|lack\s+of|absence\s+of)\s+(?:any\s+|a\s+)?measurable\s+"
    r"(?:disease|lesions?|tumou?rs?)\b",
    re.IGNORECASE,
)
_MEASURABLE_IF_RE = re.compile(
    r"\b(?:provided|if|unless|allowed|phase|cohort|part|arms?|expansion|escalation"
    # "Patients may have measurable disease", "Progression of measurable disease": permitted,
    # or one way to show progression, not a requirement
    r"|may\s+(?:also\s+)?(?:have|enter|be)|progression"
    r"|(?:for|in|among)\s+(?:subjects|patients|participants|those)\s+with)\b",
    re.IGNORECASE,
)


# In the sentence naming measurable disease, a procedure, not who may enter: "Tumour response
# will be assessed in patients with measurable disease"
_MEASURABLE_PROCEDURE_RE = re.compile(
    r"\b(?:will|shall|is\s+to|are\s+to)\s+be\s+(?:\w+\s+)?(?:assess|evaluat|measur|follow|monitor"
    r"|used|confirm|document|record|image|scann)",
    re.IGNORECASE,
)
# "measurable disease at initial presentation prior to chemotherapy": once, not now
_MEASURABLE_TIME_RE = re.compile(
    r"\W*(?:\w+\W+){0,3}?(?:at\s+(?:the\s+time\s+of\s+)?(?:initial\s+)?(?:presentation|diagnosis)"
    # (not "before surgery": in a neoadjuvant trial that is now)
    r"|(?:prior\s+to|before)\s+(?:any\s+|the\s+)?(?:chemotherapy|neoadjuvant|induction))",
    re.IGNORECASE,
)


def _measurable(text: str, exclusion: bool, lead: str = "") -> tuple[int, int] | None:
    """Quote span of an inclusion requiring measurable disease, not "measurable or not",
    or of an exclusion of patients without it."""
    if exclusion:
        m = _MEASURABLE_EXCLUDED_RE.search(text)
        return _sentence(text, m.start(), m.end()) if m else None
    m = _MEASURABLE_RE.search(text)
    if not m or _MEASURABLE_NOT_RE.search(text):
        return None
    # ``lead``: the sentence a line split by the parser continues ("Patients may enter with a"
    # / "solitary measurable lesion ...")
    if _MEASURABLE_IF_RE.search(lead) or _MEASURABLE_IF_RE.search(text, 0, m.start()):
        return None  # a condition of something else, or only for part of the trial
    if re.match(r"\s*(?:\([^()]*\)\s*)?may\b", text[m.end() :], re.I):
        return None  # "Measurable lesions (...) may be in the field of prior radiation"
    s, e = _sentence(text, m.start(), m.end())
    if _MEASURABLE_DEFINITION_RE.search(text, s, e) or _MEASURABLE_PROCEDURE_RE.search(text, s, e):
        return None
    if _MEASURABLE_TIME_RE.match(text, m.end(), e):
        return None  # "measurable disease at initial presentation": once, not now
    if m.group(0).lower().startswith("accurately") and not re.search(
        r"\bdimension|\bdiameter|RECIST", text[m.end() : m.end() + 60], re.I
    ):
        return None  # "accurately measured and recorded by photography": a method
    if _PART_RE.search(text, m.end()) or re.search(r"\bor,?\s+for\b", text[m.end() : e], re.I):
        return None  # "(for Part B only)" (on the next line too), "or, for prostate cancer, PSA"
    # the words before it from the clause's start, across wrapped lines (a line break is no
    # sentence end here: "advanced, recurrent and / progressive cancer with measurable ...")
    left = max(text.rfind(c, 0, m.start()) for c in (";", ". ", ":")) + 1
    lead_words = " ".join(text[left : m.start()].split())
    lead_words += " " if lead_words else ""
    if not _MEASURABLE_LEAD_RE.fullmatch(lead_words) or _MEASURABLE_UNSURE_RE.search(text):
        return None  # not one of the plain shapes: a wrong fact is worse than a missing one
    # (an "or" in a bracket opened after it qualifies it: "(lesions irradiated or ablated ...)")
    alternative = next(
        (
            o
            for o in _MEASURABLE_OR_AFTER_RE.finditer(text, m.end())
            if o.start() < e
            and text.count("(", m.end(), o.start()) <= text.count(")", m.end(), o.start())
        ),
        None,
    )
    if alternative or _MEASURABLE_OTHERWISE_RE.search(text):
        return None  # another way in, after it in its sentence or anywhere in the criterion
    if _MEASURABLE_CONDITION_AFTER_RE.match(lead_words) and _MEASURABLE_THEN_RE.search(
        text, m.end(), e
    ):
        return None  # "Patients who have measurable disease must have had X-rays ..."
    return s, e


# The plain shapes of a requirement, the words from the sentence's start to "measurable": who
# must have it ("Patients must have", "Have", "Presence of"), how many ("At least one", ">=1"),
# and a few words of how it is measured ("unidimensionally", "target"). Anything else before
# it ("progressive cancer with", "in the absence of", "At least 56 of the ... patients") is
# not read: it may be a condition, a quota or a disease whose other features decide.
_MEASURABLE_LEAD_RE = re.compile(
    # ("All patients must have", "Subjects enrolled must have", "Have evidence of")
    r"(?:the\s+|all\s+)?(?:(?:patients?|subjects?|participants?)\s+(?:enrolled\s+)?"
    r"(?:must\s+|should\s+|shall\s+)?"
    r"(?:also\s+)?(?:have|has|present\s+with|presents,?)\s+|(?:patients?|subjects?|participants?)"
    r"\s+(?:with|who\s+(?:have|has))\s+|(?:must\s+)?(?:have|has)\s+|(?:the\s+)?presence\s+of\s+"
    r"|(?:(?:must\s+)?(?:have|has)\s+)?evidence\s+of\s+|confirmed\s+to\s+have\s+"
    r"|meeting\s+the\s+criteria\s+for\s+"
    r"|there\s+(?:is|must\s+be)\s+"
    # "(At least one) lesion that can be accurately measured in at least one dimension"
    r"|(?:at\s+least\s+(?:one|1)\s+)?(?:lesions?|tumou?rs?)\s+(?:that|which)\s+(?:can|could)\s+be\s+"
    # "Metastatic melanoma with", "Histologically confirmed pancreatic carcinoma, with": a
    # short diagnosis, then the requirement
    r"|(?:[\w-]+,?\s+){0,4}?(?:cancer|carcinoma|melanoma|sarcoma|lymphoma|myeloma|tumou?rs?)"
    r",?\s+(?:and|with)\s+)?"
    r"(?:(?:at\s+least|a\s+minimum\s+of)\s+(?:one|1|a\s+single)\s*,?\s+|one\s+or\s+more\s+"
    r"|>=?\s*1\s+|≥\s*1\s+)?(?:(?:\(1\)|\(RECIST-defined\)|site\s+of|tumou?r|target|non-radiated,?"
    r"|radiologically|radiographically|radiologic(?:al)?|radiographic"
    r"|metastatic|uni-?dimensional(?:ly)?-?|bi-?dimensional(?:ly)?|clinically\s+confirmed)\s*,?\s*)*",
    re.IGNORECASE,
)
# Anywhere in the criterion: alternatives to measurable disease ("or at least one lytic bone
# lesion", "either:"), a quota ("at least 56 of the 76 patients"), a negation ("does not
# have"), a note, or a requirement left open at the criterion's end ("... RECIST 1.1 or").
_MEASURABLE_UNSURE_RE = re.compile(
    r"\bor\s+(?!more\b)(?:an?\s+|at\s+least\s+\w+\s+|one\s+|\d+\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:lesions?|disease|bone|lytic|involvement|elevat\w*|rising|markers?|protein|levels?)\b"
    r"|\beither\b|\b\d+\s+of\s+(?:the\s+)?(?:approximately\s+|about\s+|first\s+)?\d+\b"
    r"|\b\d+\s*%\s+of\b|\b(?:does|do|did)\s+not\s+have\b|\babsence\s+of\b|\bnote\b"
    r"|\b(?:or|and|as|of|with|by)\s*$|\bstrat(?:um|a|ified)\b|\bsub-?study\b",
    re.IGNORECASE,
)
# After the measurable disease, any "or" opens another way in ("Measurable metastatic disease or
# locally advanced disease", "per RECIST or any other prerequisite"), unless what follows is
# a way of measuring it or a version of the criteria ("by CT or MRI", "RECIST 1.1 or iRECIST").
_MEASURABLE_OR_AFTER_RE = re.compile(
    r"(?<!and/)(?<!and\s/\s)\bor\b(?!\s*(?:more|greater|larger|longer|equal|the\s+other|=|[<>≥≤]"
    # another size or method of the same measurement ("... or as >= 1 cm with spiral CT")
    r"|(?:as\s+)?(?:[<>≥≤]|greater|\d)"
    r"|(?:by\s+|on\s+|with\s+|a\s+|an\s+|the\s+|spiral\s+|contrast[- ]enhanced\s+)*(?:CT|MRI"
    r"|magnetic|computed|tomograph\w*|positron|PET|x-?rays?|scans?|imaging|radiograph\w*"
    r"|ultrasound|physical|clinical\s+exam|calipers?|photograph\w*|i?RECIST|mRECIST|irRC"
    r"|i?RANO|PCWG\w*|IMWG|Lugano|Cheson|IWG|GCIG|EASL|mSWAT|version|v\d|modified|immune"
    r"|cytolog\w*|histolog\w*)\b"
    # another site of the same disease ("in the breast or lymph nodes", "or at a distant site")
    r"|(?:at\s+|in\s+)?(?:a\s+|the\s+)?(?:lymph|nodal|nodes?|distant|visceral|organ)\b))",
    re.IGNORECASE,
)
# Another item that may let people in without it: "Patients with bone-only disease are
# eligible if ...", "also eligible".
_MEASURABLE_OTHERWISE_RE = re.compile(
    r"\b(?:patients?|subjects?|participants?|those|disease|lesions?)\b[^.;]{0,60}?\b(?:are|is)"
    r"\s+(?:also\s+)?(?:eligible|allowed|permitted|acceptable|accepted)\b"
    r"|\b(?:also|still)\s+(?:be\s+)?eligible\b"
    # "..., except for subjects with prostate cancer who may be enrolled without a measureable
    # lesion": an exception, however "measurable" is spelled
    r"|\bexcept\b|\bmay\s+(?:also\s+)?(?:be\s+)?(?:enrolled|enrol+|included|eligible)\b"
    r"|\bwithout\s+(?:a\s+|any\s+)?measur",
    re.IGNORECASE,
)
# "Patients who have measurable disease must ...": the measurable disease is the condition
_MEASURABLE_CONDITION_AFTER_RE = re.compile(
    r"\s*(?:all\s+)?(?:patients?|subjects?|participants?|those)\s+(?:who|with|that)\b", re.I
)
_MEASURABLE_THEN_RE = re.compile(
    r"\b(?:must|should|shall|will|need|are\s+(?:eligible|required)|can|may)\b", re.I
)


# -- the whole trial -----------------------------------------------------------------------


_TABLE_ROW_RE = re.compile(r"(?:\(\s*(?:[<>≤≥]=?|=)[^()]{1,40}\)\s*){3,}")


def _criterion_facts(crit: Criterion, exclusion: bool, lead: str = "") -> list[_Found]:
    """The facts in one criterion's own text, one per kind and value."""
    # "Hemoglobin1(>=9 g/dL)": a footnote mark glued to the test is blanked (same length, so
    # positions and quotes stay those of the criterion's text).
    text = _SCALE_SPAN_RE.sub(_blank, _FOOTNOTE_RE.sub(" ", crit.text))
    # Every numeric fact needs a number or a "ULN" next to its anchor: most criteria have
    # neither, and the anchor search is the costly part.
    anchors = _anchors(text) if _MAYBE_NUMERIC_RE.search(text) else []
    found = _numeric_facts(text, anchors, exclusion)
    _mark_alternatives(text, anchors, found, exclusion)
    _mark_joint(text, found, exclusion)
    found = _cause_exception(text, found)
    _group_or_cut(text, found)
    _exempt_or_for(text, found)
    # "OR - Calculated creatinine clearance >= 40 mL/min": an alternative to the one before
    alternative = re.match(r"\W*or\b", text, re.IGNORECASE)
    # "AST >= 3 x ULN ... unless liver involvement, in which case up to 5 x ULN" under
    # inclusion: the main threshold was not read, so its companion is not plain either
    main_unread = not any(f.kind == "ast_alt_max_uln" for f in found)
    # "Platelets (>= 2.0 x 10^9/L) (>= 9 g/dL) (>= 100 x 10^9/L)": a table flattened into a
    # row of bracketed values, whose names and values need not line up: no value is read
    if _TABLE_ROW_RE.search(text):
        found = []
    for f in found:
        if alternative:
            f.note = f.note or NOTE_ALTERNATIVE
        companion = f.kind == "ast_alt_max_uln_liver_mets" and main_unread
        if companion and any(a.kind == "ast_alt" and a.start < f.start for a in anchors):
            f.note = f.note or NOTE_IMPLIED
    # "ALT < 2.5 x ULN (< 5 x ULN if hepatic impairment)": a second value of the same kind for
    # some patients only is left out, so the main one stays plain and its kind is not guessed.
    plain = {f.kind for f in found if f.note is None}
    several = {f.kind for f in found if f.note == NOTE_SEVERAL}
    found = [f for f in found if not (f.note == NOTE_SOME_PATIENTS and f.kind in plain)]
    out: list[_Found] = []
    for f in found:
        # "Hemoglobin >= 8 g/dL (5.0 mmol/L)": a conversion rounded otherwise is the same limit
        same = [g for g in found if g.kind == f.kind and _close(f.kind, g.value, f.value)]
        if same[0] is not f:
            continue
        notes = [g.note for g in same]
        if None in notes:  # stated once for all patients: a second, conditional one is moot
            notes = [n for n in notes if n != NOTE_SOME_PATIENTS]
        note = next((n for n in notes if n), None)
        if f.kind in several or any(
            g.kind == f.kind and not _close(f.kind, g.value, f.value) for g in found
        ):
            # "> 80 in stage 1 and > 60 in stage 2", "750/mm3 (1.0 x 10^9/L)", "< 50 (with
            # regimen A) or < 70 (with regimen B)": which one is the screening limit is
            # the reader's call; any single value shown would be wrong for someone
            continue
        value = f.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out.append(_Found(f.kind, value, f.comparator, f.start, f.end, f.anchor_kind, note))
    cns = _cns(text, exclusion)
    if cns:
        out.append(_Found("cns_metastases", cns[0], None, cns[1], cns[2], "cns", cns[3]))
    preg = _pregnancy(text, exclusion)
    if preg:
        out.append(_Found("pregnancy_excluded", True, None, *preg, "pregnancy"))
    meas = _measurable(text, exclusion, lead)
    if meas:
        out.append(_Found("measurable_disease_required", True, None, *meas, "measurable"))
    return out


# "Zubrod performance status (measure of well being that ranges from 0 to 5 where 0
# represents perfect health) of < 2", "KPS (on a scale of 0-100) >= 70": the scale's span
# and its legend, not a limit (the whole bracket when it is in one).
_SCALE_SPAN = (
    # the whole scale only, 0 to 4, 5 or 100 ("a score from 70 to 100" is a limit)
    r"(?:\b(?:ranges?|ranging|runs?|running|goes|going)\s+from|\bscale\s+(?:of|from)|\bscored?"
    r"\s+from)\s+0\s*(?:-|–|to)\s*(?:4|5|100)\b(?:\s*,?\s*(?:where|with)\s+\d+\s+(?:represents|"
    r"is|means|being|=)[^,;.()]*)?"
    r"|\b0\s*(?:-|–|to)\s*(?:4|5|100)\s*(?:-?\s*points?\s+)?scale\b"
)
_SCALE_SPAN_RE = re.compile(rf"\([^()]*?(?:{_SCALE_SPAN})[^()]*\)|{_SCALE_SPAN}", re.IGNORECASE)


def _blank(match: re.Match[str]) -> str:
    """Spaces as long as the match: positions, and so quotes, stay those of the text."""
    return " " * len(match.group(0))


def _close(kind: str, a: object, b: object) -> bool:
    """Equal, or numbers within 3% of each other (one limit in two units, each rounded);
    for life expectancy within 10% ("12 weeks (3 months)": a month is not 4 weeks)."""
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        share = 0.1 if kind == "life_expectancy_min_weeks" else 0.03
        return abs(a - b) <= share * max(abs(a), abs(b))
    return a == b


_FOOTNOTE_RE = re.compile(r"(?<=[a-z]{4})\d(?=\s*\(?\s*(?:≥|≤|<|>|=))")
# "... unless proven to be related to disease infiltration", "(unless due to hemolysis or CLL)",
# "unless PS of 3-4 based solely on bone pain": the limits hold only for other causes.
_UNLESS_CAUSE_RE = re.compile(
    r"\b(?:unless|except(?:\s+(?:when|if|where))?)\b[^,;.()]{0,40}?"
    r"\b(?:(?:due|related|attributable|secondary)\s+to|caused\s+by|based\s+(?:\w+\s+)?on)\b"
    # "unless if bone marrow infiltration from lymphoma", "unless there is another more likely
    # explanation": a disease or another cause named without "due to"
    r"|\b(?:unless|except(?:\s+for)?)\s+(?:if\s+|there\s+is\s+|in\s+(?:the\s+)?(?:case|presence)\s+of\s+)?"
    r"(?:[\w-]+\s+){0,4}?(?:infiltrat\w*|involvement|explanation|ha?emoly\w*|leuka?emi\w*"
    r"|lymphoma|myeloma|(?-i:AML|CLL|ALL)|malignan\w*|disease)\b"
    # "; lower values are accepted if due to marrow infiltration": the limit is relaxed for some
    # "unless Gilbert's syndrome or disease infiltration of the liver is present": Gilbert's
    # and another cause (which one the check below reads)
    r"|\bunless\b[^.;()]{0,40}?\bgilbert\W*s?\s*(?:syndrome|disease)?\s*,?\s*or\b"
    r"|\b(?:lower|higher)\s+(?:values?|counts?|levels?|limits?|thresholds?)\b[^.;]{0,40}?"
    r"\b(?:accept\w*|allow\w*|permit\w*|eligible|tolerated)",
    re.IGNORECASE,
)


_OTHER_CAUSE_RE = re.compile(
    r"\b(?:infiltrat\w*|ha?emoly\w*|leuka?emi\w*|lymphoma|myeloma|AML|CLL|malignan\w*|disease"
    r"|tumou?r|cancer|metasta\w*|another|other|medications?|drugs?|origin|hepatic|liver)\b",
    re.IGNORECASE,
)


# "Participants with normal hepatic function: Total bilirubin ...", "Patients with documented
# liver metastases: AST ... <= 5 x ULN": a group named before a colon, whose limits hold for it
_GROUP_PREFIX_RE = re.compile(
    r"\s*(?:patients?|participants?|subjects?|those|people|individuals)\s+(?:with|who|whose|on"
    r"|receiving|aged|older|younger|over|under|[<>≥≤])\b[^:;.]{0,80}:",
    re.IGNORECASE,
)
# The criterion ends where the parser cut it, on a word that opens a condition ("ECOG ... of
# <= 1 for"): the rest, which may limit the threshold to some patients, is lost
_CUT_CONDITION_RE = re.compile(
    r"\b(?:for|if|unless|except|when|where|whose|who|in\s+(?:patients|subjects|participants))\s*$",
    re.IGNORECASE,
)


_LIVER_GROUP_OPENER_RE = re.compile(
    r"(?:^|(?<=\.)\s)\W*(?:for|in)\s+(?:patients|participants|subjects|those|people|individuals)\s+(?:with"
    r"|who\s+have)\s+(?:known\s+|documented\s+|confirmed\s+)?(?:liver|hepatic)\s+"
    r"(?:metasta\w*|involvement|lesions?|mets)\b",
    re.IGNORECASE,
)


def _group_or_cut(text: str, found: list[_Found]) -> None:
    """Numeric limits for a named group, or cut before a condition, are noted; under a group
    with liver metastases, the AST/ALT limit is the liver-metastases one."""
    group = _GROUP_PREFIX_RE.match(text)
    if group and re.search(
        r"\b(?:adequate|sufficient|acceptable|defined|follows?|following|below)\b",
        group.group(0),
        re.I,
    ):
        group = None  # "Patients with adequate organ function as defined below:": everyone
    liver = group is not None and _LIVER_RE.search(group.group(0)) is not None
    # "For patients with liver metastasis, adequate hepatic function is AST <= 5 x ULN and
    # ALT <= 5 ULN": the whole criterion is the liver-metastases group's, colon or not
    # (or a sentence opening so: "AST <= 2.5 x ULN. For patients with liver metastases ...")
    opener = _LIVER_GROUP_OPENER_RE.search(text)
    if not liver and opener:
        group, liver = opener, True
    cut = _CUT_CONDITION_RE.search(text) is not None
    for f in found:
        if f.kind not in NUMERIC_KINDS or f.note:
            continue
        if liver and f.kind == "ast_alt_max_uln_liver_mets":
            continue  # the liver-metastases limit is for those patients by its kind
        if liver and f.kind == "ast_alt_max_uln" and group and f.start >= group.end():
            f.kind = "ast_alt_max_uln_liver_mets"
        elif (group and f.start >= group.end()) or cut:
            f.note = NOTE_SOME_PATIENTS


def _cause_exception(text: str, found: list[_Found]) -> list[_Found]:
    """Under an "unless due to ..." exception (not Gilbert's or liver metastases, which the
    labels read as the main value's companions) the limits before it apply to some patients
    only, and any value inside the exception ("unless PS of 3-4 ...") is no limit."""
    m = _UNLESS_CAUSE_RE.search(text)
    if m is None:
        return found
    if re.search(
        r"(?:liver|hepatic)\s+(?:metasta|involvement)", text[m.start() : m.end() + 40], re.I
    ):
        return found
    tail = text[m.start() : m.end() + 60]
    # "unless due to Gilbert's syndrome" alone keeps the main value plain; "unless due to
    # hepatic infiltration by AML, Gilbert's syndrome, or hemolysis" names other causes too
    if re.search(r"gilbert", tail, re.I) and not _OTHER_CAUSE_RE.search(
        re.sub(r"gilbert\W*s?\s*(?:syndrome|disease)?", " ", tail, flags=re.I)
    ):
        return found
    out = []
    for f in found:
        if f.kind not in NUMERIC_KINDS:
            out.append(f)
        elif f.end <= m.start():
            f.note = f.note or NOTE_SOME_PATIENTS
            out.append(f)
    return out


# After a limit, words that let some patients in without it: "(patients with marrow
# involvement are not required to meet this)", "(isolated bilirubin > 1.5 x ULN is acceptable
# if ...)", "... will still be eligible with PI approval", "exempt from this requirement".
_EXEMPT_RE = re.compile(
    r"\bnot\s+(?:be\s+)?(?:required|need(?:ed)?|obliged)\s+to\s+(?:meet|fulfil|satisfy)"
    r"|\b(?:do|does|need)\s+not\s+(?:need\s+to\s+)?(?:meet|fulfil|satisfy)\b"
    r"|\bexempt(?:ed)?\s+from\b"
    r"|\b(?:is|are|be|considered)\s+(?:still\s+)?(?:acceptable|allowed|permitted|eligible)\s+"
    r"(?:if|when|provided|in\s+(?:case|patients|subjects|participants))\b"
    r"|\b(?:still|also|nevertheless)\s+(?:be\s+)?(?:eligible|enrolled|allowed|permitted)\b"
    r"|\bwith\s+(?:the\s+)?(?:\w+\s+){0,2}?(?:approval|permission|agreement)\b"
    r"|\b(?:approval|permission)\s+(?:of|from)\s+(?:the\s+)?(?:\w+\s+){0,2}?"
    r"(?:investigator|PI|sponsor|monitor)",
    re.IGNORECASE,
)
# "AST <= 1.5 x ULN for cabazitaxel", "CrCl >= 30 mL/min for arm B": a limit for something
# named after it, not for everyone ("for at least 4 weeks", "for patients with liver
# metastases" are the time and liver rules' business)
_FOR_SOMETHING_RE = re.compile(
    r"[ \t]*,?[ \t]*(?:only\s+)?for\s+(?!(?:at\s+least|a\s+(?:minimum|period|total|duration)|the\s+"
    r"(?:last|past|previous|duration|first|preceding)|more|over|up|longer|less|\d|[<>≤≥]"
    r"|(?:weeks?|days?|months?|years?|hours?)\b|patients|participants|subjects|those|people"
    r"|persons|individuals|men|women|males|females|gilbert|all\b|each\b|any\b|both\b|eligibility"
    r"|inclusion|entry|enrol|study|screening|registration|randomi|treatment\s+start))\w",
    re.IGNORECASE,
)


def _exempt_or_for(text: str, found: list[_Found]) -> None:
    """Numeric limits followed, before the next fact, by an exemption, or directly by "for
    <something>", hold for some patients only: noted."""
    ordered = sorted(found, key=lambda f: f.start)
    for i, f in enumerate(ordered):
        if f.kind not in NUMERIC_KINDS or f.note:
            continue
        nxt = next((g.start for g in ordered[i + 1 :] if g.start >= f.end), len(text))
        tail = text[f.end : nxt]
        if _EXEMPT_RE.search(tail) or _FOR_SOMETHING_RE.match(text, f.end):
            f.note = NOTE_SOME_PATIENTS


# "---- OR-", "- or -": the word set off by dashes between two items
_ENDS_OR_RE = re.compile(r"\bor\s*[-–—:.]*\s*$", re.IGNORECASE)
_STARTS_OR_RE = re.compile(r"^[\s\-–—]*or\b", re.IGNORECASE)


def _or_chained(criteria: list[Criterion]) -> set[tuple[int, ...]]:
    """Paths of sibling criteria joined by a trailing or leading "or" ("serum creatinine
    < 1.5 mg/dL OR" / "creatinine clearance > 45 mL/min"): each is one alternative."""
    out: set[tuple[int, ...]] = set()
    paths = {path: crit for _, path, crit in iter_criteria(criteria)}
    for path, crit in paths.items():
        nxt = paths.get((*path[:-1], path[-1] + 1))
        if nxt is not None and (_ENDS_OR_RE.search(crit.text) or _STARTS_OR_RE.match(nxt.text)):
            out.update((path, (*path[:-1], path[-1] + 1)))
    return out


# "Or, if serum creatinine > 1.5 mg/dL," / "Calculated creatinine clearance >= 50 mL/min": a
# criterion ending in an open "if" clause makes the next one conditional.
_ENDS_IF_RE = re.compile(r"\bif\b(?:[^.;()]|\.(?=\d))*,\s*$", re.IGNORECASE)


def _if_chained(criteria: list[Criterion]) -> set[tuple[int, ...]]:
    """Paths of criteria whose previous sibling ends with an open "if ..., " clause."""
    paths = {path: crit for _, path, crit in iter_criteria(criteria)}
    return {
        (*path[:-1], path[-1] + 1)
        for path, crit in paths.items()
        if _ENDS_IF_RE.search(crit.text) and (*path[:-1], path[-1] + 1) in paths
    }


def _continued(criteria: list[Criterion], path: tuple[int, ...], crit: Criterion) -> str:
    """The unfinished last sentence of the previous sibling when this criterion starts in
    lower case: a wrapped line the parser split into two items."""
    if not crit.text[:1].islower() or path[-1] == 1:
        return ""
    siblings = criteria
    for pos in path[:-1]:
        siblings = siblings[pos - 1].children
    prev = siblings[path[-1] - 2].text.rstrip()
    if not prev or prev[-1] in ".;:":
        return ""
    return re.split(r"[.;:]\s", prev)[-1]


# The categorical kinds under a heading naming a part of the trial ("[Phase II]", "Cohort B:",
# "Stratum 2") hold for that part only, and no note says which part: nothing is given. (The
# numeric kinds keep their own, older handling of parts within a criterion.)
_SCOPED_KINDS = ("cns_metastases", "measurable_disease_required")
_HEADING_PART_RE = re.compile(
    r"\b(?:cohorts?|phase|parts?|arms?|strat(?:um|a)|groups?|expansion|escalation|sub-?study)\b",
    re.IGNORECASE,
)


# A heading that names some patients or a condition before its items ("For participants who
# will have biopsies:", "Patients with brain metastases will be eligible provided:"): its
# items' limits hold for those patients only.
_HEADING_GROUP_RE = re.compile(
    r"^\W*(?:(?:for|in)\s+(?!all\b)\w|(?:patients?|participants?|subjects?|those|women|men)\s+"
    r"(?:with|who|whose|on|receiving|aged|older|younger)\b)[^:]*:\W*$"
    r"|\b(?:provided|if|when|unless|as\s+long\s+as)\s*(?:that\s*)?:\W*$",
    re.IGNORECASE,
)
_HEADING_EVERYONE_RE = re.compile(
    r"\b(?:adequate|sufficient|acceptable|normal|defined|follows?|following|below|all)\b", re.I
)


def _ancestors(criteria: list[Criterion], path: tuple[int, ...]) -> list[str]:
    """The texts of the criteria above the one at ``path``, outermost first."""
    texts = []
    items = criteria
    for pos in path[:-1]:
        texts.append(items[pos - 1].text)
        items = items[pos - 1].children
    return texts


def _names_a_group(heading: str) -> bool:
    """Whether a heading names some patients or a condition ("For participants who will have
    biopsies:"), not everyone's requirements ("Patients with adequate function as below:")."""
    if not _HEADING_GROUP_RE.search(heading):
        return False
    if re.search(r"provided|if|when|unless|long\s+as", heading, re.I):
        return True
    return not _HEADING_EVERYONE_RE.search(heading.split(":")[0])


def _under_group(criteria: list[Criterion], path: tuple[int, ...]) -> bool:
    """Whether an ancestor of the criterion at ``path`` names some patients or a condition."""
    return any(_names_a_group(text) for text in _ancestors(criteria, path))


def _ancestor_names_measurable(criteria: list[Criterion], path: tuple[int, ...]) -> bool:
    """Whether an ancestor of the criterion at ``path`` already names measurable disease: a
    heading under it then defines the ancestor's term ("... and measurable disease as defined
    by:" / "Measurable disease as defined by any of the following:"), no requirement of its
    own."""
    return any(_MEASURABLE_RE.search(text) for text in _ancestors(criteria, path))


def _under_part(criteria: list[Criterion], path: tuple[int, ...]) -> bool:
    """Whether an ancestor of the criterion at ``path`` names a part of the trial."""
    return any(_HEADING_PART_RE.search(text) for text in _ancestors(criteria, path))


def extract_facts(eligibility: Eligibility) -> list[EligibilityFact]:
    """The key facts of one trial, in source order (inclusion first, then exclusion)."""
    facts: list[EligibilityFact] = []
    for list_name in ("inclusion", "exclusion"):
        criteria = getattr(eligibility, list_name)
        # Under exclusion, "or" joins exclusions: each sibling stays a limit of its own.
        chained = _or_chained(criteria) if list_name == "inclusion" else set()
        conditioned = _if_chained(criteria)
        for ref, path, crit in iter_criteria(criteria):
            lead = _continued(criteria, path, crit)
            found = _criterion_facts(crit, list_name == "exclusion", lead)
            if not found:
                continue
            # what its headings say holds for each of its facts: read once per criterion
            grouped = _under_group(criteria, path)
            scoped = grouped or _under_part(criteria, path)
            for f in found:
                defined = (
                    f.kind == "measurable_disease_required"
                    and crit.text.rstrip().endswith(":")
                    and _ancestor_names_measurable(criteria, path)
                )
                if (f.kind in _SCOPED_KINDS and scoped) or defined:
                    continue  # "[Phase II]" / "At least 1 measurable lesion": that part only
                if path in chained and f.kind in NUMERIC_KINDS:
                    f.note = f.note or NOTE_ALTERNATIVE
                if (path in conditioned or grouped) and f.kind in NUMERIC_KINDS:
                    f.note = f.note or NOTE_SOME_PATIENTS
                fact = {
                    "kind": f.kind,
                    "value": f.value,
                    "unit": UNITS.get(f.kind),
                    "comparator": f.comparator,
                    "criterion": {"list": list_name, "number": ref, "path": list(path)},
                    "quote": crit.text[f.start : f.end],
                    "note": f.note,
                }
                facts.append(EligibilityFact.model_validate(fact))
    return facts


# -- for people ----------------------------------------------------------------------------

LABELS = {
    "ecog_max": "ECOG performance status",
    "karnofsky_min": "Karnofsky / Lansky score",
    "anc_min": "Absolute neutrophil count",
    "platelets_min": "Platelets",
    "hemoglobin_min": "Hemoglobin",
    "crcl_min": "Creatinine clearance / eGFR",
    "creatinine_max_uln": "Serum creatinine",
    "bilirubin_max_uln": "Total bilirubin",
    "ast_alt_max_uln": "AST / ALT",
    "ast_alt_max_uln_liver_mets": "AST / ALT with liver metastases",
    "cns_metastases": "Brain (CNS) metastases",
    "pregnancy_excluded": "Pregnancy",
    "measurable_disease_required": "Measurable disease",
    "life_expectancy_min_weeks": "Life expectancy",
}
_SHOWN_SYMBOL = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}
_SHOWN_UNIT = {
    "10^9/L": "× 10⁹/L",
    "x ULN": "× ULN",
    "weeks": "weeks",
    "g/dL": "g/dL",
    "mL/min": "mL/min",
}
_SHOWN_CATEGORY = {
    ("cns_metastases", "excluded"): "Excluded",
    ("cns_metastases", "allowed_if_treated_stable"): "Allowed if treated and stable",
    ("cns_metastases", "allowed"): "Allowed",
    ("pregnancy_excluded", True): "Excluded",
    ("measurable_disease_required", True): "Required",
}


@dataclass(frozen=True)
class FactRow:
    """A fact as pages and PDFs show it (plain text: templates escape it)."""

    label: str
    value: str
    where: str
    anchor: str
    quote: str
    note: str | None


def fact_rows(facts: list[EligibilityFact]) -> list[FactRow]:
    """Facts in display form: "≤ 2.5 × ULN", "inclusion 3", and the criterion's page id
    (``inclusion-3-1``, the id the trial and checklist pages give that criterion)."""
    rows = []
    for f in facts:
        shown = _SHOWN_CATEGORY.get((f.kind, f.value))
        if shown is None:
            symbol = _SHOWN_SYMBOL.get(f.comparator or "", "")
            unit = _SHOWN_UNIT.get(f.unit or "", "")
            shown = " ".join(part for part in (symbol, f"{f.value}", unit) if part)
        src = f.criterion
        anchor = "-".join([src.list, *(str(p) for p in src.path)])
        rows.append(
            FactRow(LABELS[f.kind], shown, f"{src.list} {src.number}", anchor, f.quote, f.note)
        )
    return rows


@dataclass(frozen=True)
class FactGroup:
    """Facts with the same check and requirement, for compact displays (the brief)."""

    label: str
    value: str
    noted: bool
    sources: tuple[str, ...]


def fact_groups(facts: list[EligibilityFact]) -> list[FactGroup]:
    """One entry per check and requirement, naming every criterion that states it:
    "Pregnancy: Excluded (inclusion 10, exclusion 17, exclusion 18)"."""
    groups: dict[tuple[str, str], list[FactRow]] = {}
    for row in fact_rows(facts):
        groups.setdefault((row.label, row.value), []).append(row)
    return [
        FactGroup(label, value, any(r.note for r in rows), tuple(r.where for r in rows))
        for (label, value), rows in groups.items()
    ]
