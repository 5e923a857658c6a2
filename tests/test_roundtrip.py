"""Round trip: each real API v2 study -> registry page text -> registry-text reader.

Each of the 238 studies is read with the JSON reader, written out in the registry page
text format by the test helper ``registry_text_writer``, and read back by the registry-text
reader (chosen by content through ``read_text``). Every field that format carries must come
back with the same value. Each study is written in every layout of Study Groups and
Interventions the writer knows (``LAYOUTS``): its original kind one (one line per
description, an empty line for a missing one) and the layouts real pages use (descriptions
over several lines, missing descriptions with no line at all, and both: ``real``).

Fields the registry page text does NOT carry, so they are left out of the comparison (the
page has no line for them; the writer does not write them):

- ``official_title``, ``acronym``, ``keywords``: the page shows only the brief title and
  conditions;
- ``start_date_type``, ``completion_date_type``, ``primary_completion_date`` and its type:
  Basic Information holds a bare start and completion date;
- ``arms[].type``, ``interventions[].type``: Study Groups and Interventions are name and
  description lines only;
- ``sponsors[].lead``: sponsors are name/class pairs with nothing marking the lead;
- ``locations[].zip``, ``locations[].status``: a location is facility + ``City, State,
  Country``;
- ``references[].type``, ``identifiers[].domain``: not on the page;
- the whole-record fields (``outcomes``, ``contacts``, ``why_stopped``, ``last_known_status``,
  ``first_posted``, ``results_first_posted``, ``status_verified``, ``mesh``, ``documents``,
  ``oversight``, ``ipd_sharing``, ``expanded_access``, ``results``; ``locations[].contacts``
  and ``locations[].geo``): the page text has no lines for them that the reader reads;
- ``extra``, ``warnings``, ``source``: reader bookkeeping, specific to each format;
- ``eligibility`` criteria ``line``: lines of the JSON's criteria text versus lines of the
  page file (the criteria themselves, numbers, texts and nesting, are compared).

Where the format flattens a value, the expectation says so explicitly:

- ``interventions[].arm_labels``: the page links arms and interventions only through
  Study Groups (each arm followed by its interventions), so the labels that come back are
  the arms that list the intervention, in arm order; the JSON's own ``armGroupLabels``
  (which can disagree with the arms' ``interventionNames``) are not on the page;
- one-line values (names, labels, arm/intervention descriptions, citations, sites, ...)
  cannot hold a line break: both sides are compared with line breaks folded to a space;
- a summary or description whose lines have no blank line between them comes back with a
  blank line between them (the page writes one paragraph a line).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from trialpress.models import Criterion, Trial
from trialpress.readers import ctgov_json, read_text, registry_groups

from .conftest import PALMIRA, POLAR, V2_JSON
from .registry_text_writer import KIND, LAYOUTS, REAL, write_registry_text

NOT_CARRIED = {
    "official_title",
    "acronym",
    "keywords",
    "start_date_type",
    "completion_date_type",
    "primary_completion_date",
    "primary_completion_date_type",
    "why_stopped",
    "last_known_status",
    "first_posted",
    "results_first_posted",
    "status_verified",
    "mesh",
    "outcomes",
    "contacts",
    "documents",
    "oversight",
    "ipd_sharing",
    "expanded_access",
    "results",
    "extra",
    "warnings",
    "source",
}


def _trials() -> list[Trial]:
    out: list[Trial] = []
    for path in sorted(V2_JSON.rglob("*.json")):
        for result in ctgov_json.read(path.read_text(encoding="utf-8"), str(path)):
            assert isinstance(result, Trial), result
            out.append(result)
    return out


TRIALS = _trials()


def one_line(value: str | None) -> str | None:
    return None if value is None else re.sub(r"\s*\n\s*", " ", value).strip()


def paragraphs(value: str | None) -> str | None:
    """One paragraph a line on the page: lines without blank lines between them get one."""
    if value is None or "\n\n" in value:
        return value
    return value.replace("\n", "\n\n")


def criteria(items: list[Criterion]) -> list[Any]:
    return [(c.number, c.text, criteria(c.children)) for c in items]


def carried(trial: Trial, *, from_json: bool) -> dict[str, Any]:
    """The values the registry page text carries, in comparable form."""
    data = trial.model_dump(mode="json", exclude=NOT_CARRIED)
    data["title"] = one_line(trial.title)
    if from_json:
        data["summary"] = paragraphs(trial.summary)
        data["description"] = paragraphs(trial.description)
    data["conditions"] = [one_line(c) for c in trial.conditions]
    data["arms"] = [
        (one_line(a.label), one_line(a.description), [one_line(n) for n in a.interventions])
        for a in trial.arms
    ]
    data["interventions"] = [
        (
            one_line(i.name),
            one_line(i.description),
            [one_line(o) for o in i.other_names],
            [one_line(label) for label in i.arm_labels]
            if not from_json
            else [one_line(a.label) for a in trial.arms if i.name in a.interventions],
        )
        for i in trial.interventions
    ]
    data["sponsors"] = [(one_line(s.name), s.agency_class) for s in trial.sponsors]
    rp = trial.responsible_party
    data["responsible_party"] = (
        None
        if rp is None
        else (rp.type, one_line(rp.name), one_line(rp.title), one_line(rp.affiliation))
    )
    data["officials"] = [
        (one_line(o.name), o.role, one_line(o.affiliation)) for o in trial.officials
    ]
    data["locations"] = [
        (one_line(loc.facility), one_line(loc.city), one_line(loc.state), one_line(loc.country))
        for loc in trial.locations
    ]
    data["references"] = [(one_line(r.citation), r.pmid) for r in trial.references]
    data["identifiers"] = [(one_line(i.id), i.type, i.source) for i in trial.identifiers]
    data["related_trials"] = [(r.nct_id, one_line(r.title)) for r in trial.related_trials]
    elig = trial.eligibility
    data["eligibility"] = {
        "minimum_age": elig.minimum_age,
        "maximum_age": elig.maximum_age,
        "sex": elig.sex,
        "healthy_volunteers": elig.healthy_volunteers,
        "raw_text": elig.raw_text,
        "inclusion": criteria(elig.inclusion),
        "exclusion": criteria(elig.exclusion),
        "other": criteria(elig.other),
    }
    return data


#: Known failures of the registry-text reader by (layout, NCT ID), each with the reason the
#: text itself is ambiguous; kept strict so they turn into passes, loudly, once fixed. None
#: today. (Interventions sharing a name, NCT06909500 and NCT05847673, were one in the kind
#: layout; about one study in four was one in the real layout before Study Groups was read
#: as a whole.)
KNOWN: dict[tuple[str, str], str] = {}


def _param(trial: Trial, layout: str) -> Any:
    reason = KNOWN.get((layout, trial.nct_id))
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(trial, layout, id=f"{trial.nct_id}-{layout}", marks=marks)


@pytest.mark.parametrize(
    ("trial", "layout"), [_param(t, layout) for layout in LAYOUTS for t in TRIALS]
)
def test_roundtrip_through_registry_text(trial: Trial, layout: str) -> None:
    text = write_registry_text(trial, LAYOUTS[layout])
    [back] = read_text(text, f"{trial.nct_id}.txt")
    assert isinstance(back, Trial), back
    assert back.source.format == "registry-text"
    want = carried(trial, from_json=True)
    got = carried(back, from_json=False)
    for key in want:
        assert got[key] == want[key], key
    assert not [w for w in back.warnings if w.code == "unplaced-line"]


def test_roundtrip_compares_something() -> None:
    """The comparison would notice a change in a carried field."""
    trial = next(t for t in TRIALS if t.locations and t.eligibility.inclusion)
    back = read_text(write_registry_text(trial), "x")[0]
    assert isinstance(back, Trial)
    changed = back.model_copy(update={"locations": back.locations[1:]})
    assert carried(changed, from_json=False) != carried(trial, from_json=True)
    assert len(TRIALS) == 238


def test_known_misses_stay_within_half_a_percent_per_layout() -> None:
    """The issue's bar: at least 99.5% of the 238 studies come back in each layout."""
    for layout in LAYOUTS:
        misses = [nct for (name, nct) in KNOWN if name == layout]
        assert len(misses) <= len(TRIALS) * 0.005, (layout, misses)


def test_real_layout_writes_what_real_pages_do() -> None:
    """The real layout is the one the seed pages use (they come back byte for byte), and the
    shared studies written in it hold every layout the issue lists, so the round trip
    above exercises each of them."""
    for path in (POLAR, PALMIRA):
        [seed] = read_text(path.read_text(encoding="utf-8"), str(path))
        assert isinstance(seed, Trial)
        assert write_registry_text(seed, REAL) == path.read_text(encoding="utf-8")
    seen: dict[str, list[str]] = {}

    def see(what: str, trial: Trial) -> None:
        seen.setdefault(what, []).append(trial.nct_id)

    for trial in TRIALS:
        names = [i.name for i in trial.interventions]
        if any(a.description and "\n" in a.description.strip() for a in trial.arms):
            see("arm description over several lines", trial)
        if any(i.description and "\n" in i.description.strip() for i in trial.interventions):
            see("intervention description over several lines", trial)
        if any(not a.description and a.interventions for a in trial.arms):
            see("arm label followed directly by an intervention name", trial)
        if any(a.label in names for a in trial.arms):
            see("arm label equal to an intervention name", trial)
        if any(i.description in names for i in trial.interventions):
            see("description equal to a name", trial)
        if trial.interventions and any(not a.interventions for a in trial.arms):
            see("arm listing no intervention", trial)
        if any(not i.description for i in trial.interventions):
            see("intervention without description", trial)
        if len(set(names)) < len(names):
            see("interventions sharing a name", trial)
        real, kind = write_registry_text(trial, REAL), write_registry_text(trial, KIND)
        if real != kind:
            see("real layout differs from the kind one", trial)
    assert sorted(seen) == [
        "arm description over several lines",
        "arm label equal to an intervention name",
        "arm label followed directly by an intervention name",
        "arm listing no intervention",
        "description equal to a name",
        "intervention description over several lines",
        "intervention without description",
        "interventions sharing a name",
        "real layout differs from the kind one",
    ]
    assert len(seen["real layout differs from the kind one"]) >= 50


def test_study_groups_search_stays_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Speed without a clock: reading all 238 real-layout pages parses Study Groups at most
    twice per page on average (the search skips segmentations that cannot win)."""
    parses = 0
    parse = registry_groups._parse_groups

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal parses
        parses += 1
        return parse(*args, **kwargs)

    monkeypatch.setattr(registry_groups, "_parse_groups", counted)
    for trial in TRIALS:
        read_text(write_registry_text(trial, REAL), "x.txt")
    assert 238 <= parses <= 2 * len(TRIALS)
