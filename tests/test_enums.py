"""The model's enumerations are exactly the API v2 spec's."""

from __future__ import annotations

import pytest
import yaml

from trialpress.enums import SPEC_NAMES

from .conftest import SPEC


@pytest.fixture(scope="module")
def spec_schemas() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]


@pytest.mark.parametrize("enum_cls", list(SPEC_NAMES), ids=lambda c: c.__name__)
def test_enum_matches_spec(enum_cls: type, spec_schemas: dict) -> None:
    spec_values = spec_schemas[SPEC_NAMES[enum_cls]]["enum"]
    assert [m.value for m in enum_cls] == spec_values
