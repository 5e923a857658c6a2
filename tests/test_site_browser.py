"""The built site in headless Chromium: checklist verdicts, table sorting and filtering,
no console errors, no request to another host, no script from record text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import browser, page, serve_dir  # noqa: F401  (fixtures)
from tests.sample_trials import PALMIRA_ID, POLAR_ID, hostile_trial
from tests.site_helpers import BuiltSite, built_site

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site: BuiltSite = built_site(tmp_path_factory)
    with serve_dir(site.root) as url:
        yield url


def _clean(pg: Any) -> None:
    log = pg.tp_log
    assert log.console_errors == []
    assert log.page_errors == []
    assert log.dialogs == []
    assert log.foreign_requests == []


def _tick(pg: Any, crit_id: str, value: str) -> None:
    pg.check(f"input[name='{crit_id}'][value='{value}']")


def _verdict(pg: Any) -> str:
    return str(pg.locator("#tp-verdict").inner_text())


def test_checklist_verdicts(page: Any, base_url: str) -> None:  # noqa: F811
    # PALMIRA sample: other-1; inclusion-1 (2.) with -1-1..-1-3; inclusion-2 (3.);
    # exclusion-1 (1.), exclusion-2 (17.) with exclusion-2-1.
    page.goto(f"{base_url}checklists/{PALMIRA_ID}/")
    assert _verdict(page) == "9 criteria not answered yet"
    inclusion = ["inclusion-1", "inclusion-1-1", "inclusion-1-2", "inclusion-1-3", "inclusion-2"]
    for cid in inclusion:
        _tick(page, cid, "met")
    assert _verdict(page) == "All inclusion criteria met so far; 4 criteria not answered yet"
    _tick(page, "exclusion-2", "met")
    assert _verdict(page) == "Not eligible: exclusion 17 met"
    _tick(page, "inclusion-2", "not-met")
    assert _verdict(page) == "Not eligible: inclusion 3 not met, exclusion 17 met"
    _tick(page, "inclusion-2", "met")
    _tick(page, "exclusion-2", "not-met")
    _tick(page, "exclusion-1", "unknown")
    _tick(page, "exclusion-2-1", "unknown")
    _tick(page, "other-1", "unknown")
    assert _verdict(page) == "All inclusion criteria met so far; 3 criteria unknown"
    for cid in ("exclusion-1", "exclusion-2-1"):
        _tick(page, cid, "not-met")
    _tick(page, "other-1", "met")
    assert _verdict(page) == ("Eligible: all inclusion criteria met and no exclusion criterion met")
    page.click("#tp-checklist button[type=reset]")
    page.wait_for_function(
        "document.getElementById('tp-verdict').textContent.startsWith('9 criteria')"
    )
    _clean(page)


def test_checklist_works_by_keyboard(page: Any, base_url: str) -> None:  # noqa: F811
    page.goto(f"{base_url}checklists/{POLAR_ID}/")
    first = page.locator("input[name='inclusion-1'][value='met']")
    first.focus()
    page.keyboard.press("Space")
    assert first.is_checked()
    page.keyboard.press("ArrowRight")  # moves within the radio group
    assert page.locator("input[name='inclusion-1'][value='not-met']").is_checked()
    assert _verdict(page).startswith("Not eligible: inclusion •1 not met")
    # Labels name each box: clicking the label text ticks it.
    page.get_by_text("Unknown").first.click()
    assert page.locator("input[name='inclusion-1'][value='unknown']").is_checked()
    _clean(page)


def test_trial_pages_have_no_console_errors(page: Any, base_url: str) -> None:  # noqa: F811
    for nct in (POLAR_ID, PALMIRA_ID, hostile_trial().nct_id):
        page.goto(f"{base_url}trials/{nct}/")
        assert page.locator("h1").count() == 1
        _clean(page)
    page.goto(f"{base_url}checklists/{hostile_trial().nct_id}/")
    page.check("input[name='inclusion-1'][value='not-met']")
    assert "Not eligible: inclusion 1 not met" in _verdict(page)
    _clean(page)


def _column(pg: Any, index: int) -> list[str]:
    cells = pg.locator(f"#tp-trials tbody tr:not([hidden]) td:nth-child({index})")
    return [str(t).strip() for t in cells.all_inner_texts()]


def test_index_table_sorts_and_filters(page: Any, base_url: str) -> None:  # noqa: F811
    page.goto(f"{base_url}trials/")
    ids = _column(page, 1)
    assert sorted(ids) == sorted([POLAR_ID, PALMIRA_ID, hostile_trial().nct_id])
    page.click("#tp-trials th:nth-child(1) button")
    assert _column(page, 1) == sorted(ids)
    page.click("#tp-trials th:nth-child(1) button")
    assert _column(page, 1) == sorted(ids, reverse=True)
    assert page.locator("#tp-trials th:nth-child(1)").get_attribute("aria-sort") == "descending"
    page.click("#tp-trials th:nth-child(5) button")  # enrollment, numeric
    counts = [int(c) for c in _column(page, 5)]
    assert counts == sorted(counts) == [10, 198, 405]
    page.fill("#tp-filter-input", "palmira")
    assert _column(page, 1) == [PALMIRA_ID]
    assert page.locator(".tp-filter-count").inner_text() == "1 trial shown"
    page.fill("#tp-filter-input", "breast spain")
    assert sorted(_column(page, 1)) == sorted([POLAR_ID, PALMIRA_ID])
    page.fill("#tp-filter-input", "")
    assert len(_column(page, 1)) == 3
    _clean(page)


def test_index_table_works_without_javascript(browser: Any, base_url: str) -> None:  # noqa: F811
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto(f"{base_url}trials/")
        assert pg.locator("#tp-trials tbody tr").count() == 3
        assert not pg.locator(".tp-filter").is_visible()
        pg.click(f"#tp-trials a:text('{POLAR_ID}')")
        assert pg.url.endswith(f"/trials/{POLAR_ID}/")
    finally:
        context.close()
