"""The built site offers each trial's FHIR ResearchStudy and RIS, and all trials as one
FHIR Bundle and one CSV table; every link resolves to a file that reads back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import urljoin

import pytest
import rispy
from bs4 import BeautifulSoup
from fhir.resources.bundle import Bundle
from fhir.resources.researchstudy import ResearchStudy

from tests.site_helpers import BuiltSite, built_site
from trialpress.escaping import clean

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return built_site(tmp_path_factory)


def _link(site: BuiltSite, page: str, text: str) -> Path:
    """The file a page's download link with ``text`` points to."""
    html = (site.root / page).read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html5lib")
    [a] = [a for a in soup.select(".tp-downloads a") if text in a.get_text()]
    target = urljoin(f"http://site/{page}", str(a["href"]))
    return site.root / target.removeprefix("http://site/")


def test_every_trial_page_offers_its_research_study_and_ris(site: BuiltSite) -> None:
    for trial in site.trials:
        page = f"trials/{trial.nct_id}/index.html"
        study = json.loads(_link(site, page, "FHIR").read_text(encoding="utf-8"))
        ResearchStudy.model_validate(study)
        assert study["id"] == trial.nct_id and study["title"] == clean(trial.title)
        entries = rispy.loads(_link(site, page, "RIS").read_text(encoding="utf-8"))
        assert len(entries) == 1 + len(trial.references)
        assert entries[0]["accession_number"] == trial.nct_id


def test_the_site_offers_a_bundle_and_a_table_of_every_trial(site: BuiltSite) -> None:
    bundle = json.loads(_link(site, "trials/index.html", "Bundle").read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    assert [e["resource"]["id"] for e in bundle["entry"]] == [t.nct_id for t in site.trials]
    table = _link(site, "trials/index.html", "CSV").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(table, newline="")))
    assert [r["NCT ID"] for r in rows] == [t.nct_id for t in site.trials]
