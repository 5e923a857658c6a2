"""The trial finder's data: one compact script shared by the All trials page and trial pages.

The finder filters in the browser, so no query leaves it. Its data is generated at build
time as a JavaScript file (``window.trialpressFinder = {...};``) loaded with
``<script src>``: that works over HTTP and from ``file://`` (where ``fetch`` of a data file
is refused), is cached by the browser like any script, and is the same file for every page.

Compact encoding, so 10,000 trials stay small: every repeated string (conditions, MeSH
terms, interventions, sponsors, countries) is stored once in a string table and trials
refer to it by index; enumerations are small integers or bit masks; site positions are
stored once in a point table. Record text stays data: it is JSON-encoded through the one
escaping table (:func:`trialpress.escaping.json_script`) and the page script writes it
with ``textContent`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trialpress import escaping
from trialpress.corpus import Corpus
from trialpress.enums import InterventionType, OverallStatus, Phase, Sex, StudyType
from trialpress.labels import enum_label
from trialpress.layout import FINDER_DATA
from trialpress.models import AgeUnit, Trial, parse_age

#: Format version of the data, so a cached old script is recognised.
VERSION = 1
#: The global the data script assigns.
GLOBAL = "trialpressFinder"
#: ``cns_metastases`` fact values, strictest first (the data stores their index).
CNS = ("excluded", "allowed_if_treated_stable", "allowed")
#: Statuses the finder always offers (its one-click "recruiting or not yet recruiting").
_ALWAYS = (OverallStatus.RECRUITING, OverallStatus.NOT_YET_RECRUITING)

#: Trial age limits are converted to years as ``number * a / b``: months, weeks and days as
#: the registry counts them (a year of 365.25 days).
_YEARS_PER: dict[AgeUnit, tuple[float, float]] = {
    "year": (1, 1),
    "month": (1, 12),
    "week": (7, 365.25),
    "day": (1, 365.25),
    "hour": (1, 365.25 * 24),
    "minute": (1, 365.25 * 24 * 60),
}


def age_in_years(text: str | None) -> float | None:
    """``"18 Months"`` -> 1.5; ``None`` (no limit) for a missing or unreadable age."""
    age = parse_age(text)
    if age is None:
        return None
    number, unit = age
    times, per = _YEARS_PER[unit]
    return number * times / per


def _enum_table(values: list[Any]) -> list[list[str]]:
    return [[v.value, enum_label(v)] for v in values]


STATUSES = list(OverallStatus)
PHASES = list(Phase)
STUDY_TYPES = list(StudyType)
INTERVENTION_TYPES = list(InterventionType)
SEXES = list(Sex)


def _mask(values: list[Any], table: list[Any]) -> int:
    mask = 0
    for v in values:
        mask |= 1 << table.index(v)
    return mask


def places(trials: list[Trial]) -> dict[str, tuple[float, float]]:
    """``City, Country`` -> position: the records' geo point for that city, the mean of the
    distinct points where several differ (sites of one city geocoded apart)."""
    points: dict[str, dict[tuple[float, float], None]] = {}
    labels: dict[str, str] = {}
    for trial in trials:
        for loc in trial.locations:
            if not (loc.geo and loc.city and loc.country):
                continue
            label = f"{' '.join(loc.city.split())}, {' '.join(loc.country.split())}"
            key = label.casefold()
            labels.setdefault(key, label)
            points.setdefault(key, {})[(loc.geo.lat, loc.geo.lon)] = None
    out: dict[str, tuple[float, float]] = {}
    for key in sorted(points, key=lambda k: (labels[k].casefold(), labels[k])):
        pts = list(points[key])
        lat = sum(p[0] for p in pts) / len(pts)
        lon = sum(p[1] for p in pts) / len(pts)
        out[labels[key]] = (round(lat, 5), round(lon, 5))  # the registry's precision
    return out


class _Strings:
    """The string table: each distinct string once, referred to by index."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def ids(self, values: list[str]) -> list[int]:
        out: list[int] = []
        for value in values:
            text = " ".join(value.split())
            if not text:
                continue
            i = self._index.get(text)
            if i is None:
                i = self._index[text] = len(self.items)
                self.items.append(text)
            if i not in out:
                out.append(i)
        return out


def _row(
    trial: Trial, corpus: Corpus, strings: _Strings, points: dict[tuple[float, float], int]
) -> list[Any]:
    e = trial.eligibility
    mesh = trial.mesh.conditions
    interventions: list[str] = []
    for i in trial.interventions:
        interventions += [i.name, *i.other_names]
    # Key eligibility facts (issue 16); where a trial states several, the strictest counts.
    ecog = [int(f.value) for f in e.facts if f.kind == "ecog_max" and not isinstance(f.value, str)]
    cns = [f.value for f in e.facts if f.kind == "cns_metastases" and f.value in CNS]
    site_points: list[int] = []
    for loc in trial.locations:
        if loc.geo:
            key = (loc.geo.lat, loc.geo.lon)
            index = points.setdefault(key, len(points))
            if index not in site_points:
                site_points.append(index)
    return [
        trial.nct_id,
        " ".join(trial.title.split()),
        " ".join(trial.acronym.split()) if trial.acronym else "",
        STATUSES.index(trial.status) if trial.status else -1,
        _mask(trial.phases, PHASES),
        STUDY_TYPES.index(trial.study_type) if trial.study_type else -1,
        strings.ids(trial.conditions),
        strings.ids([m.term for m in [*mesh.terms, *mesh.ancestors]]),
        strings.ids(interventions),
        _mask([i.type for i in trial.interventions if i.type], INTERVENTION_TYPES),
        strings.ids([s.name for s in trial.sponsors]),
        [i.id for i in trial.identifiers],
        strings.ids([c for c, _ in corpus.countries(trial) if c != "Country not given"]),
        age_in_years(e.minimum_age),
        age_in_years(e.maximum_age),
        SEXES.index(e.sex) if e.sex else -1,
        None if e.healthy_volunteers is None else int(e.healthy_volunteers),
        site_points,
        min(ecog) if ecog else None,
        min(CNS.index(str(v)) for v in cns) if cns else None,
    ]


@dataclass(frozen=True)
class FinderForm:
    """What the All trials page's form offers: each choice as (API v2 value, label)."""

    src: str
    statuses: list[tuple[str, str]]
    phases: list[tuple[str, str]]
    types: list[tuple[str, str]]
    intervention_types: list[tuple[str, str]]
    sexes: list[tuple[str, str]]


def finder_form(corpus: Corpus) -> FinderForm:
    """The choices the trials have (plus the two recruiting statuses), in enum order."""
    trials = list(corpus.trials.values())
    statuses = {t.status for t in trials} | set(_ALWAYS)
    phases = {p for t in trials for p in t.phases}
    types = {t.study_type for t in trials}
    itypes = {i.type for t in trials for i in t.interventions}

    def pick(table: list[Any], present: set[Any]) -> list[tuple[str, str]]:
        return [(v.value, enum_label(v)) for v in table if v in present]

    return FinderForm(
        src=FINDER_DATA,
        statuses=pick(STATUSES, statuses),
        phases=pick(PHASES, phases),
        types=pick(STUDY_TYPES, types),
        intervention_types=pick(INTERVENTION_TYPES, itypes),
        sexes=[(s.value, enum_label(s)) for s in (Sex.FEMALE, Sex.MALE)],
    )


def finder_data(corpus: Corpus) -> dict[str, Any]:
    """The finder's data as a JSON-ready dict (trials in site order)."""
    trials = list(corpus.trials.values())
    strings = _Strings()
    points: dict[tuple[float, float], int] = {}
    rows = [_row(t, corpus, strings, points) for t in trials]
    flat: list[float] = []
    for lat, lon in points:
        flat += [lat, lon]
    return {
        "v": VERSION,
        "enums": {
            "status": _enum_table(STATUSES),
            "phase": _enum_table(PHASES),
            "type": _enum_table(STUDY_TYPES),
            "intervention_type": _enum_table(INTERVENTION_TYPES),
            "sex": _enum_table(SEXES),
        },
        "strings": strings.items,
        "places": [[label, lat, lon] for label, (lat, lon) in places(trials).items()],
        "points": flat,
        "trials": rows,
    }


def finder_script(corpus: Corpus) -> bytes:
    """The data file the pages load with ``<script src>``: one line of JSON assigned to
    ``window.trialpressFinder``."""
    text = str(escaping.json_script(finder_data(corpus)))
    return f"window.{GLOBAL} = {text};\n".encode()
