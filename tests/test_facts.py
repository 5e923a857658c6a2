"""Key eligibility facts (issue 16): the rules on written cases, the pages, PDFs and CLI.

The hand-labelled evaluation is ``test_facts_eval.py``; here each rule is shown on a
criterion written for it, and the facts are followed to where people read them.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from click.testing import CliRunner

from tests.conftest import PALMIRA, POLAR
from tests.hostile_corpus import PAYLOADS, good_study
from tests.pdf_check import read_back
from trialpress import escaping, pdf
from trialpress.cli import cli
from trialpress.corpus import Corpus
from trialpress.eligibility import parse_criteria
from trialpress.facts import NOTE_ALTERNATIVE, NOTE_IMPLIED, extract_facts, fact_rows
from trialpress.models import Criterion, Eligibility, EligibilityFact, Trial
from trialpress.readers import read_file, read_text
from trialpress.render import SiteContext, render_checklist, render_trial


def facts_of(text: str, list_name: str = "inclusion") -> list[EligibilityFact]:
    crit = [Criterion(number="1", text=text)]
    return extract_facts(Eligibility(**{list_name: crit}))


def simple(facts: list[EligibilityFact]) -> set[tuple[str, object, str | None]]:
    return {(f.kind, f.value, f.comparator) for f in facts}


CASES = [
    ("ECOG performance status 0-1", "inclusion", {("ecog_max", 1, "<=")}),
    ("ECOG performance status of 0, 1, or 2.", "inclusion", {("ecog_max", 2, "<=")}),
    ("WHO performance status ≤ 1", "inclusion", {("ecog_max", 1, "<=")}),
    ("ECOG ≥ 2", "exclusion", {("ecog_max", 1, "<=")}),
    ("ECOG performance status >2", "exclusion", {("ecog_max", 2, "<=")}),
    ("Karnofsky performance status ≥ 70%", "inclusion", {("karnofsky_min", 70, ">=")}),
    ("Absolute neutrophil count ≥ 1,500/mm3", "inclusion", {("anc_min", 1.5, ">=")}),
    ("ANC ≥ 1.5 x 10^9/L", "inclusion", {("anc_min", 1.5, ">=")}),
    ("ANC ≥ 1500 cells/uL", "inclusion", {("anc_min", 1.5, ">=")}),
    ("Neutrophil count <1.5×10^9/L", "exclusion", {("anc_min", 1.5, ">=")}),
    ("Platelets ≥ 100,000/µL", "inclusion", {("platelets_min", 100, ">=")}),
    ("Platelet count > 75 × 10⁹/L", "inclusion", {("platelets_min", 75, ">")}),
    ("Hemoglobin ≥ 90 g/L", "inclusion", {("hemoglobin_min", 9, ">=")}),
    ("Hemoglobin ≥ 5.6 mmol/L", "inclusion", {("hemoglobin_min", 9, ">=")}),
    ("Creatinine clearance ≥ 60 mL/min", "inclusion", {("crcl_min", 60, ">=")}),
    ("Serum creatinine > 1.5 × ULN", "exclusion", {("creatinine_max_uln", 1.5, "<=")}),
    (
        "Total bilirubin ≤ 1.5 x ULN (≤ 3 x ULN for Gilbert's syndrome)",
        "inclusion",
        {("bilirubin_max_uln", 1.5, "<=")},
    ),
    (
        "AST and ALT ≤ 2.5 × ULN (≤ 5 × ULN if liver metastases are present)",
        "inclusion",
        {("ast_alt_max_uln", 2.5, "<="), ("ast_alt_max_uln_liver_mets", 5, "<=")},
    ),
    (
        "Life expectancy of at least 3 months",
        "inclusion",
        {("life_expectancy_min_weeks", 13, ">=")},
    ),
    ("Life expectancy < 12 weeks", "exclusion", {("life_expectancy_min_weeks", 12, ">=")}),
    ("Known brain metastases", "exclusion", {("cns_metastases", "excluded", None)}),
    (
        "Untreated or symptomatic brain metastases",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    (
        "Patients with brain metastases are eligible",
        "inclusion",
        {("cns_metastases", "allowed", None)},
    ),
    ("Pregnant or breastfeeding women", "exclusion", {("pregnancy_excluded", True, None)}),
    ("Negative serum pregnancy test", "inclusion", {("pregnancy_excluded", True, None)}),
    (
        "Measurable disease per RECIST 1.1",
        "inclusion",
        {("measurable_disease_required", True, None)},
    ),
    # Nothing safe to say: no fact rather than a wrong one.
    ("Measurable or non-measurable disease per RECIST 1.1", "inclusion", set()),
    ("ECOG performance status 2", "inclusion", set()),
    ("High-risk pregnancies", "exclusion", set()),
    ("Serum creatinine ≤ 1.5 mg/dL", "inclusion", set()),
    ("EGFR T790M mutation, stage IV, 2 prior lines", "inclusion", set()),
    ("Hemoglobin A1c < 7%", "inclusion", set()),
    ("Adequate bone marrow, renal and hepatic function", "inclusion", set()),
]


# Failure classes read on held_out_7's first run (each written afresh, not copied from it).
PLAIN_CASES = [
    # the Gilbert's exception after the main threshold keeps the main threshold
    (
        "Total bilirubin <= 2 x the ULN unless due to Gilbert's disease",
        "inclusion",
        {("bilirubin_max_uln", 2, "<=")},
    ),
    # four grades listed: the highest is the maximum, and it is one threshold
    ("Zubrod performance status 0,1,2 or 3", "inclusion", {("ecog_max", 3, "<=")}),
    ("ECOG 0, 1, 2, or 3", "inclusion", {("ecog_max", 3, "<=")}),
    # U+2179 (small roman numeral ten) and mangled signs written for "x"
    ("Platelets < 75 \u2179109/L", "exclusion", {("platelets_min", 75, ">=")}),
    ("ALT > 3 \u2179upper limit of normal", "exclusion", {("ast_alt_max_uln", 3, "<=")}),
    ("Platelet count of <50' 10 9/L", "exclusion", {("platelets_min", 50, ">=")}),
    ("Neutrophil count of <1.5 \u00b4 10 9/L", "exclusion", {("anc_min", 1.5, ">=")}),
    ("Total bilirubin below 2 x upper limit of norm", "inclusion", {("bilirubin_max_uln", 2, "<")}),
    (
        "Expected life time of more than 8 weeks",
        "inclusion",
        {("life_expectancy_min_weeks", 8, ">")},
    ),
    # a space as thousands separator; 10^3/mm3; "G/l"
    ("ANC ≥ 1 500/mm3", "inclusion", {("anc_min", 1.5, ">=")}),
    ("Platelets >100 000/µL", "inclusion", {("platelets_min", 100, ">")}),
    ("Platelet count ≥ 100 × 10³/mm³", "inclusion", {("platelets_min", 100, ">=")}),
    ("Neutrophils > 1.5 G/l", "inclusion", {("anc_min", 1.5, ">")}),
    # everyone, not a group: no note
    (
        "Patients with adequate organ function as defined below: ANC ≥ 1.5 x 10^9/L",
        "inclusion",
        {("anc_min", 1.5, ">=")},
    ),
    # the top of a range is no limit; a past event is no limit on who may enter now
    ("Platelet count of 50-100 x 10^9/L", "inclusion", set()),
    ("Creatinine clearance 30-59 mL/min", "inclusion", set()),
    ("History of febrile neutropenia (ANC < 0.5 x 10^9/L and fever)", "exclusion", set()),
    ("Patients who experienced ALT > 5 x ULN on prior immunotherapy", "exclusion", set()),
    (
        "Within 14 days prior to registration: ANC < 1.0 x 10^9/L",
        "exclusion",
        {("anc_min", 1, ">=")},
    ),
    ("Previous pregnancy loss", "exclusion", set()),
    ("Pregnancy-induced hypertension in the past", "exclusion", set()),
    ("Male subjects whose female partners are pregnant or planning pregnancy", "exclusion", set()),
    # CNS wording
    ("No brain and/or leptomeningeal disease", "inclusion", {("cns_metastases", "excluded", None)}),
    (
        "Metastatic brain tumors unless treated and stable for 3 months",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    (
        "Extensive liver involvement, or prior brain involvement, or symptomatic lymphangitis",
        "exclusion",
        {("cns_metastases", "excluded", None)},
    ),
    # about a treatment, not about patients with metastases
    ("Prior radiotherapy is allowed if it was not given for CNS metastases", "inclusion", set()),
    # a negated permission excludes; a qualifier after the metastases limits the exclusion
    (
        "Patients with brain metastases are not eligible",
        "inclusion",
        {("cns_metastases", "excluded", None)},
    ),
    (
        "Brain metastases that have not been treated",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    (
        "CNS metastases which are neurologically unstable",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    (
        "Known CNS metastasis (baseline imaging not required)",
        "exclusion",
        {("cns_metastases", "excluded", None)},
    ),
    ("Brain metastases (even if treated)", "exclusion", {("cns_metastases", "excluded", None)}),
    # a treatment of the metastases, not patients with them
    ("Prior radiotherapy to brain metastases within 2 weeks", "exclusion", set()),
    (
        "Subjects with CNS metastases may participate if neurologically stable",
        "inclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    # an alternative that is not a requirement, or a requirement for part of the trial only
    ("Measurable disease on CT or rising tumour markers (PSA)", "inclusion", set()),
    (
        "Measurable disease per RECIST 1.1 or, for prostate cancer, PSA progression",
        "inclusion",
        set(),
    ),
    ("Measurable disease by RECIST 1.1 (for Part B only)", "inclusion", set()),
    # a second threshold "in patients with" something is left out beside the plain one
    (
        "Platelets >= 75,000/mm3 (>= 50,000/mm3 in patients with marrow infiltration)",
        "inclusion",
        {("platelets_min", 75, ">=")},
    ),
    (
        "ALT < 2.5 x ULN in patients without liver metastases; < 5 x ULN in patients with "
        "liver metastases",
        "inclusion",
        {("ast_alt_max_uln", 2.5, "<"), ("ast_alt_max_uln_liver_mets", 5, "<")},
    ),
    # tests spelled out end the reach of the one before ("... or prothrombin time")
    (
        "creatinine <= 1.5 x ULN, activated partial thromboplastin time <= 1.5 x ULN, and "
        "international normalized ratio or prothrombin time <= 1.5 x ULN",
        "inclusion",
        {("creatinine_max_uln", 1.5, "<=")},
    ),
    # -- after held_out_8's first run --
    # "N x above the ULN" under exclusion is N, not 1
    ("ALT or AST 4x above the upper limit of normal", "exclusion", {("ast_alt_max_uln", 4, "<=")}),
    # a Gilbert's group in brackets is the main value's companion, not its condition
    (
        "Total bilirubin <= 1.5 x ULN (for patients with Gilbert syndrome, <= 3 x ULN)",
        "inclusion",
        {("bilirubin_max_uln", 1.5, "<=")},
    ),
    # more ways to write the upper limit of normal
    (
        "Bilirubin > 2 x the upper limit of reference range (ULRR)",
        "exclusion",
        {("bilirubin_max_uln", 2, "<=")},
    ),
    ("Creatinine =< 1.2 x upper normal levels", "inclusion", {("creatinine_max_uln", 1.2, "<=")}),
    (
        "Bilirubin =< 1.5 X normal institutional limits",
        "inclusion",
        {("bilirubin_max_uln", 1.5, "<=")},
    ),
    # GOT/GPT, and a spelled-out GGT in a list of tests sharing one value
    ("GOT-GPT <= 3 x ULN", "inclusion", {("ast_alt_max_uln", 3, "<=")}),
    (
        "ALT, AST, gamma glutamyl transferase (GGT), and alkaline phosphatase levels < 3 x ULN",
        "inclusion",
        {("ast_alt_max_uln", 3, "<")},
    ),
    # counts without a unit: 10^9/L and 10^3/uL give the same small numbers; "10^9th/L"
    ("ANC greater than or equal to 1.0", "inclusion", {("anc_min", 1, ">=")}),
    ("Platelets at least 75 x 10^9th/L", "inclusion", {("platelets_min", 75, ">=")}),
    # a footnote mark glued to the test's name
    ("Hemoglobin2 (≥ 10 g/dL)", "inclusion", {("hemoglobin_min", 10, ">=")}),
    # the top of a range ("> 1.5 x ULN but < 4 x ULN") is no limit
    ("AST > 1.5 times normal limit but < 4 times normal limit", "inclusion", set()),
    # CNS wording
    ("Tumour that has spread to the brain", "exclusion", {("cns_metastases", "excluded", None)}),
    ("Known CNS disease", "exclusion", {("cns_metastases", "excluded", None)}),
    (
        "Metastatic disease, with the exclusion of brain metastases",
        "inclusion",
        {("cns_metastases", "excluded", None)},
    ),
    (
        "Patients with brain metastases can only be enrolled if treated and stable for 4 weeks",
        "inclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    (
        "Brain metastases that have not been irradiated",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    # an "active" of another item of the list is no qualifier of the metastases
    (
        "Active second cancer or who have brain metastases",
        "exclusion",
        {("cns_metastases", "excluded", None)},
    ),
    # measurable disease permitted, or one way to show progression, is no requirement
    ("Patients may have measurable disease per RECIST", "inclusion", set()),
    ("Measurable lesions (skin or CT) may be in a previously irradiated field", "inclusion", set()),
    ("Progression of measurable disease on CT scan", "inclusion", set()),
]


# -- after held_out_12's first run: the classes of its errors, each in phrasings of its own --

# Wording that gives exactly these facts, each plain.
PLAIN_AFTER_12 = [
    # a thousands separator before a full stop is still one number
    ("ANC >= 1,500.", "inclusion", {("anc_min", 1.5, ">=")}),
    ("Absolute neutrophil count at least 1,000.", "inclusion", {("anc_min", 1, ">=")}),
    (
        "Platelets > 75,000. Hemoglobin > 9 g/dL.",
        "inclusion",
        {("platelets_min", 75, ">"), ("hemoglobin_min", 9, ">")},
    ),
    # a conversion in brackets that agrees is the same threshold
    ("ANC ≥ 1,500/mm3 (1.5 x 10^9/L)", "inclusion", {("anc_min", 1.5, ">=")}),
    # ... also when each unit's figure is rounded on its own (5.0 mmol/L is 8.06 g/dL)
    ("Hemoglobin ≥ 8 g/dL (5.0 mmol/L)", "inclusion", {("hemoglobin_min", 8, ">=")}),
    ("Hemoglobin ≥ 9.0 g/dL (5.5 mmol/L)", "inclusion", {("hemoglobin_min", 9, ">=")}),
    (
        "Life expectancy of at least 12 weeks (3 months)",
        "inclusion",
        {("life_expectancy_min_weeks", 12, ">=")},
    ),
    # a scale's span and legend are no limit
    (
        "Zubrod performance status (a scale that ranges from 0 to 5, 0 meaning fully "
        "active) of 0-1",
        "inclusion",
        {("ecog_max", 1, "<=")},
    ),
    (
        "ECOG performance status, which ranges from 0 to 5 where 0 is fully active, of 2 or less",
        "inclusion",
        {("ecog_max", 2, "<=")},
    ),
    ("WHO performance status (0-5 scale) <= 1", "inclusion", {("ecog_max", 1, "<=")}),
    ("Karnofsky score (scale of 0-100) of at least 60", "inclusion", {("karnofsky_min", 60, ">=")}),
    # the liver-metastases condition inside the second value's bracket
    (
        "AST and ALT ≤ 3 x ULN (≤ 5 x ULN, if liver metastases are present)",
        "inclusion",
        {("ast_alt_max_uln", 3, "<="), ("ast_alt_max_uln_liver_mets", 5, "<=")},
    ),
    (
        "ALT ≤ 2.5 × ULN (≤ 5 × ULN, in case of documented hepatic metastases)",
        "inclusion",
        {("ast_alt_max_uln", 2.5, "<="), ("ast_alt_max_uln_liver_mets", 5, "<=")},
    ),
    # Gilbert's syndrome alone as the exception keeps the main value plain
    (
        "Bilirubin ≤ 1.5 x ULN unless due to Gilbert's syndrome",
        "inclusion",
        {("bilirubin_max_uln", 1.5, "<=")},
    ),
    # unambiguous CNS wording still gives a fact; an earlier item's "allowed" or "unless"
    # does not qualify the metastases
    ("No known brain metastases", "inclusion", {("cns_metastases", "excluded", None)}),
    (
        "Patients with brain metastases are eligible",
        "inclusion",
        {("cns_metastases", "allowed", None)},
    ),
    (
        "Prior radiotherapy is allowed. No brain metastases.",
        "inclusion",
        {("cns_metastases", "excluded", None)},
    ),
    (
        "Prior chemotherapy, unless completed 4 weeks before; brain metastases",
        "exclusion",
        {("cns_metastases", "excluded", None)},
    ),
    (
        "Lesion that can be accurately measured in at least one dimension",
        "inclusion",
        {("measurable_disease_required", True, None)},
    ),
    ("Pregnant or breast-feeding women", "exclusion", {("pregnancy_excluded", True, None)}),
    (
        "Women who are pregnant, plan to become pregnant or are lactating",
        "exclusion",
        {("pregnancy_excluded", True, None)},
    ),
    # wordings the rules did not know: "k" for thousands, an institution's initials or
    # "institution limit for normal" for the ULN, "< or equal to", "cc/min"
    ("Platelet count ≥ 75k", "inclusion", {("platelets_min", 75, ">=")}),
    ("Platelets > 50K per microliter", "inclusion", {("platelets_min", 50, ">")}),
    (
        "Bilirubin < 1.5 x upper institutional limit for normal",
        "inclusion",
        {("bilirubin_max_uln", 1.5, "<")},
    ),
    ("AST ≤ 3 x MDACC upper limit of normal", "inclusion", {("ast_alt_max_uln", 3, "<=")}),
    ("ALT < 2.5 x upper limit normal", "inclusion", {("ast_alt_max_uln", 2.5, "<")}),
    ("Transaminases ≤ 3 X institutional upper limit", "inclusion", {("ast_alt_max_uln", 3, "<=")}),
    ("ECOG performance status > or equal to 2", "exclusion", {("ecog_max", 1, "<=")}),
    ("Zubrod score < or = to 2", "inclusion", {("ecog_max", 2, "<=")}),
    ("Creatinine clearance ≥ 50 cc/min", "inclusion", {("crcl_min", 50, ">=")}),
    # inclusion ruling out only active metastases admits treated stable ones; an exclusion
    # whose bracket admits treated ones likewise; another item's "active" is not theirs
    (
        "No untreated brain metastases",
        "inclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    (
        "Without progressive CNS metastases",
        "inclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    (
        "No brain metastases that are symptomatic",
        "inclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    (
        "Known brain metastases (treated brain metastases allowed if stable)",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    (
        "No brain metastases, and no active infection",
        "inclusion",
        {("cns_metastases", "excluded", None)},
    ),
    # a bracketed pointer to the definition leaves it a requirement
    (
        "At least one lesion measurable according to RECIST criteria (see Appendix 3)",
        "inclusion",
        {("measurable_disease_required", True, None)},
    ),
    # a procedure in a later sentence leaves the requirement whole
    (
        "Measurable disease per RECIST 1.1. Target lesions will be measured by CT",
        "inclusion",
        {("measurable_disease_required", True, None)},
    ),
    # a reason for the exclusion, or symptoms as evidence, is no qualifier (one line, as
    # API v2 records give it, not only wrapped)
    (
        "Patients with known brain metastases should be excluded from this trial because of "
        "their poor prognosis and because they often develop progressive neurologic dysfunction",
        "exclusion",
        {("cns_metastases", "excluded", None)},
    ),
    (
        "Evidence of brain metastases, in the opinion of the Investigator, taking into account "
        "history, clinical observations and symptoms",
        "exclusion",
        {("cns_metastases", "excluded", None)},
    ),
    (
        "Brain metastases, symptomatic or untreated",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    # more ways to write the ULN limit and a count
    (
        "Serum bilirubin no greater than 1.5 times ULN",
        "inclusion",
        {("bilirubin_max_uln", 1.5, "<=")},
    ),
    ("Creatinine not higher than 1.5 x ULN", "inclusion", {("creatinine_max_uln", 1.5, "<=")}),
    ("Creatinine less than/equal to ULN", "inclusion", {("creatinine_max_uln", 1, "<=")}),
    ("ALT <= 2.5 the upper limit of normal", "inclusion", {("ast_alt_max_uln", 2.5, "<=")}),
    ("AST ≤ 3 x local ULN", "inclusion", {("ast_alt_max_uln", 3, "<=")}),
    ("Bilirubin < upper limit normal", "inclusion", {("bilirubin_max_uln", 1, "<")}),
    ("ANC ≥ 1.000 cells/µL", "inclusion", {("anc_min", 1, ">=")}),
    ("Platelets > 75.000/mm3", "inclusion", {("platelets_min", 75, ">")}),
    # performance status in percent with no scale named: only Karnofsky/Lansky use percent
    ("Performance status >= 60%", "inclusion", {("karnofsky_min", 60, ">=")}),
    ("Performance status of at least 70 %", "inclusion", {("karnofsky_min", 70, ">=")}),
    ("Performance status < 50%", "exclusion", {("karnofsky_min", 50, ">=")}),
    # what those rules must leave alone: a span that is the limit, a verb before the
    # metastases, a time that is now in a neoadjuvant trial
    (
        "Karnofsky performance status score from 70 to 100",
        "inclusion",
        {("karnofsky_min", 70, ">=")},
    ),
    ("Patients having brain metastases", "exclusion", {("cns_metastases", "excluded", None)}),
    (
        "Measurable disease by MRI before surgery",
        "inclusion",
        {("measurable_disease_required", True, None)},
    ),
]


# A condition or alternative the threshold depends on: the fact carries a note.
NOTED_AFTER_12 = [
    # an "unless" exception naming a disease or another cause (not Gilbert's alone)
    (
        "Total bilirubin ≤ 2 x ULN unless due to leukemic infiltration or Gilbert's syndrome",
        "inclusion",
        {("bilirubin_max_uln", 2, "<=")},
    ),
    (
        "ANC ≥ 1.0 x 10^9/L unless if marrow infiltration by lymphoma",
        "inclusion",
        {("anc_min", 1, ">=")},
    ),
    (
        "Serum bilirubin (≥ 2 x ULN) unless there is another more likely explanation",
        "exclusion",
        {("bilirubin_max_uln", 2, "<")},
    ),
    # a state that names no test, joined by "or" before the threshold
    (
        "Patients on dialysis or creatinine clearance ≥ 30 mL/min",
        "inclusion",
        {("crcl_min", 30, ">=")},
    ),
    ("Anuric on haemodialysis, or CrCl >= 50 mL/min", "inclusion", {("crcl_min", 50, ">=")}),
]


# Wording where any single fact would be wrong for someone, or that is not about the fact's
# scale: nothing.
SILENT_AFTER_12 = [
    # several thresholds of one kind: per part, stage or regimen, or two units that disagree
    ("Creatinine clearance > 70 mL/min in part A and > 50 mL/min in part B", "inclusion"),
    ("CrCl >= 60 mL/min during the first study stage, >= 45 mL/min during the second", "inclusion"),
    ("ANC ≥ 1,000/µL (1.5 x 10^9/L)", "inclusion"),
    ("ECOG 0-1 for arm A, 0-2 for arm B", "inclusion"),
    ("Creatinine clearance < 40 mL/min (regimen A) or < 60 mL/min (regimen B)", "exclusion"),
    # a comparator after the multiple is not read, and "or less" is not a bare "< ULN"
    ("ALT 3 times or less upper limit normal", "inclusion"),
    # no range stated, or a list of grades cut short by a wrapped line
    ("ECOG status other than 0 or 1", "exclusion"),
    ("WHO performance status of 0 or", "inclusion"),
    # CNS: about symptoms, a disease site, an unread qualifier, only some metastases
    ("Requires steroids to control symptoms from brain metastases", "exclusion"),
    ("Headache or seizures due to CNS metastases", "exclusion"),
    ("History of CNS lymphoma, eligible if asymptomatic", "inclusion"),
    ("Uncontroled brain metastases", "exclusion"),
    ("Severe brain metastases", "exclusion"),
    ("Brain metastases larger than 3 cm", "exclusion"),
    ("Brain metastases located in the brainstem", "exclusion"),
    ("No brain metastases requiring steroids", "inclusion"),
    # a permission left to someone's judgement
    (
        "Patients with brain metastases may be eligible after discussion with the sponsor",
        "inclusion",
    ),
    ("Brain metastases are permitted at the investigator's discretion", "inclusion"),
    ("Patients with CNS metastases can be included on a case-by-case basis", "inclusion"),
    # measurable disease hedged, or named in a procedure
    ("Measurable disease is preferred but not mandatory", "inclusion"),
    ("Measurable lesions are desirable", "inclusion"),
    ("Ideally, patients have measurable disease", "inclusion"),
    ("Measurable disease if possible", "inclusion"),
    ("Tumour response will be evaluated in patients with measurable disease", "inclusion"),
    ("Patients with measurable disease will be assessed per RECIST", "inclusion"),
    # measurable disease in the past, or a measuring method
    ("Measurable disease at the time of diagnosis", "inclusion"),
    ("Had measurable lesions at initial presentation, before chemotherapy", "inclusion"),
    ("Lesions that can be accurately measured with calipers by clinical exam", "inclusion"),
    # pregnancy: contraception and testing rules, someone other than the participant
    ("Women who could become pregnant and refuse contraception", "exclusion"),
    ("Inadequate protection against pregnancy", "exclusion"),
    ("Unwilling to use contraception to minimise the risk of pregnancy", "exclusion"),
    ("Refuses to undergo pregnancy testing", "exclusion"),
    ("Stem cell donors must have a negative pregnancy test", "inclusion"),
    # a plan, or becoming pregnant later
    ("Women planning to become pregnant during the study", "exclusion"),
    ("Women who become pregnant on study will be withdrawn", "exclusion"),
]


@pytest.mark.parametrize(("text", "list_name", "expected"), CASES + PLAIN_CASES + PLAIN_AFTER_12)
def test_rule(text: str, list_name: str, expected: set[tuple[str, object, str | None]]) -> None:
    facts = facts_of(text, list_name)
    assert simple(facts) == expected
    for f in facts:
        assert f.quote in text and f.criterion.number == "1" and f.criterion.list == list_name
        assert f.note is None


def parsed_facts(text: str, list_name: str) -> list[EligibilityFact]:
    """The facts of one bullet, its wrapped lines kept, through the criteria parser."""
    heading = "Inclusion" if list_name == "inclusion" else "Exclusion"
    body = "\n    ".join(text.split("\n"))
    parsed = parse_criteria(f"{heading} Criteria:\n\n  * {body}\n")
    return extract_facts(Eligibility(inclusion=parsed.inclusion, exclusion=parsed.exclusion))


# Where a wrong CNS or measurable-disease fact is worse than none (the first runs on
# held_out_9 to held_out_11): only unambiguous wording gives one.
CONSERVATIVE_CASES = [
    # the leukaemia or lymphoma itself in the CNS is a disease site, not metastases
    (
        "Clinical signs of CNS involvement with leukemia unless a lumbar puncture shows\nno blasts",
        "exclusion",
        set(),
    ),
    ("Lymphomatous involvement of the central nervous system", "exclusion", set()),
    # only some metastases excluded
    ("Prior history of multiple brain metastases", "exclusion", set()),
    ("More than three brain metastases", "exclusion", set()),
    # a treatment named before the metastases
    ("Steroid therapy for brain metastases within 2 weeks", "exclusion", set()),
    (
        "Concurrent radiation for palliation of bone metastases and CNS lesions must be\n"
        "approved by the sponsor",
        "exclusion",
        set(),
    ),
    # a lesion outside the CNS
    (
        "At least one bidimensionally measurable, non-CNS lesion. PET is permitted if it\n"
        "is the site's standard tool.",
        "inclusion",
        set(),
    ),
    # the qualifier of another item of the list
    (
        "Known or suspected brain metastases or active leptomeningeal disease",
        "exclusion",
        {("cns_metastases", "excluded", None)},
    ),
    (
        "Patients with lymphoma, uncontrolled infection, CNS metastases",
        "exclusion",
        {("cns_metastases", "excluded", None)},
    ),
    (
        "Progressive, symptomatic, or bleeding brain metastases",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    # any history is excluded
    (
        "Known history or symptomatic metastatic brain tumours",
        "exclusion",
        {("cns_metastases", "excluded", None)},
    ),
    # an exception in a second sentence
    (
        "Brain metastases. If prior brain metastases were treated, no progression on MRI.",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    # a permission with a condition
    (
        "Patients with CNS metastases are eligible as long as they are controlled",
        "inclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    # measurable disease as one of alternatives, for part of the trial, or defined
    ("Measurable disease, whether nodal or extranodal", "inclusion", set()),
    ("Measurable disease on CT or bone marrow involvement", "inclusion", set()),
    ("Disease measurable per RECIST\n(Phase 2 only)", "inclusion", set()),
    (
        "For secretory myeloma, measurable disease is defined as a serum M-protein\n"
        "of at least 1 g/dL",
        "inclusion",
        set(),
    ),
    ("Refer to section 5 for the evaluation of measurable disease.", "inclusion", set()),
    # a requirement stays one when a later sentence defines it or points to a section
    (
        "Must have measurable disease per RECIST. A measurable lesion is defined as one\n"
        "of at least 10 mm. See section 11 for the evaluation of measurable disease.",
        "inclusion",
        {("measurable_disease_required", True, None)},
    ),
    # AST/ALT for patients without liver metastases is the main value
    (
        "AST and ALT 2 times the upper limit of normal (ULN) if liver metastases are\n"
        "absent, or 5 times ULN if liver metastases are present",
        "inclusion",
        {("ast_alt_max_uln", 2, "<="), ("ast_alt_max_uln_liver_mets", 5, "<=")},
    ),
    # a bracketed value qualified by Gilbert's after the bracket
    (
        "Bilirubin <= ULN unless a grade 1 elevation (greater than ULN to 1.5\n"
        "x ULN) due to Gilbert's syndrome",
        "inclusion",
        {("bilirubin_max_uln", 1, "<=")},
    ),
    # a table flattened into a row of bracketed values: names and values need not line up
    ("Platelets (≥ 2.0 × 10^9/L) (≥ 9 g/dL) (≥ 100 × 10^9/L) Serum bilirubin", "inclusion", set()),
]


@pytest.mark.parametrize(("text", "list_name", "expected"), CONSERVATIVE_CASES)
def test_conservative_rule(
    text: str, list_name: str, expected: set[tuple[str, object, str | None]]
) -> None:
    facts = parsed_facts(text, list_name)
    assert simple(facts) == expected
    for f in facts:
        assert f.quote in text and f.criterion.list == list_name and f.note is None


def test_uln_multiple_or_within_normal_limits_reads_the_multiple() -> None:
    """Not the weaker "or within normal limits" as a second value (1 x ULN)."""
    text = (
        "Total bilirubin less than or equal to 1.5 X upper limit of normal\n"
        "or within normal institutional limits"
    )
    assert simple(parsed_facts(text, "inclusion")) == {("bilirubin_max_uln", 1.5, "<=")}


def test_criterion_opening_with_or_is_an_alternative() -> None:
    """ "OR - Calculated creatinine clearance >= 40": the other way to meet the one before."""
    facts = parsed_facts("OR - Calculated creatinine clearance ≥40 mL/min", "inclusion")
    assert simple(facts) == {("crcl_min", 40, ">=")}
    assert facts[0].note == NOTE_ALTERNATIVE


def test_liver_threshold_whose_main_one_is_unread_is_noted() -> None:
    """A main AST/ALT threshold in a direction that does not fit the list is not read; its
    liver-metastases companion is then not plain either."""
    text = (
        "ALT or AST ≥ 3 x ULN unless liver involvement by the tumor, in which case the\n"
        "transaminase levels could be up to 5 x ULN."
    )
    facts = parsed_facts(text, "inclusion")
    assert simple(facts) == {("ast_alt_max_uln_liver_mets", 5, "<=")}
    assert facts[0].note == NOTE_IMPLIED


def test_alternatives_carry_a_note() -> None:
    facts = facts_of("Serum creatinine ≤ 1.5 × ULN or creatinine clearance ≥ 60 mL/min")
    assert simple(facts) == {("creatinine_max_uln", 1.5, "<="), ("crcl_min", 60, ">=")}
    assert all(f.note for f in facts)


# Thresholds the text makes conditional or one of alternatives: a note, or no fact.
NOTED_CASES = [
    # a condition after the value
    (
        "AST and ALT > 3 times upper limit of normal if not caused by the leukemia",
        "exclusion",
        {("ast_alt_max_uln", 3, "<=")},
    ),
    # a cause named before the value
    (
        "Renal impairment not related to the tumour: creatinine clearance < 40 mL/min",
        "exclusion",
        {("crcl_min", 40, ">=")},
    ),
    # an "or" beyond the other test's values, however far
    (
        "Serum creatinine < 1.8 mg/dl or 160 umol/l or estimated (MDRD equation with body "
        "surface correction) creatinine clearance > 50 ml/min",
        "inclusion",
        {("crcl_min", 50, ">")},
    ),
    # an alternative that is no test at all
    (
        "Adequate counts (platelets > 75,000/mm3) at entry, or readiness to receive "
        "transfusions as needed",
        "inclusion",
        {("platelets_min", 75, ">")},
    ),
    # a condition after the value, "in patients ..."
    (
        "Creatinine clearance < 30 mL/min in patients receiving cisplatin",
        "exclusion",
        {("crcl_min", 30, ">=")},
    ),
    # a group of patients or a part of the trial named before the value
    (
        "Patients aged 70 years or older: creatinine clearance ≥ 30 mL/min",
        "inclusion",
        {("crcl_min", 30, ">=")},
    ),
    (
        "In subjects with bone marrow involvement, ANC ≥ 0.75 x 10^9/L",
        "inclusion",
        {("anc_min", 0.75, ">=")},
    ),
    ("Cohort 2: ECOG 0-2", "inclusion", {("ecog_max", 2, "<=")}),
    (
        "Performance status ECOG 0-1 or 2 if related to the underlying cancer",
        "inclusion",
        {("ecog_max", 2, "<=")},
    ),
    # a life expectancy limited by another illness
    (
        "Other malignancy with a life expectancy of less than 2 years",
        "exclusion",
        {("life_expectancy_min_weeks", 104, ">=")},
    ),
    # "or" another test that gives no fact
    (
        "Total bilirubin <= 1.5 times ULN, or direct bilirubin <= ULN",
        "inclusion",
        {("bilirubin_max_uln", 1.5, "<=")},
    ),
    ("WBC >= 3,000/mm3 or ANC >= 1,500/mm3", "inclusion", {("anc_min", 1.5, ">=")}),
    # an exception for a part of the trial, not for treated metastases
    (
        "Brain metastases, except in the expansion cohort",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    # "requiring steroids" only implies that treated stable ones are admitted
    (
        "Brain metastases requiring corticosteroids",
        "exclusion",
        {("cns_metastases", "allowed_if_treated_stable", None)},
    ),
    # "Clinically evident" metastases: silent ones are not excluded
    ("Clinically evident brain metastases", "exclusion", {("cns_metastases", "excluded", None)}),
    # -- after held_out_8's first run --
    # a cause exception: the limits hold for other causes only; the exception's own grades
    # are no limit
    (
        "Adequate organ function (bilirubin < 2 x ULN, AST and ALT <= 3 x ULN) unless judged "
        "to be related to leukaemic infiltration",
        "inclusion",
        {("bilirubin_max_uln", 2, "<"), ("ast_alt_max_uln", 3, "<=")},
    ),
    (
        "ECOG 0-1, unless PS of 2-3 based only on fracture pain",
        "inclusion",
        {("ecog_max", 1, "<=")},
    ),
    ("ALT =< 2.5 x ULN (unless due to haemolysis)", "inclusion", {("ast_alt_max_uln", 2.5, "<=")}),
    ("AST <= 3 x ULN, except when due to tumour", "inclusion", {("ast_alt_max_uln", 3, "<=")}),
    # a group of patients in brackets right after the value, a cause left out, an "or" to a
    # bound that is no number, a unit that read literally gives another value
    (
        "Creatinine clearance >= 50 mL/min (for patients with serum creatinine above normal)",
        "inclusion",
        {("crcl_min", 50, ">=")},
    ),
    (
        "Life expectancy of 2 years, excluding the cancer under study",
        "inclusion",
        {("life_expectancy_min_weeks", 104, ">=")},
    ),
    (
        "Platelets >= 75,000/mm3 or at least the lower limit of normal",
        "inclusion",
        {("platelets_min", 75, ">=")},
    ),
    ("Hemoglobin < 9 mg/dL", "exclusion", {("hemoglobin_min", 9, ">=")}),
    (
        "ANC >= 1.5 x 10^9/L; lower counts are allowed when caused by marrow infiltration",
        "inclusion",
        {("anc_min", 1.5, ">=")},
    ),
    # a test named right after "if" is the condition, not a limit; the limit before it has
    # a note
    (
        "ALT <= 3 x ULN if alkaline phosphatase is normal; alkaline phosphatase <= 5 x ULN if "
        "bilirubin is at or below ULN",
        "inclusion",
        {("ast_alt_max_uln", 3, "<=")},
    ),
    # a unit that, read literally, gives another value
    ("Platelet count > 75,000/L", "inclusion", {("platelets_min", 75, ">")}),
    ("ANC > 1,000/mL", "inclusion", {("anc_min", 1, ">")}),
    ("Hemoglobin >/= 10 gm/L", "inclusion", {("hemoglobin_min", 10, ">=")}),
    # "within normal institutional limits" only implies 1 x ULN
    (
        "Creatinine within normal institutional limits",
        "inclusion",
        {("creatinine_max_uln", 1, "<=")},
    ),
    # a limit under "if" another test is raised, and "For subjects with <test> ..., <limit>"
    (
        "If alkaline phosphatase is > 3 x ULN, AST (SGOT) and ALT (SGPT) must be < 2 x ULN",
        "inclusion",
        {("ast_alt_max_uln", 2, "<")},
    ),
    (
        "If alkaline phosphatase is > 3 x ULN with liver metastases, AST must be < 4 x ULN",
        "inclusion",
        {("ast_alt_max_uln_liver_mets", 4, "<")},
    ),
    (
        "For subjects with serum creatinine > 2.0 x ULN, creatinine clearance < 40 ml/min excludes",
        "exclusion",
        {("crcl_min", 40, ">=")},
    ),
    # alternatives written with the long names of the transaminases
    (
        "Total bilirubin < 2 x normal, or serum glutamic-oxaloacetic transaminase (SGOT) or "
        "serum glutamic pyruvic transaminase (SGPT) < 4 x normal",
        "inclusion",
        {("bilirubin_max_uln", 2, "<"), ("ast_alt_max_uln", 4, "<")},
    ),
]


@pytest.mark.parametrize(("text", "list_name", "expected"), NOTED_CASES + NOTED_AFTER_12)
def test_rule_noted(
    text: str, list_name: str, expected: set[tuple[str, object, str | None]]
) -> None:
    facts = facts_of(text, list_name)
    assert simple(facts) == expected
    assert all(f.note and f.quote in text for f in facts), facts


def test_criterion_after_an_open_if_clause_is_conditional() -> None:
    """ "Creatinine <= 1.5 mg/dL, or, if creatinine is higher," / "CrCl >= 60 mL/min": the
    parser split a condition from its threshold; the threshold keeps a note, and a closed
    bracket ("(... if liver metastases),") opens no condition."""
    split = [
        Criterion(text="Serum creatinine <= 1.5 mg/dL. Or, if serum creatinine > 1.5 mg/dL,"),
        Criterion(text="Calculated creatinine clearance >= 60 mL/min"),
    ]
    facts = extract_facts(Eligibility(inclusion=split))
    assert simple(facts) == {("crcl_min", 60, ">=")} and facts[0].note
    closed = [
        Criterion(text="AST <= 2.5 x ULN (or <= 5 x ULN if liver metastases are present),"),
        Criterion(text="Bilirubin <= 1.5 x ULN,"),
    ]
    facts = extract_facts(Eligibility(inclusion=closed))
    assert ("bilirubin_max_uln", 1.5, "<=") in simple(facts)
    assert all(f.note is None for f in facts), facts


def test_wrapped_line_keeps_the_permission_before_it() -> None:
    """ "Patients may also enter with a" / "single measurable lesion ...": a line the parser
    split off keeps the words of the sentence it continues; a whole sentence before does not."""
    split = [
        Criterion(text="Other patients may also enter with a"),
        Criterion(text="single measurable lesion seen on CT only. These patients count"),
    ]
    assert extract_facts(Eligibility(inclusion=split)) == []
    whole = [
        Criterion(text="Patients may also enter after surgery."),
        Criterion(text="measurable lesion seen on CT is required"),
    ]
    facts = extract_facts(Eligibility(inclusion=whole))
    assert simple(facts) == {("measurable_disease_required", True, None)}


def test_conditional_second_threshold_is_left_out() -> None:
    """ "(< 5 x ULN if hepatic impairment)" is neither the main AST/ALT limit nor the liver
    metastases one: only the main threshold is a fact, and it is plain."""
    facts = facts_of("ALT: < 2.5 x ULN (< 5x ULN if hepatic impairment is present).")
    assert simple(facts) == {("ast_alt_max_uln", 2.5, "<")}
    assert facts[0].note is None


def test_units_and_references() -> None:
    facts = extract_facts(
        Eligibility(
            inclusion=[
                Criterion(text="Adequate function:", children=[Criterion(text="ANC ≥ 1.5 G/L")]),
                Criterion(
                    number="2", text="Hb ≥ 9 g/dL", children=[Criterion(number="a", text="x")]
                ),
            ]
        )
    )
    assert [(f.kind, f.unit, f.criterion.number, f.criterion.path) for f in facts] == [
        ("anc_min", "10^9/L", "bullet 1, bullet 1", [1, 1]),
        ("hemoglobin_min", "g/dL", "2", [2]),
    ]
    rows = fact_rows(facts)
    assert [(r.value, r.where, r.anchor) for r in rows] == [
        ("≥ 1.5 × 10⁹/L", "inclusion bullet 1, bullet 1", "inclusion-1-1"),
        ("≥ 9 g/dL", "inclusion 2", "inclusion-2"),
    ]


def test_facts_are_in_the_public_json_of_every_reader() -> None:
    [polar] = read_file(POLAR)
    assert isinstance(polar, Trial)
    data = polar.model_dump(mode="json")["eligibility"]["facts"]
    assert {(f["kind"], json.dumps(f["value"]), f["criterion"]["number"]) for f in data} == {
        ("ecog_max", "1", "5"),
        ("pregnancy_excluded", "true", "9"),
    }
    assert Trial.model_validate(polar.model_dump(mode="json")) == polar


# -- pages ---------------------------------------------------------------------------------


def _examples() -> list[Trial]:
    out = []
    for path in (POLAR, PALMIRA):
        [trial] = read_file(path)
        assert isinstance(trial, Trial) and trial.eligibility.facts
        out.append(trial)
    return out


def _key_box(page: str) -> tuple[BeautifulSoup, Tag]:
    soup = BeautifulSoup(page, "html.parser")
    box = soup.find("section", class_="tp-key-elig")
    assert isinstance(box, Tag)
    return soup, box


@pytest.mark.parametrize("render", [render_trial, render_checklist])
def test_pages_show_each_fact_linked_to_its_criterion(render: object) -> None:
    trials = _examples()
    ctx = SiteContext(Corpus(trials))
    for trial in trials:
        soup, box = _key_box(render(trial, ctx))  # type: ignore[operator]
        rows = box.find_all("tr", class_="tp-key-fact")
        assert len(rows) == len(trial.eligibility.facts)
        for row, fact in zip(rows, trial.eligibility.facts, strict=True):
            link = row.find("a", class_="tp-fact-src")
            assert link.get_text() == f"{fact.criterion.list} {fact.criterion.number}"
            target = soup.find(id=link["href"].lstrip("#"))
            assert isinstance(target, Tag), link["href"]
            # the anchor is the criterion itself: its own text holds the quote
            own = target.find(class_="tp-crit-text")
            assert own is not None and fact.quote in own.get_text()
            assert row.find("q").get_text() == fact.quote
        # the box comes before every criterion on the page
        first = soup.find(class_=["tp-crit", "tp-check-item"])
        assert box.sourceline is not None and first is not None
        assert box.sourceline < first.sourceline


def test_page_without_facts_says_so() -> None:
    study = good_study("NCT99000950")
    criteria = "Inclusion Criteria:\n\n* Adults\n\nExclusion Criteria:\n\n* Smokers"
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = criteria
    [trial] = read_text(json.dumps(study), "good.json")
    assert isinstance(trial, Trial) and not trial.eligibility.facts
    _, box = _key_box(render_trial(trial, SiteContext(Corpus([trial]))))
    assert "was found in the criteria" in box.get_text()


def _hostile_trial() -> Trial:
    """Every payload in an exclusion criterion whose quote carries it."""
    study = good_study("NCT99000951")
    lines = ["Inclusion Criteria:", "", "* Adults", "", "Exclusion Criteria:", ""]
    lines += [f"* Pregnant women or {' '.join(p.text.split())}" for p in PAYLOADS]
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = "\n".join(lines)
    [trial] = read_text(json.dumps(study), "hostile.json")
    assert isinstance(trial, Trial)
    return trial


@pytest.mark.parametrize("render", [render_trial, render_checklist])
def test_hostile_quotes_stay_text(render: object) -> None:
    trial = _hostile_trial()
    facts = trial.eligibility.facts
    assert len(facts) == len(PAYLOADS)
    page = render(trial, SiteContext(Corpus([trial])))  # type: ignore[operator]
    _, box = _key_box(page)
    allowed = {"h2", "h3", "table", "thead", "tbody", "tr", "th", "td", "a", "q", "p", "span"}
    assert {el.name for el in box.find_all(True)} <= allowed
    assert all(
        set(el.attrs) <= {"class", "href", "scope", "dir", "id"} for el in box.find_all(True)
    )
    quotes = box.find_all("q")
    shown = [BeautifulSoup(escaping.html_text(f.quote), "html.parser").get_text() for f in facts]
    assert [q.get_text() for q in quotes] == shown
    raw = page[page.index('<section class="tp-key-elig"') :]
    for fact in facts:
        # encoded by the one sanitising table: no Markdown, Jinja or HTML sign left raw
        assert f'dir="auto">{escaping.html_text(fact.quote)}</q>' in raw
    assert any("<script>" in f.quote for f in facts)


def test_csv_cells_cannot_run_as_formulas(tmp_path: Path) -> None:
    study = good_study("NCT99000952")
    lines = ["Exclusion Criteria:", "", '* =HYPERLINK("http://evil.example","x") pregnant']
    lines += ["* @SUM(A1) Known brain metastases", "* -2+3 Pregnancy", "* +cmd| pregnant"]
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = "\n".join(lines)
    path = tmp_path / "formula.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    result = CliRunner().invoke(cli, ["facts", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["quote"][:2] for r in rows] == ["'=", "'@", "'-", "'+"]
    assert rows[0]["kind"] == "pregnancy_excluded" and rows[0]["criterion"] == "bullet 1"
    data = json.loads(CliRunner().invoke(cli, ["facts", str(path)]).output)
    assert [f["quote"][0] for f in data[0]["facts"]] == ["=", "@", "-", "+"]


def test_facts_command_reports_bad_records(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    result = CliRunner().invoke(cli, ["facts", str(POLAR), str(bad)])
    assert result.exit_code == 1
    assert [d["nct_id"] for d in json.loads(result.stdout)] == ["NCT03820830"]
    assert "bad.json" in result.stderr


# -- PDFs ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_brief_and_checklist_name_each_fact_and_its_source(tmp_path: Path) -> None:
    for trial in _examples():
        for kind, render in (("brief", pdf.render_brief), ("checklist", pdf.render_checklist)):
            path = tmp_path / f"{trial.nct_id}-{kind}.pdf"
            path.write_bytes(render(trial))
            doc = read_back(path)
            text = " ".join(doc.text.split())
            if kind == "brief":
                assert len(doc.pages) <= 2
            for row in fact_rows(trial.eligibility.facts):
                assert f"{row.label} {row.value}" in text, (kind, row)
                assert row.where in text, (kind, row)
            assert text.index("Key") < text.index("Inclusion criteria")


@pytest.mark.parametrize(("text", "list_name"), SILENT_AFTER_12)
def test_no_fact_after_twelfth_run(text: str, list_name: str) -> None:
    assert facts_of(text, list_name) == []


def test_cns_heading_gives_no_fact_of_its_own() -> None:
    """ "Brain metastases that are:" heads the items that say which ones exclude; read
    alone it would exclude all of them."""
    heading = Criterion(
        text="Brain metastases which are:",
        children=[Criterion(text="untreated, or"), Criterion(text="progressing on imaging")],
    )
    facts = extract_facts(Eligibility(exclusion=[heading]))
    assert all(f.criterion.path != [1] for f in facts), facts


# After the thirteenth measurement (LABELLING.md): the two categorical kinds are given only
# from plain shapes; everything else, however likely, gives nothing. Phrasings of our own.
SILENT_AFTER_13 = [
    # measurable disease: a quota, alternatives, a condition, a negation, a note, a cut line
    ("At least 30 of the 60 participants enrolled must have measurable disease", "inclusion"),
    ("75% of the patients in each cohort must have measurable disease", "inclusion"),
    ("Measurable disease per RECIST 1.1 or at least one osteolytic bone lesion", "inclusion"),
    ("At least one measurable lesion, or bone-only disease with lytic lesions", "inclusion"),
    ("Subjects who have measurable disease must have imaging within 21 days", "inclusion"),
    ("Assessable disease: a participant who does not have measurable lesions", "inclusion"),
    ("Skin lesions, in the absence of measurable disease elsewhere", "inclusion"),
    ("NOTE: patients enrolled later must have measurable disease", "inclusion"),
    ("Measurable lesion per RECIST 1.1, or", "inclusion"),
    # ... or a requirement inside a longer diagnosis, whose other parts may decide
    (
        "Relapsed solid tumour of a type resistant to therapy, with measurable disease by RECIST",
        "inclusion",
    ),
    ("Stratum 2 only: at least one measurable lesion", "inclusion"),
    # CNS: a note, another item's qualifier, "X or symptomatic Y", a reason, an example
    ("NOTE: subjects with prior brain metastases may enter if treated", "exclusion"),
    ("Active heart disease or known brain metastases", "exclusion"),
    ("Uncontrolled epilepsy or evidence of CNS metastases", "exclusion"),
    ("Known CNS metastases or symptomatic CNS disease", "exclusion"),
    ("Anticonvulsant medications for brain metastases within 14 days", "exclusion"),
    ("Steroids given for known brain metastases", "exclusion"),
    ("Palliative radiation to limited fields (e.g. brain metastases) within 2 weeks", "exclusion"),
    ("Brain metastases radiotherapy within the last 4 weeks", "exclusion"),
    ("CNS involvement by malignant disease", "exclusion"),
    ("Active CNS involvement by tumour cells", "exclusion"),
    ("Known brain involvement (in the absence of neurological symptoms, no scan)", "exclusion"),
    ("Stable neurological status without clinical evidence of brain metastases", "inclusion"),
    ("Cancer whose spread has reached the brain metastases stage", "exclusion"),
]


@pytest.mark.parametrize(("text", "list_name"), SILENT_AFTER_13)
def test_no_categorical_fact_after_thirteenth_run(text: str, list_name: str) -> None:
    kinds = {"cns_metastases", "measurable_disease_required"}
    assert [f for f in facts_of(text, list_name) if f.kind in kinds] == []


# Plain shapes still give their fact, and the numbers read after the thirteenth run.
PLAIN_AFTER_13 = [
    ("Participants must have at least one measurable lesion per RECIST 1.1", "inclusion"),
    ("Presence of one or more measurable lesions on CT", "inclusion"),
    ("Metastatic colorectal cancer with measurable disease", "inclusion"),
    ("Have measurable disease as defined by RECIST 1.1", "inclusion"),
    ("One or more bidimensionally measurable lesions", "inclusion"),
]


@pytest.mark.parametrize(("text", "list_name"), PLAIN_AFTER_13)
def test_plain_measurable_shapes_still_give_the_fact(text: str, list_name: str) -> None:
    facts = facts_of(text, list_name)
    assert [(f.kind, f.value, f.note) for f in facts] == [
        ("measurable_disease_required", True, None)
    ]


CNS_AFTER_13 = [
    ("Spinal cord compression or known brain metastases", "excluded"),
    ("Carcinomatous meningitis or brain metastases", "excluded"),
    ("Patients with lymphoma, active infection, CNS metastases", "excluded"),
    ("Subjects with active, untreated CNS metastases", "allowed_if_treated_stable"),
    ("Symptomatic or untreated leptomeningeal or brain metastases", "allowed_if_treated_stable"),
    ("Known brain metastases, unless treated and stable for 4 weeks", "allowed_if_treated_stable"),
    # a comma-or list: the qualifier is the other item's
    ("Brain metastases, or active spinal cord compression", "excluded"),
]


@pytest.mark.parametrize(("text", "value"), CNS_AFTER_13)
def test_plain_cns_shapes_still_give_the_fact(text: str, value: str) -> None:
    facts = facts_of(text, "exclusion")
    assert [(f.kind, f.value, f.note) for f in facts] == [("cns_metastases", value, None)]


def test_categorical_facts_under_a_heading_naming_a_part_are_left_out() -> None:
    """A heading naming a cohort, part, phase or stratum makes its items that part's only."""
    for heading in ("Cohort B (expansion):", "[Dose escalation part]", "Phase 2 only"):
        parent = Criterion(
            text=heading,
            children=[
                Criterion(text="At least one measurable lesion per RECIST 1.1"),
                Criterion(text="Known brain metastases"),
                Criterion(text="ECOG performance status 0-1"),
            ],
        )
        facts = extract_facts(Eligibility(inclusion=[parent], exclusion=[parent]))
        kinds = {f.kind for f in facts}
        assert "ecog_max" in kinds, facts  # the numeric kinds keep their own handling
        assert not kinds & {"cns_metastases", "measurable_disease_required"}, facts
    plain = Criterion(
        text="Adequate organ function:", children=[Criterion(text="No brain metastases")]
    )
    assert [f.kind for f in extract_facts(Eligibility(inclusion=[plain]))] == ["cns_metastases"]


NUMBERS_AFTER_13 = [
    # "109/L": 10^9/L whose superscript was lost, not a space-separated thousands
    ("Platelets ≥ 75 109/L", "inclusion", {("platelets_min", 75, ">=")}),
    ("ANC >= 1.0 109/L", "inclusion", {("anc_min", 1, ">=")}),
    # "mM" is mmol/L
    ("Haemoglobin of at least 5.6 mM", "inclusion", {("hemoglobin_min", 9.0, ">=")}),
    # a group of liver-metastases patients before a colon: their AST/ALT limit
    (
        "Patients with known liver metastases: ALT and AST ≤ 5 x ULN",
        "inclusion",
        {("ast_alt_max_uln_liver_mets", 5, "<=")},
    ),
]


@pytest.mark.parametrize(("text", "list_name", "expected"), NUMBERS_AFTER_13)
def test_numbers_after_thirteenth_run(
    text: str, list_name: str, expected: set[tuple[str, object, str | None]]
) -> None:
    facts = facts_of(text, list_name)
    assert simple(facts) == expected
    assert all(f.note is None for f in facts), facts


NOTED_AFTER_13 = [
    # Gilbert's and another cause after "unless"; "except" naming a disease
    (
        "Bilirubin ≤ 1.5 x ULN unless Gilbert's syndrome or haemolysis is present",
        "inclusion",
        {("bilirubin_max_uln", 1.5, "<=")},
    ),
    (
        "Total bilirubin ≤ 2 x ULN unless due to Gilbert's syndrome or to antiretroviral drugs",
        "inclusion",
        {("bilirubin_max_uln", 2, "<=")},
    ),
    ("AST/ALT ≤ 3 x ULN except hepatic infiltration", "inclusion", {("ast_alt_max_uln", 3, "<=")}),
    # a group before a colon, and a criterion cut where a condition starts
    (
        "Participants with mild renal impairment: creatinine clearance ≥ 50 mL/min",
        "inclusion",
        {("crcl_min", 50, ">=")},
    ),
    ("ECOG performance status ≤ 2 for", "inclusion", {("ecog_max", 2, "<=")}),
]


@pytest.mark.parametrize(("text", "list_name", "expected"), NOTED_AFTER_13)
def test_rule_noted_after_thirteenth_run(
    text: str, list_name: str, expected: set[tuple[str, object, str | None]]
) -> None:
    facts = facts_of(text, list_name)
    assert simple(facts) == expected
    assert all(f.note for f in facts), facts


# After the fourteenth measurement (LABELLING.md): classes of held_out_14's errors, each in
# phrasings of our own. Numbers read where a typing slip or a wording hid them, with no note.
NUMBERS_AFTER_14 = [
    # a decimal comma before a concentration; a comparator repeated after the multiplier
    ("Haemoglobin ≥ 6,2 mmol/L", "inclusion", {("hemoglobin_min", 10, ">=")}),
    ("Total bilirubin ≤ 2 x< ULN", "inclusion", {("bilirubin_max_uln", 2, "<=")}),
    # the liver-metastases qualifier belongs to the value after "OR" / "&", not to both
    (
        "AST and ALT ≤ 3 x ULN OR ≤ 5 x ULN for participants with hepatic metastases",
        "inclusion",
        {("ast_alt_max_uln", 3, "<="), ("ast_alt_max_uln_liver_mets", 5, "<=")},
    ),
    (
        "ALT/AST ≤ 2.5 x ULN & ≤ 5 x ULN if the patient has liver metastases",
        "inclusion",
        {("ast_alt_max_uln", 2.5, "<="), ("ast_alt_max_uln_liver_mets", 5, "<=")},
    ),
    # ... in a bracket right after the value, or in a sentence opening with the group
    (
        "AST and ALT ≤ 3 x ULN or ≤ 5 x ULN (in subjects with metastatic disease to the liver)",
        "inclusion",
        {("ast_alt_max_uln", 3, "<="), ("ast_alt_max_uln_liver_mets", 5, "<=")},
    ),
    (
        "AST and ALT ≤ 2.5 x ULN. For patients with liver metastases adequate hepatic function"
        " is AST ≤ 5 x ULN and ALT ≤ 5 x ULN",
        "inclusion",
        {("ast_alt_max_uln", 2.5, "<="), ("ast_alt_max_uln_liver_mets", 5, "<=")},
    ),
    (
        "For patients with hepatic metastases adequate liver function means AST ≤ 5 x ULN and"
        " ALT ≤ 5 ULN",
        "inclusion",
        {("ast_alt_max_uln_liver_mets", 5, "<=")},
    ),
    # words for the same tests and units
    (
        "Anticipated lifespan of at least 12 weeks",
        "inclusion",
        {("life_expectancy_min_weeks", 12, ">=")},
    ),
    ("Expected lifespan under 6 months", "exclusion", {("life_expectancy_min_weeks", 26, ">=")}),
    (
        "Life expectance of more than 3 months",
        "inclusion",
        {("life_expectancy_min_weeks", 13, ">")},
    ),
    (
        "ALT and AST < 2.5 times institutional normal limits",
        "inclusion",
        {("ast_alt_max_uln", 2.5, "<")},
    ),
    ("Serum bilirubin greater than (>) 2 × ULN", "exclusion", {("bilirubin_max_uln", 2, "<=")}),
    ("Plts ≥ 75,000/mm3", "inclusion", {("platelets_min", 75, ">=")}),
    (
        "Bilirubin < 1.5 of the upper limit of normal",
        "inclusion",
        {("bilirubin_max_uln", 1.5, "<")},
    ),
]


@pytest.mark.parametrize(("text", "list_name", "expected"), NUMBERS_AFTER_14)
def test_numbers_after_fourteenth_run(
    text: str, list_name: str, expected: set[tuple[str, object, str | None]]
) -> None:
    facts = facts_of(text, list_name)
    assert simple(facts) == expected
    assert all(f.note is None for f in facts if f.kind != "ast_alt_max_uln_liver_mets"), facts


# A limit with another way in after it, an exemption, or "for <something>": noted.
NOTED_AFTER_14 = [
    (
        "Hemoglobin ≥ 9 g/dL or no more than 1.5 g/dL below the lower limit of normal",
        "inclusion",
        {("hemoglobin_min", 9, ">=")},
    ),
    (
        "Platelets ≥ 75,000/mm3 or return to the baseline count",
        "inclusion",
        {("platelets_min", 75, ">=")},
    ),
    (
        "Creatinine clearance ≥ 45 mL/min as estimated with the Cockcroft-Gault equation or serum"
        " creatinine ≤ 1.8 mg/dL",
        "inclusion",
        {("crcl_min", 45, ">=")},
    ),
    (
        "ANC ≥ 1,000/mm3 (participants with marrow involvement need not meet this limit)",
        "inclusion",
        {("anc_min", 1, ">=")},
    ),
    (
        "Total bilirubin ≤ 1.5 x ULN (an isolated rise above this is acceptable if direct"
        " bilirubin is normal)",
        "inclusion",
        {("bilirubin_max_uln", 1.5, "<=")},
    ),
    (
        "Total bilirubin ≤ 2 x ULN; patients with hepatic infiltration will still be eligible"
        " with sponsor approval",
        "inclusion",
        {("bilirubin_max_uln", 2, "<=")},
    ),
    ("AST ≤ 2 x ULN for cisplatin", "inclusion", {("ast_alt_max_uln", 2, "<=")}),
    (
        "Creatinine clearance ≥ 60 mL/min for cisplatin-based regimens",
        "inclusion",
        {("crcl_min", 60, ">=")},
    ),
]


@pytest.mark.parametrize(("text", "list_name", "expected"), NOTED_AFTER_14)
def test_rule_noted_after_fourteenth_run(
    text: str, list_name: str, expected: set[tuple[str, object, str | None]]
) -> None:
    facts = facts_of(text, list_name)
    assert simple(facts) == expected
    assert all(f.note for f in facts), facts


# The categorical kinds: another way in after "measurable", people "eligible" without it; CNS
# involvement with malignancy, a note, a pointer to other criteria, a screening rule's
# "unless"; contraception worded as avoiding pregnancy.
SILENT_AFTER_14 = [
    ("Measurable metastatic disease or locally advanced and inoperable disease", "inclusion"),
    (
        "At least one measurable lesion per RECIST v1.1 or any other baseline requirement of"
        " the protocol",
        "inclusion",
    ),
    (
        "At least one measurable lesion per RECIST 1.1. Participants with skin-only disease are"
        " eligible if photographed with a ruler.",
        "inclusion",
    ),
    ("Current involvement of the central nervous system with malignant disease", "exclusion"),
    (
        "Relapsed lymphoma (NOTE: brain metastases are allowed in patients off steroids)",
        "exclusion",
    ),
    ("Patients with brain metastases not meeting the previous criteria are allowed", "exclusion"),
    (
        "Any distant metastases, including known brain metastases (a brain MRI is not required"
        " unless symptoms suggest it)",
        "exclusion",
    ),
    ("Must agree to take measures to avoid getting pregnant during treatment", "exclusion"),
    (
        "At least one measurable lesion per RECIST 1.1, except for participants with bone-only"
        " disease, who may be enrolled without a measureable lesion",
        "inclusion",
    ),
]


@pytest.mark.parametrize(("text", "list_name"), SILENT_AFTER_14)
def test_no_categorical_fact_after_fourteenth_run(text: str, list_name: str) -> None:
    kinds = {"cns_metastases", "measurable_disease_required", "pregnancy_excluded"}
    assert [f for f in facts_of(text, list_name) if f.kind in kinds] == []


PLAIN_AFTER_14 = [
    # plain shapes added after the fourteenth run: "all", "enrolled", "have evidence of", how
    "All participants must have measurable disease per RECIST 1.1",
    "Subjects enrolled must have measurable lesions per RECIST 1.1",
    "Have evidence of measurable disease per RECIST 1.1",
    "Radiographically measurable disease per RECIST 1.1",
    # an "or" between sizes, methods or sites of the same measurement is no alternative
    "Measurable disease per RECIST 1.1 by CT or MRI",
    "At least one measurable lesion ≥ 20 mm with conventional techniques or ≥ 10 mm with spiral CT",
    "Patients must have measurable disease in the breast and/or axillary nodes",
]


@pytest.mark.parametrize("text", PLAIN_AFTER_14)
def test_measurable_with_an_or_of_the_same_measurement(text: str) -> None:
    facts = facts_of(text, "inclusion")
    assert [(f.kind, f.value, f.note) for f in facts] == [
        ("measurable_disease_required", True, None)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Brain metastases must have been treated and stable for 4 weeks",
        "Patients with known CNS metastases must be adequately treated",
    ],
)
def test_cns_metastases_that_must_be_treated_are_admitted_if_treated(text: str) -> None:
    facts = facts_of(text, "inclusion")
    assert [(f.kind, f.value, f.note) for f in facts] == [
        ("cns_metastases", "allowed_if_treated_stable", None)
    ]


def test_clinically_active_cns_metastases_are_noted() -> None:
    facts = facts_of("Known clinically active brain metastases", "exclusion")
    assert [(f.kind, f.value, f.note) for f in facts] == [
        ("cns_metastases", "allowed_if_treated_stable", NOTE_IMPLIED)
    ]


def test_items_under_a_heading_naming_some_patients() -> None:
    """Under "For participants who ...:" or "... eligible provided:", numeric limits are
    noted and the categorical kinds are left out; "Adequate organ function:" is everyone."""
    for heading in (
        "For participants who will have a tumour biopsy:",
        "Subjects with treated brain metastases may enrol provided:",
    ):
        parent = Criterion(
            text=heading,
            children=[
                Criterion(text="Platelet count ≥ 100,000/mm3"),
                Criterion(text="ECOG performance status 0-1"),
                Criterion(text="At least one measurable lesion per RECIST 1.1"),
            ],
        )
        facts = [f for f in extract_facts(Eligibility(inclusion=[parent])) if f.criterion.path[1:]]
        assert {f.kind for f in facts} == {"platelets_min", "ecog_max"}, facts
        assert all(f.note for f in facts), facts
    everyone = Criterion(
        text="Adequate organ function as defined below:",
        children=[Criterion(text="Platelet count ≥ 100,000/mm3")],
    )
    facts = extract_facts(Eligibility(inclusion=[everyone]))
    assert [(f.kind, f.note) for f in facts] == [("platelets_min", None)]


def test_siblings_joined_by_a_dashed_or_are_alternatives() -> None:
    for joint in ("-- OR --", "---- OR-", "- or"):
        facts = extract_facts(
            Eligibility(
                inclusion=[
                    Criterion(text=f"Serum creatinine ≤ 1.5 x ULN {joint}"),
                    Criterion(text="eGFR ≥ 50 mL/min/1.73 m2"),
                ]
            )
        )
        assert simple(facts) == {("creatinine_max_uln", 1.5, "<="), ("crcl_min", 50, ">=")}
        assert all(f.note == NOTE_ALTERNATIVE for f in facts), facts


def test_measurable_heading_under_an_item_naming_it_gives_no_fact() -> None:
    """A heading that defines the measurable disease its parent already names is no second
    requirement; an item under it that is a plain requirement still is one."""
    parent = Criterion(
        text="Documented myeloma with measurable disease, defined as:",
        children=[
            Criterion(text="Measurable disease shown by one of these:"),
            Criterion(text="Serum M-protein ≥ 0.5 g/dL"),
        ],
    )
    facts = extract_facts(Eligibility(inclusion=[parent]))
    assert all(f.criterion.path != [1, 1] for f in facts), facts
    plain = Criterion(
        text="A minimum of one measurable lesion, as follows:",
        children=[Criterion(text="Have measurable disease per RECIST 1.1")],
    )
    facts = extract_facts(Eligibility(inclusion=[plain]))
    assert [1, 1] in [f.criterion.path for f in facts if f.kind == "measurable_disease_required"]
