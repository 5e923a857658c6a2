"""Pretty JSON: the fast encoder writes what ``json.dumps(indent=2)`` writes, for real
trials, their FHIR resources and their key-sorted history form."""

from __future__ import annotations

import json
import math

import pytest

from tests.conftest import LEGACY_XML, V2_JSON, read_trials
from trialpress import fhir, jsontext
from trialpress.history import stored_form
from trialpress.models import Trial


@pytest.fixture(scope="module")
def trials() -> list[Trial]:
    out = read_trials(V2_JSON, LEGACY_XML)
    assert len(out) > 300
    return out


def test_every_shared_trial_is_written_as_the_standard_library_writes_it(
    trials: list[Trial],
) -> None:
    for trial in trials:
        data = trial.model_dump(mode="json")
        assert jsontext.pretty(data) == json.dumps(data, indent=2, ensure_ascii=False)
        resource = fhir.research_study(trial)
        assert jsontext.pretty(resource) == json.dumps(resource, indent=2, ensure_ascii=False)
        stored = stored_form(trial)
        assert jsontext.pretty(stored, sort_keys=True) == json.dumps(
            stored, indent=2, ensure_ascii=False, sort_keys=True
        )


@pytest.mark.parametrize(
    "value",
    [
        {"b": [{"z": 1, "a": None}, []], "a": {}, "é": '\u2028</script>\x00\x1f\x7f"\\'},
        [1e-05, 2.5e-07, 1e16, 1e22, -0.0, 0.1, 2**64, -(2**63) - 1],
        "\U0001f600 tab\t newline\n",
    ],
)
def test_edge_values_read_back_unchanged(value: object) -> None:
    for sort_keys in (False, True):
        text = jsontext.pretty(value, sort_keys=sort_keys)
        assert json.loads(text) == value
        if sort_keys and isinstance(value, dict):
            assert list(json.loads(text)) == sorted(value)


def test_floats_differ_from_the_standard_library_only_in_spelling() -> None:
    text = jsontext.pretty([1e-05, 2.872769291663153e-05])
    assert json.loads(text) == [1e-05, 2.872769291663153e-05]
    assert text != json.dumps([1e-05, 2.872769291663153e-05], indent=2)  # documented


def test_not_a_number_is_written_as_the_standard_library_writes_it() -> None:
    text = jsontext.pretty({"x": math.nan, "y": math.inf})
    assert text == json.dumps({"x": math.nan, "y": math.inf}, indent=2)


def test_text_the_fast_encoder_refuses_falls_back_to_the_standard_library() -> None:
    value = {"b": "lone \ud800 surrogate", "a": 1}
    assert jsontext.pretty(value, sort_keys=True) == json.dumps(
        value, indent=2, ensure_ascii=False, sort_keys=True
    )
