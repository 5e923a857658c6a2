"""All trials of one build: duplicates resolved, cross-links and indexes computed.

Pages need the whole corpus (POLAR's page links to PALMIRA's only if PALMIRA is built), so
the build reads everything first, then builds a :class:`Corpus`, then renders. A corpus is
immutable after construction and renderers only read it, so pages can be rendered in any
order or in parallel.

Condition and intervention indexes hold the records' own words and the registry's MeSH
terms side by side (``Breast Neoplasms`` lists every trial the registry indexed so, whatever
words its sponsor typed); a MeSH term spelled like a record's own word is one entry.

Index slugs are ASCII, stable and collision-proof: they are assigned over the *sorted* set
of keys (so adding an unrelated trial does not rename a page), and a key whose slug is
taken, empty or reserved gets a short hash of the key appended.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

from trialpress.enums import InterventionType, OverallStatus, Phase, StudyType
from trialpress.errors import RecordError
from trialpress.labels import enum_label
from trialpress.layout import Layout
from trialpress.models import Enrollment, MeshTerm, ReadWarning, Source, Trial

IndexKind = Literal["condition", "intervention", "sponsor", "country", "status", "phase"]

#: Index kinds in page order, with their folder under the site root and headings.
KINDS: dict[IndexKind, tuple[str, str, str]] = {
    "condition": ("conditions", "Conditions", "Condition"),
    "intervention": ("interventions", "Interventions", "Intervention"),
    "sponsor": ("sponsors", "Sponsors", "Sponsor"),
    "country": ("countries", "Countries", "Country"),
    "status": ("status", "Recruitment status", "Status"),
    "phase": ("phases", "Phases", "Phase"),
}

_RESERVED_SLUGS = {"index", "", "x"}
_MAX_SLUG = 60


def slugify(text: str) -> str:
    """ASCII slug: accents folded, anything else a hyphen, at most 60 characters."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return slug[:_MAX_SLUG].rstrip("-")


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def normalise_key(label: str) -> str:
    """Grouping key: case and whitespace do not make a different condition or sponsor."""
    return " ".join(unicodedata.normalize("NFC", label).split()).casefold()


@dataclass
class IndexEntry:
    """One index page: a condition, sponsor, ... and the trials that have it."""

    kind: IndexKind
    key: str
    label: str
    slug: str
    nct_ids: list[str] = field(default_factory=list)
    mesh_id: str | None = None
    """The MeSH descriptor ID when the registry indexed trials under this term."""
    worded: bool = True
    """Whether some record names this term in its own words (not only as a MeSH term)."""

    @property
    def src_path(self) -> str:
        """Source path of the page, relative to the docs dir."""
        return Layout.term_src(KINDS[self.kind][0], self.slug)


def _terms(trial: Trial, kind: IndexKind) -> list[str]:
    """The record's own words for an index kind."""
    if kind == "condition":
        return list(trial.conditions)
    if kind == "intervention":
        return [i.name for i in trial.interventions]
    if kind == "sponsor":
        return [s.name for s in trial.sponsors]
    if kind == "country":
        countries = list(trial.countries)
        countries += [loc.country for loc in trial.locations if loc.country]
        return countries
    if kind == "status":
        return [trial.status.value] if trial.status else []
    return [p.value for p in trial.phases]


def _mesh_terms(trial: Trial, kind: IndexKind) -> list[MeshTerm]:
    """The MeSH terms the registry indexed the trial under, for conditions and interventions
    (legacy XML gives headings without an ID)."""
    if kind == "condition":
        return list(trial.mesh.conditions.terms)
    if kind == "intervention":
        return list(trial.mesh.interventions.terms)
    return []


def _assign_slugs(keys: Iterable[str], labels: dict[str, str]) -> dict[str, str]:
    taken: set[str] = set()
    out: dict[str, str] = {}
    for key in sorted(keys):
        base = slugify(labels[key])
        slug = base
        if slug in _RESERVED_SLUGS or slug in taken:
            slug = f"{base[: _MAX_SLUG - 9] or 'x'}-{_key_hash(key)}"
        out[key] = slug
        taken.add(slug)
    return out


def site_counts(trial: Trial) -> list[tuple[str, int]]:
    """(country, number of sites) in first-seen order; countries without sites count 0."""
    counts: dict[str, int] = {}
    for loc in trial.locations:
        name = loc.country or "Country not given"
        counts[name] = counts.get(name, 0) + 1
    for country in trial.countries:
        counts.setdefault(country, 0)
    return list(counts.items())


def search_words(trial: Trial) -> tuple[str, dict[str, str]]:
    """What a trial's search entry indexes (titles, ids, conditions, interventions,
    sponsors, summary: what people search for, not locations or criteria, so the index
    stays lean) as one text, and its filters."""
    words: list[str] = [trial.nct_id]
    if trial.acronym:
        words.append(trial.acronym)
    if trial.official_title:
        words.append(trial.official_title)
    words += [i.id for i in trial.identifiers]
    words += list(trial.conditions) + list(trial.keywords)
    words += [i.name for i in trial.interventions]
    words += [s.name for s in trial.sponsors]
    if trial.summary:
        words.append(trial.summary)
    meta = {"nct_id": trial.nct_id}
    if trial.status:
        meta["status"] = trial.status.value
    if trial.phases:
        meta["phase"] = ", ".join(p.value for p in trial.phases)
    return " ".join(" ".join(words).split()), meta


@dataclass(frozen=True)
class TrialSummary:
    """What a build's own process keeps of one trial: what index pages, the finder's data,
    the trials table, search entries, the feed and the corpus indexes read (a few KB; a
    whole :class:`Trial` costs about 140 KB, 1.4 GB at 10,000 trials). Index templates get
    these as their ``trials``, with the attribute names of :class:`Trial` they use."""

    nct_id: str
    title: str
    acronym: str | None
    status: OverallStatus | None
    phases: list[Phase]
    study_type: StudyType | None
    enrollment: Enrollment | None
    conditions: list[str]
    last_updated: str | None
    source: Source
    warnings: list[ReadWarning]
    has_results: bool
    site_counts: list[tuple[str, int]]
    """:meth:`Corpus.countries` of the trial."""
    intervention_types: list[InterventionType | None]
    terms: dict[IndexKind, tuple[list[str], list[MeshTerm]]]
    """Per index kind: the record's own words and its MeSH terms."""
    asked: dict[IndexKind, list[str]]
    """Per index kind: every term its pages look up an index page for."""
    named: list[str]
    """The NCT IDs its pages link to (related trials, expanded access)."""
    search_text: str
    search_meta: dict[str, str]
    finder: Any
    """Its row of the finder's data before string and point tables (:mod:`finder`)."""
    table: list[Any]
    """Its row of the trials table (CSV), before quoting."""

    @property
    def registry_url(self) -> str:
        """The trial's record on ClinicalTrials.gov."""
        return f"https://clinicaltrials.gov/study/{self.nct_id}"

    @classmethod
    def of(cls, trial: Trial) -> TrialSummary:
        """The summary of a whole trial."""
        from trialpress import exports, finder

        counts = site_counts(trial)
        terms = {kind: (_terms(trial, kind), _mesh_terms(trial, kind)) for kind in KINDS}
        asked: dict[IndexKind, list[str]] = {}
        for kind, (own, mesh) in terms.items():
            asked[kind] = own + [m.term for m in mesh]
            if kind == "intervention":
                asked[kind] += [name for arm in trial.arms for name in arm.interventions]
            elif kind == "country":
                asked[kind] += [country for country, _ in counts]
        named = {r.nct_id for r in trial.related_trials}
        if trial.expanded_access is not None and trial.expanded_access.nct_id:
            named.add(trial.expanded_access.nct_id)
        text, meta = search_words(trial)
        return cls(
            nct_id=trial.nct_id,
            title=trial.title,
            acronym=trial.acronym,
            status=trial.status,
            phases=list(trial.phases),
            study_type=trial.study_type,
            enrollment=trial.enrollment,
            conditions=list(trial.conditions),
            last_updated=trial.last_updated,
            source=trial.source,
            warnings=list(trial.warnings),
            has_results=trial.results is not None,
            site_counts=counts,
            intervention_types=[i.type for i in trial.interventions],
            terms=terms,
            asked=asked,
            named=sorted(named),
            search_text=text,
            search_meta=meta,
            finder=finder.raw_row(trial, counts),
            table=exports.table_row(trial),
        )


@dataclass(frozen=True)
class Shelved:
    """A trial as a build's process holds it between reading and rendering: its summary
    and its JSON, compressed (a few KB). The whole trial is made again from the JSON where
    it is needed (:meth:`trial`); workers get the JSON itself."""

    summary: TrialSummary
    packed: bytes

    @classmethod
    def of(cls, trial: Trial, text: str | None = None) -> Shelved:
        """Shelve a whole trial (``text``: its ``model_dump_json()``, when at hand)."""
        text = trial.model_dump_json() if text is None else text
        return cls(TrialSummary.of(trial), zlib.compress(text.encode(), 1))

    @property
    def json(self) -> str:
        """The trial's ``model_dump_json()``."""
        return zlib.decompress(self.packed).decode()

    def trial(self) -> Trial:
        """The whole trial again (validating its JSON gives the same trial)."""
        return self.unpack(self.packed)

    @staticmethod
    def unpack(packed: bytes) -> Trial:
        """The whole trial from a shelved trial's :attr:`packed` JSON (in a worker too)."""
        return Trial.model_validate_json(zlib.decompress(packed))


class Trials(Mapping[str, Trial]):
    """A corpus's trials by NCT ID, each made from its shelved JSON when asked for and not
    kept: iterating holds one whole trial at a time."""

    def __init__(self, shelf: dict[str, Shelved]) -> None:
        self._shelf = shelf

    def __getitem__(self, nct_id: str) -> Trial:
        return self._shelf[nct_id].trial()

    def __contains__(self, nct_id: object) -> bool:
        return nct_id in self._shelf

    def __iter__(self) -> Iterator[str]:
        return iter(self._shelf)

    def __len__(self) -> int:
        return len(self._shelf)


@dataclass
class Link:
    """Where a related trial's link goes: our page (site-root-relative) or the registry."""

    nct_id: str
    internal: bool
    target: str


class Corpus:
    """Trials of one build in input order, their indexes and their cross-links.

    The corpus keeps each trial shelved (:class:`Shelved`): ``trials`` makes a whole trial
    when one is asked for, ``summaries`` holds what index pages and site-wide files read."""

    def __init__(self, trials: Iterable[Trial | Shelved]):
        self.shelf: dict[str, Shelved] = {}
        self.errors: list[RecordError] = []
        for item in trials:
            shelved = item if isinstance(item, Shelved) else Shelved.of(item)
            nct_id = shelved.summary.nct_id
            first = self.shelf.get(nct_id)
            if first is not None:
                self.errors.append(
                    RecordError(
                        f"duplicate NCT ID {nct_id}: already read from "
                        f"{first.summary.source.path}; this record is skipped",
                        shelved.summary.source.path,
                    )
                )
                continue
            self.shelf[nct_id] = shelved
        self.trials: Mapping[str, Trial] = Trials(self.shelf)
        self.summaries: dict[str, TrialSummary] = {n: s.summary for n, s in self.shelf.items()}
        self.indexes: dict[IndexKind, dict[str, IndexEntry]] = {}
        for kind in KINDS:
            self.indexes[kind] = self._build_index(kind)

    def _build_index(self, kind: IndexKind) -> dict[str, IndexEntry]:
        labels: dict[str, str] = {}
        members: dict[str, list[str]] = {}
        mesh_ids: dict[str, str] = {}
        worded: set[str] = set()
        for summary in self.summaries.values():
            own_terms, mesh_terms = summary.terms[kind]
            own = [(term, None, False) for term in own_terms]
            mesh = [(m.term, m.id, True) for m in mesh_terms]
            for term, mesh_id, is_mesh in [*own, *mesh]:
                if not term.strip():
                    continue
                key = normalise_key(term)
                labels.setdefault(key, " ".join(term.split()))
                if not is_mesh:
                    worded.add(key)
                elif mesh_id is not None:
                    mesh_ids.setdefault(key, mesh_id)
                ids = members.setdefault(key, [])
                if summary.nct_id not in ids:
                    ids.append(summary.nct_id)
        if kind in ("status", "phase"):
            slugs = {k: k.replace("_", "-") for k in labels}
            shown = {k: enum_label(labels[k]) for k in labels}
        else:
            slugs = _assign_slugs(labels, labels)
            shown = labels
        entries = {
            key: IndexEntry(
                kind, key, shown[key], slugs[key], members[key], mesh_ids.get(key), key in worded
            )
            for key in sorted(labels, key=lambda k: (shown[k].casefold(), k))
        }
        return entries

    def entry(self, kind: IndexKind, term: str) -> IndexEntry | None:
        """The index entry for a condition, sponsor, ... as a trial names it."""
        return self.indexes[kind].get(normalise_key(term))

    def related_link(self, nct_id: str) -> Link:
        """Our own page when the related trial is in the build, else the registry record."""
        if nct_id in self.trials:
            return Link(nct_id, True, Layout.trial_src(nct_id))
        return Link(nct_id, False, f"https://clinicaltrials.gov/study/{quote(nct_id, safe='')}")

    def countries(self, trial: Trial | TrialSummary) -> list[tuple[str, int]]:
        """(country, number of sites) in first-seen order; countries without sites count 0."""
        if isinstance(trial, TrialSummary):
            return trial.site_counts
        return site_counts(trial)

    def trial_json(self, nct_id: str) -> str:
        """A trial's ``model_dump_json()``, without making the trial."""
        return self.shelf[nct_id].json

    def __len__(self) -> int:
        return len(self.shelf)
