"""Property-based tests: whatever text or JSON comes in, only RecordError may come out.

Three sources of input: arbitrary text, arbitrary JSON (recursive), and real studies
mutated (keys dropped, values replaced by other JSON, enumeration fields given random
strings). Every Trial that does come out must also serialise, because the CLI and the
site write it as JSON next.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialpress.errors import RecordError
from trialpress.models import Trial
from trialpress.readers import ctgov_json, read_text, registry_text

from .conftest import PALMIRA, POLAR, v2_studies
from .test_ctgov_json import in_extra

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: The smaller real studies (mutating the 1.5 MB one would only slow the suite down).
REAL = [s for _, s in v2_studies() if len(json.dumps(s)) < 40_000][:40]


def check(results: list[Trial | RecordError]) -> None:
    """Each result is a Trial or a RecordError, and each Trial serialises as UTF-8 JSON."""
    for result in results:
        assert isinstance(result, Trial | RecordError), type(result)
        if isinstance(result, Trial):
            json.dumps(result.model_dump(mode="json"), ensure_ascii=False).encode("utf-8")
            result.model_dump_json()


def only_record_errors(call: Any, *args: Any) -> None:
    try:
        results = call(*args)
    except RecordError:
        return
    check(results)


ANY_CHAR = st.characters() | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
TEXT = st.text(ANY_CHAR, max_size=400)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | st.text(ANY_CHAR, max_size=30)
    | st.sampled_from(["NCT01234567", "PHASE1", "RECRUITING", "2024-12", "Drug: X", ""])
)
KEYS = st.text(max_size=12) | st.sampled_from(
    ["protocolSection", "identificationModule", "nctId", "briefTitle", "studies", "hasResults"]
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=40,
)


@FAST
@given(TEXT)
def test_arbitrary_text(text: str) -> None:
    only_record_errors(read_text, text, "x")
    only_record_errors(ctgov_json.read, text, "x")
    # read_text refuses lone surrogates before any reader sees them; readers called
    # directly get what read_text would pass on.
    only_record_errors(registry_text.read, re.sub("[\ud800-\udfff]", "?", text), "x")


@FAST
@given(TEXT, TEXT)
def test_text_that_looks_like_a_registry_page(title: str, body: str) -> None:
    text = f"{title.splitlines()[0] if title.splitlines() else title}\nNCT ID: NCT01234567\n{body}"
    only_record_errors(read_text, text, "x")


@FAST
@given(JSON)
def test_arbitrary_json(value: Any) -> None:
    text = json.dumps(value)
    only_record_errors(read_text, text, "x")
    only_record_errors(read_text, json.dumps({"studies": [value]}), "x")
    only_record_errors(read_text, json.dumps([value, value]), "x")


@FAST
@given(JSON)
def test_arbitrary_json_inside_a_study(value: Any) -> None:
    """The reader's paths are reached: a valid study whose modules hold anything."""
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567", "briefTitle": "T"},
            "statusModule": value,
            "designModule": {"phases": value, "designInfo": value, "enrollmentInfo": value},
            "armsInterventionsModule": {"armGroups": [value], "interventions": value},
            "contactsLocationsModule": {"locations": [value, {"status": value}]},
            "eligibilityModule": value,
        },
        "hasResults": value,
    }
    only_record_errors(read_text, json.dumps(study), "x")


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value (keys and indices), containers included."""
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*path, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*path, i)))
    return out


REAL_PATHS = [[p for p in _paths(s) if p] for s in REAL]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_studies(data: st.DataObject) -> None:
    which = data.draw(st.integers(0, len(REAL) - 1), label="study")
    study = copy.deepcopy(REAL[which])
    paths = REAL_PATHS[which]
    for _ in range(data.draw(st.integers(1, 6), label="mutations")):
        path = data.draw(st.sampled_from(paths), label="path")
        parent: Any = study
        try:
            for step in path[:-1]:
                parent = parent[step]
            key = path[-1]
            parent[key]  # still there after earlier mutations?
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(parent, dict | list):  # an earlier mutation made it a string
            continue
        action = data.draw(st.sampled_from(["drop", "replace", "string"]), label="action")
        if action == "drop":
            del parent[key]
        elif action == "replace":
            parent[key] = data.draw(JSON, label="value")
        else:
            parent[key] = data.draw(st.text(ANY_CHAR, max_size=20), label="string")
    only_record_errors(read_text, json.dumps(study), "x")
    only_record_errors(read_text, json.dumps([study, REAL[0]]), "x")


@FAST
@given(st.binary(max_size=300))
def test_truncated_and_corrupted_real_json(junk: bytes) -> None:
    text = json.dumps(REAL[0])
    cut = len(junk) * 7 % len(text)
    only_record_errors(read_text, text[:cut] + junk.decode("latin-1"), "x")


EXAMPLE_LINES = [p.read_text(encoding="utf-8").split("\n") for p in (POLAR, PALMIRA)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_registry_pages(data: st.DataObject) -> None:
    """The two real registry pages with lines dropped, repeated, swapped or replaced."""
    lines = list(EXAMPLE_LINES[data.draw(st.integers(0, 1), label="page")])
    for _ in range(data.draw(st.integers(1, 8), label="mutations")):
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        action = data.draw(st.sampled_from(["drop", "repeat", "swap", "replace"]), label="do")
        if action == "drop" and len(lines) > 3:
            del lines[i]
        elif action == "repeat":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = data.draw(st.integers(0, len(lines) - 1), label="with")
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines[i] = data.draw(
                st.text(max_size=40)
                | st.sampled_from(["", "Inclusion Criteria", "1.", "Role: ", "NCT ID: x"]),
                label="text",
            )
    only_record_errors(read_text, "\n".join(lines), "x")


#: Keys whose string values are API v2 enumeration values (``type`` and ``class`` too,
#: wherever they occur: dates, arms, interventions, sponsors, references, ...).
ENUM_KEYS = {
    "overallStatus",
    "studyType",
    "allocation",
    "interventionModel",
    "primaryPurpose",
    "masking",
    "observationalModel",
    "timePerspective",
    "sex",
    "type",
    "class",
    "role",
    "status",
}


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _is_enum_path(study: dict[str, Any], path: tuple[Any, ...]) -> bool:
    if not path or path[0] != "protocolSection" or not isinstance(_get(study, path), str):
        return False
    last = path[-1]
    return (isinstance(last, str) and last in ENUM_KEYS) or (
        isinstance(last, int) and path[-2] in {"phases", "whoMasked"}
    )


REAL_ENUM_PATHS = [
    [p for p in paths if _is_enum_path(s, p)] for s, paths in zip(REAL, REAL_PATHS, strict=True)
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_strings_in_enum_fields_are_kept(data: st.DataObject) -> None:
    """A value outside the spec never costs the trial: it is kept in extra and warned about."""
    which = data.draw(st.integers(0, len(REAL) - 1), label="study")
    study = copy.deepcopy(REAL[which])
    path = data.draw(st.sampled_from(REAL_ENUM_PATHS[which]), label="path")
    value = data.draw(st.text(max_size=20), label="value")
    _get(study, path[:-1])[path[-1]] = value
    [trial] = read_text(json.dumps(study), "x")
    assert isinstance(trial, Trial)
    check([trial])
    dotted = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path).lstrip(".")
    if in_extra(dotted, value, trial.extra):  # kept at its path (or in a part kept whole)
        assert any(w.code in {"invalid-value", "unmapped-fields"} for w in trial.warnings)
    else:  # a spec value, or a free-text field (responsibleParty.type, identifier type)
        assert value in _strings(trial.model_dump(mode="json", exclude={"extra"}))


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*map(_strings, value)) if value else set()
    return set()
