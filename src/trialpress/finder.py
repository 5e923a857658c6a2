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

from collections.abc import Iterable
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


def _places_of(trial: Trial) -> list[tuple[str, float, float]]:
    """(``City, Country``, lat, lon) of each site with a position, city and country."""
    out: list[tuple[str, float, float]] = []
    for loc in trial.locations:
        if not (loc.geo and loc.city and loc.country):
            continue
        label = f"{' '.join(loc.city.split())}, {' '.join(loc.country.split())}"
        out.append((label, loc.geo.lat, loc.geo.lon))
    return out


def places(trials: Iterable[Trial]) -> dict[str, tuple[float, float]]:
    """``City, Country`` -> position: the records' geo point for that city, the mean of the
    distinct points where several differ (sites of one city geocoded apart)."""
    return _places([_places_of(t) for t in trials])


def _places(sites: Iterable[list[tuple[str, float, float]]]) -> dict[str, tuple[float, float]]:
    points: dict[str, dict[tuple[float, float], None]] = {}
    labels: dict[str, str] = {}
    for trial_sites in sites:
        for label, lat, lon in trial_sites:
            key = label.casefold()
            labels.setdefault(key, label)
            points.setdefault(key, {})[(lat, lon)] = None
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


@dataclass(frozen=True)
class RawRow:
    """One trial's finder row before the string and point tables: made once per trial from
    the whole trial (a build's process keeps it in the trial's summary)."""

    head: list[Any]
    """NCT ID, title, acronym, status, phase mask, study type."""
    conditions: list[str]
    mesh: list[str]
    interventions: list[str]
    intervention_mask: int
    sponsors: list[str]
    identifiers: list[str]
    countries: list[str]
    tail: list[Any]
    """Age limits, sex, healthy volunteers."""
    points: list[tuple[float, float]]
    facts: list[Any]
    """Strictest ECOG and CNS metastases facts."""
    places: list[tuple[str, float, float]]


def raw_row(trial: Trial, countries: list[tuple[str, int]]) -> RawRow:
    """A trial's :class:`RawRow` (``countries``: its ``Corpus.countries``)."""
    e = trial.eligibility
    mesh = trial.mesh.conditions
    interventions: list[str] = []
    for i in trial.interventions:
        interventions += [i.name, *i.other_names]
    # Key eligibility facts (issue 16); where a trial states several, the strictest counts.
    ecog = [int(f.value) for f in e.facts if f.kind == "ecog_max" and not isinstance(f.value, str)]
    cns = [f.value for f in e.facts if f.kind == "cns_metastases" and f.value in CNS]
    return RawRow(
        head=[
            trial.nct_id,
            " ".join(trial.title.split()),
            " ".join(trial.acronym.split()) if trial.acronym else "",
            STATUSES.index(trial.status) if trial.status else -1,
            _mask(trial.phases, PHASES),
            STUDY_TYPES.index(trial.study_type) if trial.study_type else -1,
        ],
        conditions=list(trial.conditions),
        mesh=[m.term for m in [*mesh.terms, *mesh.ancestors]],
        interventions=interventions,
        intervention_mask=_mask(
            [i.type for i in trial.interventions if i.type], INTERVENTION_TYPES
        ),
        sponsors=[s.name for s in trial.sponsors],
        identifiers=[i.id for i in trial.identifiers],
        countries=[c for c, _ in countries if c != "Country not given"],
        tail=[
            age_in_years(e.minimum_age),
            age_in_years(e.maximum_age),
            SEXES.index(e.sex) if e.sex else -1,
            None if e.healthy_volunteers is None else int(e.healthy_volunteers),
        ],
        points=[(loc.geo.lat, loc.geo.lon) for loc in trial.locations if loc.geo],
        facts=[
            min(ecog) if ecog else None,
            min(CNS.index(str(v)) for v in cns) if cns else None,
        ],
        places=_places_of(trial),
    )


def _row(raw: RawRow, strings: _Strings, points: dict[tuple[float, float], int]) -> list[Any]:
    site_points: list[int] = []
    for key in raw.points:
        index = points.setdefault(key, len(points))
        if index not in site_points:
            site_points.append(index)
    return [
        *raw.head,
        strings.ids(raw.conditions),
        strings.ids(raw.mesh),
        strings.ids(raw.interventions),
        raw.intervention_mask,
        strings.ids(raw.sponsors),
        raw.identifiers,
        strings.ids(raw.countries),
        *raw.tail,
        site_points,
        *raw.facts,
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
    trials = list(corpus.summaries.values())
    statuses = {t.status for t in trials} | set(_ALWAYS)
    phases = {p for t in trials for p in t.phases}
    types = {t.study_type for t in trials}
    itypes = {i for t in trials for i in t.intervention_types}

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
    """The finder's data as a JSON-ready dict (trials in site order), from the trials'
    summaries."""
    raws: list[RawRow] = [s.finder for s in corpus.summaries.values()]
    strings = _Strings()
    points: dict[tuple[float, float], int] = {}
    rows = [_row(raw, strings, points) for raw in raws]
    where = _places(r.places for r in raws)
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
        "places": [[label, lat, lon] for label, (lat, lon) in where.items()],
        "points": flat,
        "trials": rows,
    }


def finder_script(corpus: Corpus) -> bytes:
    """The data file the pages load with ``<script src>``: one line of JSON assigned to
    ``window.trialpressFinder``."""
    text = str(escaping.json_script(finder_data(corpus)))
    return f"window.{GLOBAL} = {text};\n".encode()
