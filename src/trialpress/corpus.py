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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from trialpress.errors import RecordError
from trialpress.labels import enum_label
from trialpress.layout import Layout
from trialpress.models import MeshTerm, Trial

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


@dataclass
class Link:
    """Where a related trial's link goes: our page (site-root-relative) or the registry."""

    nct_id: str
    internal: bool
    target: str


class Corpus:
    """Trials of one build in input order, their indexes and their cross-links."""

    def __init__(self, trials: Iterable[Trial]):
        self.trials: dict[str, Trial] = {}
        self.errors: list[RecordError] = []
        for trial in trials:
            first = self.trials.get(trial.nct_id)
            if first is not None:
                self.errors.append(
                    RecordError(
                        f"duplicate NCT ID {trial.nct_id}: already read from "
                        f"{first.source.path}; this record is skipped",
                        trial.source.path,
                    )
                )
                continue
            self.trials[trial.nct_id] = trial
        self.indexes: dict[IndexKind, dict[str, IndexEntry]] = {}
        for kind in KINDS:
            self.indexes[kind] = self._build_index(kind)

    def _build_index(self, kind: IndexKind) -> dict[str, IndexEntry]:
        labels: dict[str, str] = {}
        members: dict[str, list[str]] = {}
        mesh_ids: dict[str, str] = {}
        worded: set[str] = set()
        for trial in self.trials.values():
            own = [(term, None, False) for term in _terms(trial, kind)]
            mesh = [(m.term, m.id, True) for m in _mesh_terms(trial, kind)]
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
                if trial.nct_id not in ids:
                    ids.append(trial.nct_id)
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

    def countries(self, trial: Trial) -> list[tuple[str, int]]:
        """(country, number of sites) in first-seen order; countries without sites count 0."""
        counts: dict[str, int] = {}
        for loc in trial.locations:
            name = loc.country or "Country not given"
            counts[name] = counts.get(name, 0) + 1
        for country in trial.countries:
            counts.setdefault(country, 0)
        return list(counts.items())

    def __len__(self) -> int:
        return len(self.trials)
