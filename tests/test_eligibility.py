"""Criteria parser: source numbering, nesting, run-on items and warnings, nothing lost."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import PALMIRA, POLAR, v2_studies
from trialpress.eligibility import MAX_DEPTH, ParsedCriteria, parse_criteria, unescape
from trialpress.models import Criterion

Tree = list[Any]


def tree(criteria: list[Criterion]) -> Tree:
    """Criteria as nested ``(number, text)`` / ``(number, text, children)`` tuples."""
    out: Tree = []
    for c in criteria:
        if c.children:
            out.append((c.number, c.text, tree(c.children)))
        else:
            out.append((c.number, c.text))
    return out


def warnings(parsed: ParsedCriteria) -> list[tuple[str, int | None]]:
    return [(w.code, w.line) for w in parsed.warnings]


def flatten(criteria: list[Criterion]) -> list[Criterion]:
    return [c for top in criteria for c in top.walk()]


# A list marker anywhere it could stand: removed from both sides of the "nothing lost"
# comparison, because run-on lines are split at markers in the middle of a line.
_MARKER_ANYWHERE = re.compile(
    r"(?:(?<=\s)|^)(?:\d{1,3}\.-\d{1,3}\.?|\d{1,3}(?:\.\)|\.|\))|\d{1,3}\.(?=[A-Z])"
    r"|[ivxlcdm]{1,6}[.)]|[IVXLCDM]{1,6}[.)]|[a-zA-Z][.)]|[*+•\-o·▪])(?=\s|$|[A-Z])"
)
_PURE_HEADING = re.compile(
    r"^\s*(?:[*+•\-o·▪]\s+)?(?:#{1,6}\s*)?(?:\*\*|__)?\s*(?:key\s+)?(?:inclusion|exclusion)\s+criteria"
    r"\s*:?\s*(?:\*\*|__)?\s*:?\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", _MARKER_ANYWHERE.sub("", text))


def assert_nothing_lost(text: str, parsed: ParsedCriteria) -> None:
    """Criteria texts, in source order, are the source minus markers, escapes, space, headings.

    Source order is line order (a section may come before another); ``sorted`` is stable, so
    items split from one run-on line keep their order.
    """
    every = flatten([*parsed.other, *parsed.inclusion, *parsed.exclusion])
    got = "".join(_norm(c.text) for c in sorted(every, key=lambda c: c.line or 0))
    source = "\n".join(_PURE_HEADING.sub("", ln) for ln in unescape(text).split("\n"))
    assert got == _norm(source)


CASES: list[tuple[str, str, dict[str, Tree], list[tuple[str, int | None]]]] = [
    (
        "palmira-nested-numbering",
        "Inclusion Criteria\n2. Women as defined by:\n1. Age ≥60 years;\n"
        "2. Age \\<60 years;\n3. Oophorectomy.\n3. ECOG 0-1.\n4. Life expectancy.",
        {
            "inclusion": [
                (
                    "2",
                    "Women as defined by:",
                    [("1", "Age ≥60 years;"), ("2", "Age <60 years;"), ("3", "Oophorectomy.")],
                ),
                ("3", "ECOG 0-1."),
                ("4", "Life expectancy."),
            ]
        },
        [("list-starts-late", 2)],
    ),
    (
        "polar-bullets-first-then-bullets-under-colon-item",
        "Inclusion Criteria\n* breast;\n* chest wall;\n2. Completion of therapy:\n"
        "* excision;\n* radiotherapy\n3. Negative margins\nExclusion Criteria\n"
        "5. History of malignancy:\n* Patients diagnosed 5 years ago.\n* Others.\n"
        "6. Previous palbociclib",
        {
            "inclusion": [
                (None, "breast;"),
                (None, "chest wall;"),
                ("2", "Completion of therapy:", [(None, "excision;"), (None, "radiotherapy")]),
                ("3", "Negative margins"),
            ],
            "exclusion": [
                (
                    "5",
                    "History of malignancy:",
                    [(None, "Patients diagnosed 5 years ago."), (None, "Others.")],
                ),
                ("6", "Previous palbociclib"),
            ],
        },
        [("list-starts-late", 4), ("list-starts-late", 9)],
    ),
    (
        "plain-line-after-colon-item-is-its-child",
        "Exclusion Criteria\n16. Malabsorption.\n17. Any of the following within 6 months:\n"
        "myocardial infarction, angina.\n18. Electrolyte disorders of NCI-CTCAE v.5.0 grade ≥ 2.",
        {
            "exclusion": [
                ("16", "Malabsorption."),
                (
                    "17",
                    "Any of the following within 6 months:",
                    [(None, "myocardial infarction, angina.")],
                ),
                ("18", "Electrolyte disorders of NCI-CTCAE v.5.0 grade ≥ 2."),
            ]
        },
        [("list-starts-late", 2)],
    ),
    (
        "run-on-line-split-at-expected-numbers-only",
        "Inclusion Criteria\n7. HER2-negative.\n8.-10. Normal hematological function "
        "11. The patient agrees 12. Patients must start therapy 13.) Written Informed Consent",
        {
            "inclusion": [
                ("7", "HER2-negative."),
                ("8.-10.", "Normal hematological function"),
                ("11", "The patient agrees"),
                ("12", "Patients must start therapy"),
                ("13", "Written Informed Consent"),
            ]
        },
        [("list-starts-late", 2)],
    ),
    (
        "numbers-inside-text-are-not-split",
        "Inclusion Criteria:\n1. Dose of 2.5 mg up to grade 1. Patients measured by RECIST "
        "v.1.1 or version 3. Later\n2. Age 18 or 1. Other",
        {
            "inclusion": [
                (
                    "1",
                    "Dose of 2.5 mg up to grade 1. Patients measured by RECIST v.1.1 "
                    "or version 3. Later",
                ),
                ("2", "Age 18 or 1. Other"),
            ]
        },
        [],
    ),
    (
        "markdown-escapes-removed",
        "Inclusion Criteria:\n\n* Age \\<60 and \\>18, score \\[a\\] 5\\*3 a\\_b \\~ \\^2\n"
        "* C:\\path stays",
        {
            "inclusion": [
                (None, "Age <60 and >18, score [a] 5*3 a_b ~ ^2"),
                (None, "C:\\path stays"),
            ]
        },
        [],
    ),
    (
        "api-indentation-nesting-and-blank-lines",
        "Inclusion Criteria:\n\n1. Tissue:\n\n   1. A block.\n   2. A biopsy.\n"
        "2. Labs:\n\n    * ANC ≥ 1500\n    * Platelets\n3. ECOG 0-1\n\n"
        "Exclusion Criteria:\n\n* Pregnant\n  * or nursing\n* Allergy",
        {
            "inclusion": [
                ("1", "Tissue:", [("1", "A block."), ("2", "A biopsy.")]),
                ("2", "Labs:", [(None, "ANC ≥ 1500"), (None, "Platelets")]),
                ("3", "ECOG 0-1"),
            ],
            "exclusion": [(None, "Pregnant", [(None, "or nursing")]), (None, "Allergy")],
        },
        [],
    ),
    (
        "heading-variants-and-sub-headings",
        "Key Inclusion Criteria:\n\n* A\n\nInclusion Criteria for Cohort B:\n\n* B\n\n"
        "EXCLUSION CRITERIA:\n\n- C\n\nDisease-specific exclusion criteria:\n\n+ D",
        {
            "inclusion": [(None, "A"), (None, "Inclusion Criteria for Cohort B:"), (None, "B")],
            "exclusion": [(None, "C"), (None, "Disease-specific exclusion criteria:"), (None, "D")],
        },
        [],
    ),
    (
        "text-before-headings-goes-to-other",
        "Patients must meet all of these:\n\nInclusion Criteria:\n\n* A\n\n"
        "Exclusion criteria\n\n* B",
        {
            "other": [(None, "Patients must meet all of these:")],
            "inclusion": [(None, "A")],
            "exclusion": [(None, "B")],
        },
        [("text-outside-sections", 1)],
    ),
    (
        "no-headings-at-all",
        "* Adults\n* Smartphone owners",
        {"other": [(None, "Adults"), (None, "Smartphone owners")]},
        [("no-headings", 1)],
    ),
    (
        "numbering-gap-kept-and-reported",
        "Inclusion Criteria:\n1. A\n2. B\n4. D\n5. E",
        {"inclusion": [("1", "A"), ("2", "B"), ("4", "D"), ("5", "E")]},
        [("numbering-gap", 4)],
    ),
    (
        "letters-and-roman-numerals-nest-from-numbering",
        "Exclusion Criteria\n1. Any of:\na. heart\nb. lung:\ni. asthma\nii. COPD\nc. kidney\n"
        "2. Other",
        {
            "exclusion": [
                (
                    "1",
                    "Any of:",
                    [
                        ("a", "heart"),
                        ("b", "lung:", [("i", "asthma"), ("ii", "COPD")]),
                        ("c", "kidney"),
                    ],
                ),
                ("2", "Other"),
            ]
        },
        [],
    ),
    (
        "continuation-paragraphs",
        "Inclusion Criteria:\n\n* Hypertension\n\n  Note: treated counts.\n"
        "* Lazy\ncontinued here\n\n"
        "Pregnant people are eligible.\n\n* Last",
        {
            "inclusion": [
                (None, "Hypertension\n\nNote: treated counts."),
                (None, "Lazy\ncontinued here"),
                (None, "Pregnant people are eligible."),
                (None, "Last"),
            ]
        },
        [],
    ),
    (
        "restart-after-a-note-is-not-a-gap",
        "Inclusion Criteria:\n\nFor adolescents:\n\n1. A\n2. B\n\nFor parents:\n\n1. C\n2. D",
        {
            "inclusion": [
                (None, "For adolescents:"),
                ("1", "A"),
                ("2", "B"),
                (None, "For parents:"),
                ("1", "C"),
                ("2", "D"),
            ]
        },
        [],
    ),
    (
        "escaped-markers-and-lone-bullets",
        "Inclusion Criteria:\n\n7. G\n\n8\\. H\n\n9\\) I\n\n\\- J\n\n  -",
        {"inclusion": [("7", "G"), ("8", "H"), ("9", "I", [(None, "J")])]},
        [("list-starts-late", 3)],
    ),
    (
        "number-inside-a-bullet-and-accidental-indentation",
        "Exclusion Criteria:\n\n* 1. Unwilling\n\n  2. Allergy\n\n  3. Drug use:\n\n"
        "     1. cocaine",
        {
            "exclusion": [
                ("1", "Unwilling"),
                ("2", "Allergy"),
                ("3", "Drug use:", [("1", "cocaine")]),
            ]
        },
        [],
    ),
    (
        # "-  INCLUSION CRITERIA:" (legacy XML): a heading written as a bullet is a heading
        "heading-written-as-a-bullet",
        "-  INCLUSION CRITERIA:\n\n  -  Age 18-55\n\n-  EXCLUSION CRITERIA:\n\n  -  Pregnancy",
        {"inclusion": [(None, "Age 18-55")], "exclusion": [(None, "Pregnancy")]},
        [],
    ),
    (
        # "* T. bilirubin": an abbreviation, not item T of a lettered list
        "abbreviation-is-not-a-letter-item",
        "Inclusion Criteria:\n\n9. Lab values:\n\n   * Hemoglobin >= 8\n"
        "   * T. bilirubin < 1.5 x ULN\n   * Creatinine < 1.5 x ULN\nT. cruzi infection excluded",
        {
            "inclusion": [
                (
                    "9",
                    "Lab values:",
                    [
                        (None, "Hemoglobin >= 8"),
                        (None, "T. bilirubin < 1.5 x ULN"),
                        (None, "Creatinine < 1.5 x ULN\nT. cruzi infection excluded"),
                    ],
                )
            ]
        },
        [("list-starts-late", 3)],
    ),
    (
        # a lettered list goes on, whatever the case of the word after the letter
        "letter-items-that-continue-a-list",
        "Inclusion Criteria:\n\nA. Adults\nB. signed consent\nC. adequate function\n"
        "7. starts at seven",
        {
            "inclusion": [
                ("A", "Adults"),
                ("B", "signed consent"),
                ("C", "adequate function"),
                ("7", "starts at seven"),
            ]
        },
        [("list-starts-late", 6)],
    ),
    (
        "empty-heading-warns",
        "Inclusion Criteria:\n\n* A\n\nExclusion Criteria:\n",
        {"inclusion": [(None, "A")]},
        [("empty-section", 5)],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected", "warns"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_parse_cases(text: str, expected: dict[str, Tree], warns: list[tuple[str, int]]) -> None:
    parsed = parse_criteria(text)
    for section in ("other", "inclusion", "exclusion"):
        assert tree(getattr(parsed, section)) == expected.get(section, []), section
    assert warnings(parsed) == warns
    assert_nothing_lost(text, parsed)


def test_warning_message_names_the_start() -> None:
    parsed = parse_criteria("Inclusion Criteria\n2. B\n3. C")
    assert parsed.warnings[0].message == (
        "inclusion list starts at item 2 in the source; numbering kept"
    )


def test_first_line_offsets_every_line_number() -> None:
    parsed = parse_criteria(
        "Inclusion Criteria\n1. A\n2. B 3. C\nExclusion Criteria\n2. D", first_line=69
    )
    assert [(c.number, c.line) for c in flatten(parsed.inclusion)] == [
        ("1", 70),
        ("2", 71),
        ("3", 71),
    ]
    assert [(c.number, c.line) for c in parsed.exclusion] == [("2", 73)]
    assert warnings(parsed) == [("list-starts-late", 73)]


def test_nesting_depth_is_capped_and_nothing_is_lost() -> None:
    text = "Inclusion Criteria:\n" + "\n".join(" " * i + f"* level {i}" for i in range(200))
    parsed = parse_criteria(text)
    depth, node = 0, parsed.inclusion
    while node:
        depth += 1
        node = node[-1].children
    assert depth == MAX_DEPTH
    assert len(flatten(parsed.inclusion)) == 200
    assert_nothing_lost(text, parsed)


def test_empty_text() -> None:
    parsed = parse_criteria("")
    assert (parsed.other, parsed.inclusion, parsed.exclusion, parsed.warnings) == ([], [], [], [])


def test_crlf_line_ends_are_whitespace() -> None:
    parsed = parse_criteria("Inclusion Criteria:\r\n1. A\r\n2. B\r\n")
    assert tree(parsed.inclusion) == [("1", "A"), ("2", "B")]


def _registry_section(path: Any) -> tuple[str, int]:
    lines = path.read_text(encoding="utf-8").split("\n")
    start = lines.index("Inclusion Criteria")
    end = next(i for i in range(start, len(lines)) if lines[i] == "18 Years")
    return "\n".join(lines[start:end]), start + 1


def test_polar_criteria_from_the_record() -> None:
    text, first = _registry_section(POLAR)
    parsed = parse_criteria(text, first_line=first)
    assert [(c.number, c.line) for c in parsed.inclusion] == [
        (None, 70),
        (None, 71),
        (None, 72),
        ("2", 73),
        ("3", 76),
        ("4", 77),
        ("5", 78),
        ("6", 79),
        ("7", 80),
        ("8.-10.", 81),
        ("11", 81),
        ("12", 81),
        ("13", 81),
    ]
    assert [c.number for c in parsed.exclusion] == [str(n) for n in range(2, 13)]
    assert len(parsed.exclusion[3].children) == 2
    assert parsed.inclusion[-1].text == "Written Informed Consent prior to randomization"
    assert warnings(parsed) == [("list-starts-late", 73), ("list-starts-late", 83)]
    assert_nothing_lost(text, parsed)


def test_palmira_criteria_from_the_record() -> None:
    text, first = _registry_section(PALMIRA)
    parsed = parse_criteria(text, first_line=first)
    assert [c.number for c in parsed.inclusion] == [str(n) for n in range(2, 19)]
    assert [(c.number, c.line) for c in parsed.inclusion[0].children] == [
        ("1", 62),
        ("2", 63),
        ("3", 64),
    ]
    assert parsed.inclusion[0].children[1].text.startswith("Age <60 years and cessation")
    assert [c.number for c in parsed.exclusion] == [str(n) for n in range(2, 20)]
    seventeen = parsed.exclusion[15]
    assert seventeen.number == "17"
    assert [(c.number, c.line) for c in seventeen.children] == [(None, 98)]
    assert_nothing_lost(text, parsed)


STUDIES = v2_studies()


@pytest.mark.parametrize("study", [s for _, s in STUDIES], ids=[n for n, _ in STUDIES])
def test_api_eligibility_text_loses_and_invents_nothing(study: dict[str, Any]) -> None:
    text = study["protocolSection"].get("eligibilityModule", {}).get("eligibilityCriteria", "")
    parsed = parse_criteria(text)
    assert_nothing_lost(text, parsed)
    lines = unescape(text).split("\n")
    for crit in flatten([*parsed.other, *parsed.inclusion, *parsed.exclusion]):
        # Each criterion starts on the line it names.
        assert crit.line is not None
        head = crit.text.split("\n")[0][:25]
        assert head in lines[crit.line - 1], (crit.line, head)
    for w in parsed.warnings:
        assert w.line is not None and 1 <= w.line <= len(lines)


def test_api_studies_have_criteria_in_sections() -> None:
    """Almost every API text has both headings; the parse must find them."""
    both = 0
    for _, study in STUDIES:
        text = study["protocolSection"].get("eligibilityModule", {}).get("eligibilityCriteria")
        parsed = parse_criteria(text or "")
        both += bool(parsed.inclusion and parsed.exclusion)
    assert both >= 220


def test_longest_api_text_keeps_its_structure() -> None:
    study = dict(STUDIES)["NCT05798663"]
    text = study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    assert len(text) > 19000
    parsed = parse_criteria(text)
    assert [c.number for c in parsed.inclusion[:4]] == ["1", "2", "3", "4"]
    assert [c.number for c in parsed.inclusion[2].children] == ["1", "2", "3"]
    assert len(parsed.inclusion[10].children) == 13
    assert parsed.inclusion[10].children[0].text == "ANC ≥ 1500 cells/µL"


_LINE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "Inclusion Criteria:",
            "Exclusion Criteria",
            "* item",
            "  * nested",
            "1. one",
            "2. two:",
            "   1. sub",
            "i. roman",
            "a) letter",
            "8.-10. range 11. next",
            "",
            "plain text",
            "\\- escaped",
        ]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=25))
def test_arbitrary_text_never_raises_and_keeps_text(lines: list[str]) -> None:
    text = "\n".join(lines)
    parsed = parse_criteria(text)
    assert_nothing_lost(text, parsed)
