"""The built site in headless Chromium: checklist verdicts, table sorting and filtering,
no console errors, no request to another host, no script from record text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import serve_dir
from tests.sample_trials import PALMIRA_ID, POLAR_ID, hostile_trial
from tests.site_helpers import BuiltSite, built_site
from trialpress.models import Trial
from trialpress.render import criteria_view, walk_views

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return built_site(tmp_path_factory)


@pytest.fixture(scope="module")
def base_url(site: BuiltSite) -> Iterator[str]:
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


def _ids(trial: Trial, kind: str) -> list[tuple[str, str]]:
    views = criteria_view(kind, getattr(trial.eligibility, kind))
    return [(str(v.id), v.ref) for v in walk_views(views)]


def test_checklist_verdicts(page: Any, base_url: str, site: BuiltSite) -> None:
    trial = next(t for t in site.trials if t.nct_id == PALMIRA_ID)
    inclusion = _ids(trial, "inclusion")
    exclusion = _ids(trial, "exclusion")
    total = len(inclusion) + len(exclusion)
    by_ref = {ref: cid for cid, ref in exclusion}
    inc_by_ref = {ref: cid for cid, ref in inclusion}
    page.goto(f"{base_url}checklists/{PALMIRA_ID}/")
    assert _verdict(page) == f"{total} criteria not answered yet"
    for cid, _ in inclusion:
        _tick(page, cid, "met")
    assert _verdict(page) == (
        f"All inclusion criteria met so far; {len(exclusion)} criteria not answered yet"
    )
    _tick(page, by_ref["6"], "met")
    assert _verdict(page) == "Not eligible: exclusion 6 met"
    _tick(page, inc_by_ref["3"], "not-met")
    assert _verdict(page) == "Not eligible: inclusion 3 not met, exclusion 6 met"
    _tick(page, inc_by_ref["2.1"], "not-met")
    assert _verdict(page) == (
        "Not eligible: inclusion 2.1 not met, inclusion 3 not met, exclusion 6 met"
    )
    for ref in ("2.1", "3"):
        _tick(page, inc_by_ref[ref], "met")
    unknown = [cid for cid, _ in exclusion[:3]]
    for cid, _ in exclusion:
        _tick(page, cid, "unknown" if cid in unknown else "not-met")
    assert _verdict(page) == "All inclusion criteria met so far; 3 criteria unknown"
    for cid in unknown:
        _tick(page, cid, "not-met")
    assert _verdict(page) == ("Eligible: all inclusion criteria met and no exclusion criterion met")
    page.click("#tp-checklist button[type=reset]")
    page.wait_for_function(
        f"document.getElementById('tp-verdict').textContent === '{total} criteria not answered yet'"
    )
    _clean(page)


def test_checklist_works_by_keyboard(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}checklists/{POLAR_ID}/")
    first = page.locator("input[name='inclusion-1'][value='met']")
    first.focus()
    page.keyboard.press("Space")
    assert first.is_checked()
    page.keyboard.press("ArrowRight")  # moves within the radio group
    assert page.locator("input[name='inclusion-1'][value='not-met']").is_checked()
    assert _verdict(page).startswith("Not eligible: inclusion bullet 1 not met")
    # Labels name each box: clicking the label text ticks it.
    page.get_by_text("Unknown").first.click()
    assert page.locator("input[name='inclusion-1'][value='unknown']").is_checked()
    _clean(page)


def test_trial_pages_have_no_console_errors(page: Any, base_url: str) -> None:
    for nct in (POLAR_ID, PALMIRA_ID, hostile_trial().nct_id):
        page.goto(f"{base_url}trials/{nct}/")
        assert page.locator("h1").count() == 1
        _clean(page)
    page.goto(f"{base_url}checklists/{hostile_trial().nct_id}/")
    page.check("input[name='inclusion-1'][value='not-met']")
    assert _verdict(page) == "Not eligible: inclusion 1 not met"
    _clean(page)


def _column(pg: Any, index: int) -> list[str]:
    cells = pg.locator(f"#tp-trials tbody tr:not([hidden]) td:nth-child({index})")
    return [str(t).strip() for t in cells.all_inner_texts()]


def test_term_table_sorts(page: Any, base_url: str, site: BuiltSite) -> None:
    """Trial tables of index pages sort by column (the All trials page is the finder)."""
    page.goto(f"{base_url}status/completed/")
    ids = _column(page, 1)
    expected = [t.nct_id for t in site.trials if t.status and t.status.value == "COMPLETED"]
    assert sorted(ids) == sorted(expected) and len(ids) > 3
    page.click("#tp-trials th:nth-child(1) button")
    assert _column(page, 1) == sorted(ids)
    page.click("#tp-trials th:nth-child(1) button")
    assert _column(page, 1) == sorted(ids, reverse=True)
    assert page.locator("#tp-trials th:nth-child(1)").get_attribute("aria-sort") == "descending"
    _clean(page)


def test_finder_shows_hostile_text_as_text(page: Any, base_url: str) -> None:
    """The finder writes record text with textContent: the hostile trial's markup stays text."""
    hostile = hostile_trial()
    page.goto(f"{base_url}trials/?q={hostile.nct_id}")
    page.wait_for_function("window.trialpressFinderReady === true")
    assert page.locator("[data-finder-count]").inner_text() == "1"
    item = page.locator(f"[data-nct-id='{hostile.nct_id}']")
    title = item.locator(".tp-result-title a").inner_text()
    expected = " ".join(hostile.title.split())
    if hostile.acronym:
        expected += f" ({' '.join(hostile.acronym.split())})"
    assert title == expected
    assert item.locator("script, img, iframe, style").count() == 0
    _clean(page)


def test_index_table_works_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto(f"{base_url}trials/")
        assert pg.locator("#tp-trials tbody tr").count() >= 3
        assert not pg.locator("#tp-finder").is_visible()
        pg.click(f"#tp-trials a:text('{POLAR_ID}')")
        assert pg.url.endswith(f"/trials/{POLAR_ID}/")
    finally:
        context.close()


def test_checklist_prints_as_a_clean_form(page: Any, base_url: str) -> None:
    page.goto(f"{base_url}checklists/{POLAR_ID}/")
    page.emulate_media(media="print")
    for selector in (".md-header", ".md-sidebar--primary", ".md-footer", ".md-search"):
        loc = page.locator(selector)
        assert loc.count() == 0 or not loc.first.is_visible(), selector
    assert not page.locator("#tp-verdict").is_visible()
    box = page.locator("input[name='inclusion-1'][value='met']")
    style = box.evaluate(
        "e => { const s = getComputedStyle(e); "
        "return [s.appearance, s.borderTopStyle, s.borderRadius, s.width === s.height]; }"
    )
    assert style == ["none", "solid", "0px", True]
    assert page.locator("label[for='tp-patient']").is_visible()
    assert page.locator(".tp-signature").is_visible()
    _clean(page)
