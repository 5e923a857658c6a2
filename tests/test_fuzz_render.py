"""Fuzzing: generated records through both readers and every renderer.

Only the tool's own errors (``TrialpressError`` subclasses) may come out, and rendered
output never holds record text that contains ``<`` verbatim (it must be escaped for its
context). Records are built from strategies over a hostile alphabet: HTML, Markdown, Jinja
and MkDocs punctuation, bidi and control characters, emoji and long words.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile_corpus import PAYLOADS, good_study, good_text
from trialpress.errors import RecordError, TrialpressError
from trialpress.models import Trial
from trialpress.readers import read_text

HOSTILE_ALPHABET = st.sampled_from(
    [
        *"<>&\"'`*_[]{}#+-!|\\~^=:$%@;/.()?\n\t ",
        *["\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\ufeff", "\u2028", "\u202e"],
        *"aZ09éß漢字مرحباשלום🧪👩🏽\u200d⚕️",
    ]
)
#: Text mixing random hostile characters with whole payloads and ordinary words.
HOSTILE_TEXT = st.one_of(
    st.text(HOSTILE_ALPHABET, max_size=60),
    st.sampled_from([p.text.replace("MARK", "zq9999x") for p in PAYLOADS]),
    st.lists(
        st.one_of(
            st.sampled_from(["{{", "}}", "{%", "%}", "<script>", "-->", "--8<--", "!!! note"]),
            st.text(HOSTILE_ALPHABET, max_size=8),
            st.sampled_from(["Palbociclib", "≥ 18 years", "ECOG 0-1", "\\<60", "1.", "*"]),
        ),
        max_size=12,
    ).map(" ".join),
)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def only_own_errors(text: str, path: str) -> list[Trial]:
    """``read_text``; any error other than RecordError fails the test."""
    try:
        results = read_text(text, path)
    except RecordError:
        return []
    assert all(isinstance(r, Trial | RecordError) for r in results)
    return [r for r in results if isinstance(r, Trial)]


# --- readers ----------------------------------------------------------------------------------


@given(st.lists(st.tuples(st.integers(0, 400), HOSTILE_TEXT), max_size=8))
@SETTINGS
def test_registry_text_reader_with_hostile_lines(edits: list[tuple[int, str]]) -> None:
    lines = good_text("NCT99000950").split("\n")
    for index, text in edits:
        i = 3 + index % (len(lines) - 3)  # keep title / NCT ID / date lines
        lines[i] = text.replace("\n", " ")
    only_own_errors("\n".join(lines), "fuzz.txt")


JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), HOSTILE_TEXT),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(HOSTILE_TEXT, inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


STUDY_PATHS = [p for p in _paths(good_study("NCT99000951")) if len(p) >= 2]


@given(st.lists(st.tuples(st.sampled_from(STUDY_PATHS), JSON_VALUE), min_size=1, max_size=6))
@SETTINGS
def test_json_reader_with_hostile_values(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    study = good_study("NCT99000951")
    for path, value in edits:
        node: Any = study
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit changed the shape there
    only_own_errors(json.dumps(study, ensure_ascii=False), "fuzz.json")


# --- renderers --------------------------------------------------------------------------------

WORDS = st.text(HOSTILE_ALPHABET, min_size=1, max_size=40).filter(lambda s: s.strip() != "")
CRITERION = st.deferred(
    lambda: st.fixed_dictionaries(
        {
            "number": st.one_of(st.none(), st.sampled_from(["1", "2", "8.-10.", "a", "<b>"])),
            "text": HOSTILE_TEXT,
            "children": st.lists(CRITERION, max_size=2),
        }
    )
)
TRIAL = st.fixed_dictionaries(
    {
        "nct_id": st.just("NCT99000952"),
        "title": HOSTILE_TEXT,
        "official_title": st.one_of(st.none(), HOSTILE_TEXT),
        "acronym": st.one_of(st.none(), HOSTILE_TEXT),
        "summary": st.one_of(st.none(), HOSTILE_TEXT),
        "description": st.one_of(st.none(), HOSTILE_TEXT),
        "conditions": st.lists(WORDS, max_size=3),
        "keywords": st.lists(HOSTILE_TEXT, max_size=2),
        "arms": st.lists(
            st.fixed_dictionaries(
                {
                    "label": WORDS,
                    "description": HOSTILE_TEXT,
                    "interventions": st.lists(WORDS, max_size=2),
                }
            ),
            max_size=2,
        ),
        "interventions": st.lists(
            st.fixed_dictionaries(
                {
                    "name": WORDS,
                    "description": HOSTILE_TEXT,
                    "other_names": st.lists(WORDS, max_size=2),
                }
            ),
            max_size=2,
        ),
        "eligibility": st.fixed_dictionaries(
            {
                "minimum_age": st.one_of(st.none(), HOSTILE_TEXT),
                "inclusion": st.lists(CRITERION, max_size=3),
                "exclusion": st.lists(CRITERION, max_size=3),
                "raw_text": st.one_of(st.none(), HOSTILE_TEXT),
            }
        ),
        "sponsors": st.lists(st.fixed_dictionaries({"name": WORDS}), max_size=2),
        "officials": st.lists(
            st.fixed_dictionaries(
                {"name": WORDS, "affiliation": st.one_of(st.none(), HOSTILE_TEXT)}
            ),
            max_size=2,
        ),
        "locations": st.lists(
            st.fixed_dictionaries(
                {
                    "facility": st.one_of(st.none(), HOSTILE_TEXT),
                    "city": st.one_of(st.none(), WORDS),
                    "country": st.one_of(st.none(), WORDS),
                }
            ),
            max_size=3,
        ),
        "references": st.lists(
            st.fixed_dictionaries(
                {"citation": HOSTILE_TEXT, "pmid": st.one_of(st.none(), HOSTILE_TEXT)}
            ),
            max_size=2,
        ),
        "identifiers": st.lists(
            st.fixed_dictionaries(
                {
                    "id": WORDS,
                    "type": st.one_of(st.none(), st.sampled_from(["EUDRACT_NUMBER", "OTHER"])),
                }
            ),
            max_size=2,
        ),
        "related_trials": st.lists(
            st.fixed_dictionaries({"nct_id": WORDS, "title": st.one_of(st.none(), HOSTILE_TEXT)}),
            max_size=2,
        ),
        "warnings": st.lists(
            st.fixed_dictionaries({"code": WORDS, "message": HOSTILE_TEXT}), max_size=2
        ),
        "source": st.just({"format": "ctgov-json", "path": "fuzz.json"}),
    }
)


def record_strings(trial: Trial) -> list[str]:
    """Record strings that open a tag: these must never appear verbatim in output.

    Short ones are left out: ``<a`` is also in every page's own markup.
    """
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if len(value) >= 12 and re.search(r"<[a-zA-Z!/?]", value):
                out.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k != "source":
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(trial.model_dump(mode="json"))
    return out


@given(TRIAL)
@SETTINGS
def test_site_pages_render_only_own_errors_and_escape(data: dict[str, Any]) -> None:
    from trialpress.corpus import Corpus
    from trialpress.render import SiteContext, render_checklist, render_site, render_trial

    trial = Trial.model_validate(data)
    ctx = SiteContext(Corpus([trial]), pdf=frozenset({trial.nct_id}))
    try:
        pages = [render_trial(trial, ctx), render_checklist(trial, ctx), *render_site(ctx).values()]
    except TrialpressError:
        return
    hostile = record_strings(trial)
    for page in pages:
        leaked = [s for s in hostile if s in page]
        assert not leaked, leaked


@given(TRIAL)
@settings(SETTINGS, max_examples=25)
def test_pdf_html_renders_only_own_errors_and_escapes(data: dict[str, Any]) -> None:
    from trialpress.pdf import Options, get_renderer

    trial = Trial.model_validate(data)
    renderer = get_renderer()
    hostile = record_strings(trial)
    for kind in ("brief", "checklist"):
        try:
            html = renderer.html(trial, kind, Options())
        except TrialpressError:
            continue
        leaked = [s for s in hostile if s in html]
        assert not leaked, leaked


@pytest.mark.slow
@given(TRIAL)
@settings(SETTINGS, max_examples=4)
def test_a_few_real_pdfs_render(data: dict[str, Any]) -> None:
    import io

    from pypdf import PdfReader

    from trialpress.pdf import render_brief, render_checklist

    trial = Trial.model_validate(data)
    for render in (render_brief, render_checklist):
        try:
            pdf = render(trial)
        except TrialpressError:
            continue
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) >= 1
        # pypdf decodes some subset fonts as UTF-16 when a .notdef glyph is present (poppler
        # reads the same file cleanly): drop the NULs that leaves.
        text = "".join(p.extract_text() for p in reader.pages).replace("\x00", "")
        assert "NCT99000952" in text


def test_hostile_studies_round_trip_through_registry_text() -> None:
    """Every hostile JSON study, written as registry page text (the readers' test writer),
    reads back with no marker lost: payloads never shift the text reader's structure."""
    from tests.hostile_corpus import build_corpus
    from tests.registry_text_writer import write_registry_text

    for study in build_corpus().json_studies:
        nct = study["protocolSection"]["identificationModule"]["nctId"]
        (trial,) = only_own_errors(json.dumps(study, ensure_ascii=False), f"{nct}.json")
        text = write_registry_text(trial)
        (back,) = only_own_errors(text, f"{nct}.txt")
        lost = set(re.findall(r"zq\d{4}x", text)) - set(
            re.findall(r"zq\d{4}x", back.model_dump_json())
        )
        assert not lost, (nct, sorted(lost))

        # The format has one value per line: line breaks inside a value become spaces.
        def flat(values: list[str]) -> list[str]:
            return [" ".join(v.split()) for v in values]

        assert back.nct_id == nct and flat([back.title]) == flat([trial.title])
        assert flat(back.conditions) == flat(trial.conditions)
        assert flat([s.name for s in back.sponsors]) == flat([s.name for s in trial.sponsors])
        assert flat([c.text for c in back.eligibility.all_criteria()]) == flat(
            [c.text for c in trial.eligibility.all_criteria()]
        )
