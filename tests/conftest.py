"""Shared fixtures: where the shared data lives (beside the checkout, never copied in)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
REGISTRY_TEXT = SHARED / "registry-text"
V2_JSON = SHARED / "ctgov" / "v2-json"
SPEC = SHARED / "ctgov-spec" / "ctg-oas-v2.yaml"
POLAR = REGISTRY_TEXT / "NCT03820830.txt"
PALMIRA = REGISTRY_TEXT / "NCT03809988.txt"


def v2_study_files() -> list[Path]:
    """Every API v2 JSON file under the shared data."""
    return sorted(V2_JSON.rglob("*.json"))


def v2_studies() -> list[tuple[str, dict]]:
    """(test id, study dict) for all 238 API v2 studies, arrays unpacked."""
    out: list[tuple[str, dict]] = []
    for path in v2_study_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        studies = data if isinstance(data, list) else [data]
        for study in studies:
            nct = study["protocolSection"]["identificationModule"]["nctId"]
            out.append((nct, study))
    return out


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared data folder; fail loudly (not skip) when it is missing."""
    assert SHARED.is_dir(), f"shared data not found at {SHARED}: clone beside ../shared"
    return SHARED
