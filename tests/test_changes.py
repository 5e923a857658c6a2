"""Changes in clinical terms: real studies with synthetic amendments give exact change lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests import amendments as am
from tests.conftest import v2_studies
from trialpress.changes import compare, criteria_fingerprint
from trialpress.cli import cli
from trialpress.history import stored_form
from trialpress.models import Trial


def changes(old: Trial, new: Trial) -> list[tuple[str, str]]:
    return [(c.kind, c.text) for c in compare(stored_form(old), stored_form(new))]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Trial:
    return am.amended(tmp_path_factory.mktemp("base"), name="base")


CASES: dict[str, tuple[list[am.Amendment], list[tuple[str, str]]]] = {
    "status change": (
        [am.status_change],
        [("status", "Recruitment status: Recruiting → Active, not recruiting")],
    ),
    "criterion added": (
        [am.criterion_added],
        [("eligibility", "Exclusion criterion 11 added: “Uses cannabis daily”")],
    ),
    "criterion removed": (
        [am.criterion_removed],
        [("eligibility", "Exclusion criterion 6 removed: “No mailing address”")],
    ),
    "criterion reworded": (
        [am.criterion_reworded],
        [
            (
                "eligibility",
                "Exclusion criterion 3 reworded: “Currently pregnant or breastfeeding” "
                "(was “Currently pregnant”)",
            )
        ],
    ),
    "site added": (
        [am.site_added],
        [("sites", "Site added: New Hospital, Boston, United States")],
    ),
    "site removed": (
        [am.site_removed],
        [("sites", "Site removed: University Medical Center, Las Vegas, United States")],
    ),
    "site status changed": (
        [am.site_status_changed],
        [
            (
                "sites",
                "Site Hennepin Assault Response Team, Minneapolis, United States: "
                "Not yet recruiting → Recruiting",
            )
        ],
    ),
    "enrollment": (
        [am.enrollment_changed],
        [
            ("enrollment", "Enrollment: 100 → 120"),
            ("enrollment", "Enrollment type: Estimated → Actual"),
        ],
    ),
    "results posted": ([am.results_posted], [("results", "Results posted")]),
    "stopped, with the reason": (
        [am.stopped],
        [
            ("status", "Recruitment status: Recruiting → Terminated"),
            ("status", "Why stopped: not given → Sponsor decision"),
        ],
    ),
    "outcome measure changed": (
        [am.outcome_time_frame_changed, am.outcome_added],
        [
            (
                "outcomes",
                "Primary outcome “Anxiety Sensitivity Index-3 (ASI-3)”: "
                "time frame “6 weeks” → “12 weeks”",
            ),
            ("outcomes", "Secondary outcome “Days of cannabis use” added"),
        ],
    ),
    "contacts changed": (
        [am.central_contact_changed, am.site_contact_removed],
        [
            ("contacts", "Central contact Nicole A Short, PhD: phone 7028950606 → 7028950700"),
            ("contacts", "Central contact added: Study Coordinator"),
            (
                "contacts",
                "Site Hennepin Assault Response Team, Minneapolis, United States: "
                "contact removed: Jeffrey Ho, MD",
            ),
        ],
    ),
    "outcomes reordered": ([am.outcomes_reordered], []),
    "criteria reordered, whitespace changed": ([am.criteria_reordered], []),
    "sites reordered": ([am.sites_reordered], []),
    "registry date only": ([am.updated("2025-03-01")], []),
}


@pytest.mark.parametrize("name", list(CASES))
def test_amendment_gives_exactly_its_changes(name: str, base: Trial, tmp_path: Path) -> None:
    amendments, expected = CASES[name]
    assert changes(base, am.amended(tmp_path, *amendments)) == expected


def test_all_amendments_at_once_are_listed_by_kind(base: Trial, tmp_path: Path) -> None:
    cases = [case for name, case in CASES.items() if name != "stopped, with the reason"]
    every = [a for amends, _ in cases for a in amends]
    expected = sorted((c for _, cs in cases for c in cs), key=lambda c: c[1])
    got = changes(base, am.amended(tmp_path, *every))
    assert sorted(got, key=lambda c: c[1]) == expected
    # the page's filter kinds first (status, eligibility, sites, results), then the rest
    order = ["status", "eligibility", "sites", "results", "enrollment", "outcomes", "contacts"]
    kinds = [k for k, _ in got]
    assert kinds == sorted(kinds, key=order.index)


def test_reverting_an_amendment_lists_the_reverse(base: Trial, tmp_path: Path) -> None:
    new = am.amended(tmp_path, am.criterion_added, am.site_added)
    assert changes(new, base) == [
        ("eligibility", "Exclusion criterion 11 removed: “Uses cannabis daily”"),
        ("sites", "Site removed: New Hospital, Boston, United States"),
    ]


@pytest.mark.parametrize(("nct", "study"), v2_studies()[::8], ids=lambda v: str(v)[:11])
def test_real_study_reversed_is_no_change(nct: str, study: dict[str, Any], tmp_path: Path) -> None:
    """Every list of a real study reversed (criteria, sites, arms, phases): nothing changed."""
    trial = am.read_one(am.write(study, tmp_path / f"{nct}.json"))
    data = stored_form(trial)
    flipped = json.loads(json.dumps(data))
    elig = flipped["eligibility"]
    for key in ("inclusion", "exclusion", "other"):
        elig[key].reverse()
    for key in ("locations", "arms", "interventions", "phases", "outcomes", "contacts"):
        flipped[key].reverse()
    for site in flipped["locations"]:
        site["contacts"].reverse()
    assert compare(data, data) == []
    assert compare(data, flipped) == []
    assert criteria_fingerprint(data["eligibility"]) == criteria_fingerprint(elig)


def test_a_field_an_older_version_lacks_is_not_a_change(base: Trial) -> None:
    """History stored by an older trialpress has fewer fields: upgrading lists nothing."""
    old = stored_form(base)
    del old["locations"], old["has_results"], old["eligibility"]["exclusion"]
    del old["outcomes"], old["contacts"], old["why_stopped"]
    assert compare(old, stored_form(base)) == []


def test_fingerprint_changes_exactly_when_a_criterion_does(base: Trial, tmp_path: Path) -> None:
    fp = criteria_fingerprint(stored_form(base)["eligibility"])
    assert len(fp) == 8
    same = [am.criteria_reordered, am.status_change, am.site_added, am.updated("2026-01-01")]
    for amend in same:
        trial = am.amended(tmp_path, amend, name=amend.__name__)
        assert criteria_fingerprint(stored_form(trial)["eligibility"]) == fp, amend.__name__
    other = {fp}
    for amend in (am.criterion_added, am.criterion_removed, am.criterion_reworded):
        trial = am.amended(tmp_path, amend, name=amend.__name__)
        new = criteria_fingerprint(stored_form(trial)["eligibility"])
        assert new not in other, amend.__name__
        other.add(new)
    data = stored_form(base)["eligibility"]
    data["minimum_age"] = "21 Years"
    assert criteria_fingerprint(data) not in other


# ------------------------------------------------------------------------ trialpress diff


def test_diff_two_records_prints_one_line_per_change(tmp_path: Path) -> None:
    old = am.write(am.base_study(), tmp_path / "old.json")
    study = am.base_study()
    am.status_change(study)
    am.criterion_removed(study)
    new = am.write(study, tmp_path / "new.json")
    result = CliRunner().invoke(cli, ["diff", str(old), str(new)], obj={})
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{am.NCT}: Recruitment status: Recruiting → Active, not recruiting\n"
        f"{am.NCT}: Exclusion criterion 6 removed: “No mailing address”\n"
    )


def test_diff_two_folders_as_json_names_added_and_removed_trials(tmp_path: Path) -> None:
    for folder in ("old", "new"):
        (tmp_path / folder).mkdir()
    am.write(am.base_study(), tmp_path / "old" / "a.json")
    study = am.base_study()
    am.results_posted(study)
    am.write(study, tmp_path / "new" / "a.json")
    gone, came = am.OTHERS
    (tmp_path / "old" / gone.name).write_bytes(gone.read_bytes())
    (tmp_path / "new" / came.name).write_bytes(came.read_bytes())
    args = ["diff", str(tmp_path / "old"), str(tmp_path / "new"), "--format", "json"]
    result = CliRunner().invoke(cli, args, obj={})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"nct_id": "NCT02210780", "trial": "added", "changes": []},
        {"nct_id": "NCT03630471", "trial": "removed", "changes": []},
        {
            "nct_id": am.NCT,
            "trial": "changed",
            "changes": [
                {
                    "kind": "results",
                    "field": "has_results",
                    "text": "Results posted",
                    "old": False,
                    "new": True,
                }
            ],
        },
    ]


def test_diff_of_a_broken_record_fails_naming_it(tmp_path: Path) -> None:
    good = am.write(am.base_study(), tmp_path / "good.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(cli, ["diff", str(good), str(bad)], obj={})
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}")


def test_values_appearing_and_free_text_in_capitals(base: Trial) -> None:
    """A value the registry did not give before is "not given"; free text stays as written
    even in capitals (only enumerations are shown as labels)."""
    old, new = stored_form(base), stored_form(base)
    old["enrollment"] = None
    new["why_stopped"] = "COVID-19 PANDEMIC"
    assert [c.text for c in compare(old, new)] == [
        "Why stopped: not given → COVID-19 PANDEMIC",
        "Enrollment: not given → 100",
        "Enrollment type: not given → Estimated",
    ]
