"""The hostile and broken corpora themselves: every category present, markers unique.

The terminal summary (``pytest_terminal_summary`` in conftest) prints how many hostile and
broken cases the suite tried and how their tests came out.
"""

from __future__ import annotations

import json
from collections import Counter

from tests.hostile_corpus import (
    BROKEN_CASES,
    CATEGORIES,
    JS_PHONE,
    PAYLOADS,
    build_corpus,
)

REQUIRED_CATEGORIES = {
    "html",
    "link",
    "markdown",
    "jinja",
    "mkdocs",
    "long",
    "bidi",
    "emoji",
    "control",
    "path",
    "json",
}


def test_every_hostile_category_is_present_and_placed() -> None:
    corpus = build_corpus()
    assert set(CATEGORIES) == REQUIRED_CATEGORIES
    placed = Counter(c.payload.name for c in corpus.cases)
    assert {p.name for p in PAYLOADS} == set(placed), "a payload never lands in a record"
    assert Counter(c.fmt for c in corpus.cases).keys() == {
        "ctgov-json",
        "registry-text",
        "ctgov-xml",
    }
    print(f"\nhostile cases: {len(corpus.cases)} placements of {len(PAYLOADS)} payloads")


def test_markers_are_unique_and_present_in_the_files() -> None:
    corpus = build_corpus()
    markers = [c.marker for c in corpus.cases]
    assert len(markers) == len(set(markers))
    blob = json.dumps(corpus.json_studies, ensure_ascii=False) + "".join(corpus.texts.values())
    blob += "".join(corpus.xml_texts.values())
    missing = [m for m in markers if m not in blob]
    assert not missing


def test_benign_twin_has_the_same_placements_without_payloads() -> None:
    hostile, benign = build_corpus(), build_corpus(benign=True)
    assert [c.marker for c in hostile.cases] == [c.marker for c in benign.cases]
    text = json.dumps(benign.json_studies) + "".join(benign.texts.values())
    text += "".join(benign.xml_texts.values())
    assert "<script" not in text and "javascript:window" not in text.replace(
        '"link": "javascript:window.__pwned=17"', ""
    ).replace('"url": "javascript:window.__pwned=18"', "")
    assert JS_PHONE in json.dumps(hostile.json_studies) and JS_PHONE not in text


def test_registry_text_payloads_stay_on_one_line() -> None:
    corpus = build_corpus()
    for case in corpus.cases:
        if case.fmt == "registry-text":
            assert "\n" not in case.text and "\r" not in case.text, case.marker


def test_broken_cases_are_named_and_distinct() -> None:
    names = [c.name for c in BROKEN_CASES]
    assert len(names) == len(set(names))
    assert {c.expect for c in BROKEN_CASES} == {"error", "ok", "error-or-warning"}
    print(f"\nbroken cases: {len(BROKEN_CASES)}")
