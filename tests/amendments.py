"""Real shared studies with synthetic amendments, as a registry would publish them.

Each amendment edits the API v2 JSON of a real study (status, criteria text, sites,
enrollment, results) and the record is read back by the real reader, so the change lists
under test come from the same path a build takes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import V2_JSON
from trialpress.models import Trial
from trialpress.readers import read_file

#: A recruiting study with numbered inclusion and exclusion criteria and several sites.
DTX = V2_JSON / "UserZetsu__dtx-analysis" / "ctg-studies.json"
NCT = "NCT05989841"
#: Two more real studies from other sources, for corpus-level checks.
OTHERS = (
    V2_JSON / "ctti-clinicaltrials__aact" / "NCT03630471.json",
    V2_JSON / "ctti-clinicaltrials__aact" / "NCT02210780.json",
)

Study = dict[str, Any]
Amendment = Callable[[Study], None]


def base_study() -> Study:
    """The real study NCT05989841 as the registry published it."""
    studies = json.loads(DTX.read_text(encoding="utf-8"))
    return copy.deepcopy(
        next(s for s in studies if s["protocolSection"]["identificationModule"]["nctId"] == NCT)
    )


def _ps(study: Study) -> dict[str, Any]:
    return study["protocolSection"]  # type: ignore[no-any-return]


def _criteria(study: Study, old: str, new: str) -> None:
    module = _ps(study)["eligibilityModule"]
    assert old in module["eligibilityCriteria"], old
    module["eligibilityCriteria"] = module["eligibilityCriteria"].replace(old, new, 1)


def status_change(study: Study) -> None:
    _ps(study)["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"


def criterion_added(study: Study) -> None:
    _criteria(study, "10. Does not understand", "11. Uses cannabis daily\n10. Does not understand")


def criterion_removed(study: Study) -> None:
    _criteria(study, "6. No mailing address\n", "")


def criterion_reworded(study: Study) -> None:
    _criteria(study, "3. Currently pregnant", "3. Currently pregnant or breastfeeding")


def criteria_reordered(study: Study) -> None:
    """Two inclusion criteria swap places (and numbers), with extra whitespace: no change."""
    _criteria(
        study,
        "2. English speakers\n3. 18+ years of age",
        "2.   18+ years  of age\n3. English   speakers",
    )


def site_added(study: Study) -> None:
    _ps(study)["contactsLocationsModule"]["locations"].append(
        {"facility": "New Hospital", "city": "Boston", "country": "United States"}
    )


def site_removed(study: Study) -> None:
    del _ps(study)["contactsLocationsModule"]["locations"][1]


def site_status_changed(study: Study) -> None:
    _ps(study)["contactsLocationsModule"]["locations"][0]["status"] = "RECRUITING"


def sites_reordered(study: Study) -> None:
    _ps(study)["contactsLocationsModule"]["locations"].reverse()


def enrollment_changed(study: Study) -> None:
    _ps(study)["designModule"]["enrollmentInfo"] = {"count": 120, "type": "ACTUAL"}


def results_posted(study: Study) -> None:
    study["hasResults"] = True


def stopped(study: Study) -> None:
    _ps(study)["statusModule"]["overallStatus"] = "TERMINATED"
    _ps(study)["statusModule"]["whyStopped"] = "Sponsor decision"


def outcome_time_frame_changed(study: Study) -> None:
    _ps(study)["outcomesModule"]["primaryOutcomes"][0]["timeFrame"] = "12 weeks"


def outcome_added(study: Study) -> None:
    _ps(study)["outcomesModule"]["secondaryOutcomes"].append(
        {"measure": "Days of cannabis use", "timeFrame": "12 weeks"}
    )


def outcomes_reordered(study: Study) -> None:
    _ps(study)["outcomesModule"]["secondaryOutcomes"].reverse()


def central_contact_changed(study: Study) -> None:
    contacts = _ps(study)["contactsLocationsModule"]["centralContacts"]
    contacts[0]["phone"] = "7028950700"
    contacts.append({"name": "Study Coordinator", "role": "CONTACT", "email": "sc@example.org"})


def site_contact_removed(study: Study) -> None:
    _ps(study)["contactsLocationsModule"]["locations"][0]["contacts"] = []


def updated(date: str) -> Amendment:
    """The registry's update date moves on, as it does with every amendment."""

    def amend(study: Study) -> None:
        _ps(study)["statusModule"]["lastUpdatePostDateStruct"] = {"date": date, "type": "ACTUAL"}

    return amend


def write(study: Study, path: Path) -> Path:
    """Write one study as an API v2 JSON file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(study, ensure_ascii=False), encoding="utf-8")
    return path


def read_one(path: Path) -> Trial:
    """The trial the real reader makes of a one-study file."""
    (trial,) = read_file(path)
    assert isinstance(trial, Trial), trial
    return trial


def amended(tmp: Path, *amendments: Amendment, name: str = "amended") -> Trial:
    """The base study with these amendments applied, read back from ``tmp/<name>.json``."""
    study = base_study()
    for amend in amendments:
        amend(study)
    return read_one(write(study, tmp / f"{name}.json"))
