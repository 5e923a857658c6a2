"""Shared fixtures: where the shared data lives (beside the checkout, never copied in)."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Registered here once for every module: one Chromium and one Playwright per process.
from tests.browser import browser, page  # noqa: F401
from trialpress.models import Trial

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
REGISTRY_TEXT = SHARED / "registry-text"
V2_JSON = SHARED / "ctgov" / "v2-json"
LEGACY_XML = SHARED / "ctgov" / "legacy-xml"
SPEC = SHARED / "ctgov-spec" / "ctg-oas-v2.yaml"
POLAR = REGISTRY_TEXT / "NCT03820830.txt"
PALMIRA = REGISTRY_TEXT / "NCT03809988.txt"


# A shell starts its background jobs with SIGINT ignored, and Python (and trialpress, rightly)
# keeps an ignored SIGINT ignored: a test that stops a build with SIGINT gives it the handler
# a terminal's Ctrl-C would find, whoever started the suite.
def default_sigint() -> None:
    """SIGINT at its default, for a child process (``preexec_fn``): Python then raises
    KeyboardInterrupt on it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def terminal_sigint() -> Iterator[None]:
    """This process raises KeyboardInterrupt on SIGINT while the body runs."""
    kept = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, kept)


def read_trials(*paths: Path) -> list[Trial]:
    """Every trial under ``paths``; a record error fails the test that asked."""
    from trialpress.readers import read_paths

    out: list[Trial] = []
    for result in read_paths(paths):
        assert isinstance(result, Trial), str(result)
        out.append(result)
    return out


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


# --- hostile and broken input summary (issue 6) ----------------------------------------------

_HOSTILE_MODULES = ("test_injection.py", "test_fuzz_render.py", "test_hostile_summary.py")
_BROKEN_MODULES = ("test_broken_input.py", "test_build_failure.py")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many hostile and broken cases the run tried and how their tests came out."""
    from tests.hostile_corpus import BROKEN_CASES, PAYLOADS, build_corpus

    outcomes: dict[str, dict[str, int]] = {"hostile": {}, "broken": {}}
    for key in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(key, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") not in ("call", "setup") or not nodeid:
                continue
            if key == "passed" and getattr(report, "when", "") != "call":
                continue
            group = (
                "hostile"
                if any(m in nodeid for m in _HOSTILE_MODULES)
                else "broken"
                if any(m in nodeid for m in _BROKEN_MODULES)
                else None
            )
            if group:
                outcomes[group][key] = outcomes[group].get(key, 0) + 1
    if not any(outcomes.values()):
        return
    cases = len(build_corpus().cases)

    def fmt(group: str) -> str:
        return ", ".join(f"{n} {k}" for k, n in sorted(outcomes[group].items())) or "not run"

    terminalreporter.section("hostile and broken input")
    terminalreporter.write_line(
        f"hostile cases: {cases} placements of {len(PAYLOADS)} payloads; tests: {fmt('hostile')}"
    )
    terminalreporter.write_line(f"broken cases: {len(BROKEN_CASES)} files; tests: {fmt('broken')}")
