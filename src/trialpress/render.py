"""Render the site's generated Markdown pages from Jinja2 templates in ``templates/site``.

Every page is a pure function of (trial or index entry, :class:`SiteContext`): nothing is
read from disk but templates, nothing global is mutated, so pages can be rendered in any
order or in parallel and cached by content. Pages are Markdown with front matter whose
body is mostly raw HTML blocks holding escaped record text (see :mod:`trialpress.escaping`).

Links inside raw HTML are not rewritten by MkDocs, so they are computed here as URLs
relative to the page, for either value of MkDocs' ``use_directory_urls``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from markupsafe import Markup, escape

from trialpress import escaping, results_view
from trialpress.changes import FILTER_KINDS, criteria_fingerprint
from trialpress.corpus import KINDS, Corpus, IndexEntry, IndexKind, TrialSummary
from trialpress.enums import OverallStatus, RecruitmentStatus
from trialpress.errors import RenderError
from trialpress.facts import criterion_ref, fact_rows
from trialpress.finder import finder_form
from trialpress.history import ChangeLog, Timeline
from trialpress.labels import enum_label
from trialpress.layout import (
    FEED,
    FHIR_BUNDLE,
    FINDER_DATA,
    TRIALS_CSV,
    TRIALS_INDEX,
    Layout,
    PdfKind,
)
from trialpress.models import Contact, Criterion, Location, Trial
from trialpress.templating import template_dirs

#: Site assets shipped with the templates and added to every MkDocs site using the plugin.
ASSETS = ("assets/trialpress.css", "assets/trialpress.js")
#: Countries with more sites than this start collapsed on a trial page.
COLLAPSE_SITES = 5

#: Statuses whose reason for stopping the trial page shows prominently.
STOPPED = frozenset({OverallStatus.TERMINATED, OverallStatus.WITHDRAWN, OverallStatus.SUSPENDED})
#: Sites that take patients come first in each country, in this order; the rest keep theirs.
_SITE_ORDER = {
    RecruitmentStatus.RECRUITING: 0,
    RecruitmentStatus.NOT_YET_RECRUITING: 1,
    RecruitmentStatus.ENROLLING_BY_INVITATION: 2,
}

_DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)


def doi_from_citation(citation: str) -> str | None:
    """The DOI a citation mentions (``doi: 10.1200/JCO-24-01865.`` -> ``10.1200/JCO-24-01865``)."""
    match = _DOI_RE.search(citation)
    if not match:
        return None
    return match.group(1).rstrip(".,;:)]")


@dataclass(frozen=True)
class Criterion4View:
    """A criterion prepared for templates: position-based id and a people's reference."""

    criterion: Criterion
    id: str
    ref: str
    depth: int
    children: list[Criterion4View] = field(default_factory=list)

    @property
    def number(self) -> str:
        """The source number as shown: ``2.``, ``8.-10.``, ``13)``; a bullet for none."""
        num = self.criterion.number
        if not num:
            return "•"
        return num if num[-1] in ".)" else f"{num}."


def criteria_view(kind: str, criteria: list[Criterion]) -> list[Criterion4View]:
    """Criteria with stable ids (``inclusion-3-1``) and the names a verdict uses for them:
    the source number (``3``, ``8.-10.``), ``2.1`` for a numbered child, ``bullet 2`` or
    ``17, bullet 1`` for unnumbered items."""

    def build(items: list[Criterion], id_prefix: str, ref_prefix: str, depth: int) -> Any:
        out: list[Criterion4View] = []
        for pos, crit in enumerate(items, start=1):
            ref = criterion_ref(ref_prefix, crit, pos)
            cid = Markup(f"{id_prefix}-{pos}")
            out.append(
                Criterion4View(crit, cid, ref, depth, build(crit.children, cid, ref, depth + 1))
            )
        return out

    result: list[Criterion4View] = build(criteria, kind, "", 0)
    return result


def walk_views(views: list[Criterion4View]) -> Iterator[Criterion4View]:
    """Every criterion view in source order, depth first."""
    for v in views:
        yield v
        yield from walk_views(v.children)


def _html_block(value: Markup | str) -> Markup:
    """Jinja filter: strip indentation and drop blank lines so an HTML block stays one block."""
    lines = [line.strip() for line in str(value).splitlines()]
    return Markup("\n" + "\n".join(line for line in lines if line) + "\n\n")


def environment(override: str | None = None) -> Environment:
    """The Jinja environment for site templates: made once per build (a :class:`SiteContext`).

    Not cached across builds: Jinja notices a changed template file, but not a new one in
    the override folder that now shadows a shipped one (``mkdocs serve``, reuse keys)."""
    env = Environment(
        loader=FileSystemLoader([str(d / "site") for d in template_dirs(override)]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    escaping.register(env)
    env.filters["html_block"] = _html_block
    env.filters["label"] = enum_label
    env.filters["doi"] = doi_from_citation
    env.filters["key_facts"] = fact_rows
    return env


@dataclass(frozen=True)
class SiteContext:
    """What every page render needs besides its own subject."""

    corpus: Corpus
    use_directory_urls: bool = True
    pdf: frozenset[str] = frozenset()
    """NCT IDs whose brief and checklist PDFs are in the build (their pages link them)."""
    site_url: str | None = None
    templates: str | None = None
    changes: ChangeLog | None = None
    """Every trial's versions and changes; None builds no change pages (no history)."""
    jinja: Environment | None = field(default=None, compare=False, repr=False)
    """A template environment made earlier from the same templates (a worker keeps one for
    every batch it renders); None: make one."""

    @property
    def layout(self) -> Layout:
        """Paths and URLs of this site."""
        return Layout(self.use_directory_urls, self.site_url)

    @cached_property
    def env(self) -> Environment:
        """The template environment."""
        return self.jinja or environment(self.templates)


class _Urls:
    """Page-relative URLs for one page, handed to templates as ``urls``."""

    def __init__(self, ctx: SiteContext, src_path: str):
        self._ctx = ctx
        self._layout = ctx.layout
        self.root = self._layout.root(src_path)

    def page(self, src_path: str) -> Markup:
        return escape(self.root + self._layout.url(src_path))

    def file(self, path: str) -> Markup:
        return escape(self.root + path)

    def trial(self, nct_id: str) -> Markup:
        return self.page(Layout.trial_src(nct_id))

    def checklist(self, nct_id: str) -> Markup:
        return self.page(Layout.checklist_src(nct_id))

    def results(self, nct_id: str) -> Markup:
        return self.page(Layout.results_src(nct_id))

    def pdf(self, nct_id: str, kind: PdfKind) -> Markup:
        return self.file(Layout.pdf(nct_id, kind))

    def data(self, nct_id: str) -> Markup:
        return self.file(Layout.data(nct_id))

    def fhir(self, nct_id: str) -> Markup:
        return self.file(Layout.fhir(nct_id))

    def ris(self, nct_id: str) -> Markup:
        return self.file(Layout.ris(nct_id))

    def trials_csv(self) -> Markup:
        return self.file(TRIALS_CSV)

    def fhir_bundle(self) -> Markup:
        return self.file(FHIR_BUNDLE)

    def changes(self, kind: str | None = None) -> Markup:
        return self.page(Layout.changes_src(kind))

    def version(self, nct_id: str, vid: str) -> Markup:
        return self.file(Layout.version(nct_id, vid))

    def entry(self, entry: IndexEntry) -> Markup:
        return self.page(entry.src_path)

    def kind(self, kind: IndexKind) -> Markup:
        return self.page(Layout.kind_src(KINDS[kind][0]))

    def term(self, kind: IndexKind, term: str) -> Markup | None:
        entry = self._ctx.corpus.entry(kind, term)
        return self.entry(entry) if entry else None

    def related(self, nct_id: str) -> Markup:
        link = self._ctx.corpus.related_link(nct_id)
        return self.page(link.target) if link.internal else escape(link.target)


def _render(ctx: SiteContext, template: str, src_path: str, **context: Any) -> str:
    try:
        text = ctx.env.get_template(template).render(
            urls=_Urls(ctx, src_path),
            kinds=KINDS,
            pdf=ctx.pdf,
            corpus=ctx.corpus,
            src_path=src_path,
            **context,
        )
    except TemplateError as exc:
        raise RenderError(f"template {template}: {exc}", src_path) from exc
    return re.sub(r"\n{3,}", "\n\n", text)


def site_order(location: Location) -> int:
    """Sort key putting recruiting sites first (stable: the source order stays otherwise)."""
    return (
        _SITE_ORDER.get(location.status, len(_SITE_ORDER)) if location.status else len(_SITE_ORDER)
    )


def sites_by_country(trial: Trial) -> dict[str, list[Location]]:
    """Each country's sites, recruiting ones first, keyed as ``Corpus.countries`` names them."""
    out: dict[str, list[Location]] = {}
    for loc in trial.locations:
        out.setdefault(loc.country or "Country not given", []).append(loc)
    return {country: sorted(sites, key=site_order) for country, sites in out.items()}


def first_contacts(trial: Trial, n: int) -> list[tuple[Contact, Location | None]]:
    """Whom to name where space is short (brief, checklist): the central contacts, else the
    first sites' contacts, recruiting sites first, each with its site."""
    if trial.contacts:
        return [(c, None) for c in trial.contacts[:n]]
    sites = sorted((loc for loc in trial.locations if loc.contacts), key=site_order)
    return [(loc.contacts[0], loc) for loc in sites[:n]]


def _health_conditions(trial: Trial) -> list[dict[str, Any]]:
    """The trial's conditions, then its MeSH condition terms with their codes."""
    out: list[dict[str, Any]] = [{"@type": "MedicalCondition", "name": c} for c in trial.conditions]
    for term in trial.mesh.conditions.terms:
        condition: dict[str, Any] = {"@type": "MedicalCondition", "name": term.term}
        if term.id:  # legacy XML names the heading without its ID
            condition["code"] = {
                "@type": "MedicalCode",
                "codeValue": term.id,
                "codingSystem": "MeSH",
            }
        out.append(condition)
    return out


def _study_locations(trial: Trial) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for loc in trial.locations:
        name = ", ".join(p for p in (loc.facility, loc.city, loc.state, loc.country) if p)
        place: dict[str, Any] = {"@type": "AdministrativeArea", "name": name}
        if loc.geo is not None:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": loc.geo.lat,
                "longitude": loc.geo.lon,
            }
        out.append(place)
    return out


def json_ld(trial: Trial, ctx: SiteContext) -> dict[str, Any]:
    """schema.org ``MedicalTrial`` description of a trial."""
    own_url = ctx.layout.trial_url(trial.nct_id) or trial.registry_url
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalTrial",
        "identifier": trial.nct_id,
        "name": trial.title,
        "url": own_url,
        "sameAs": trial.registry_url,
    }
    if trial.acronym:
        data["alternateName"] = trial.acronym
    if trial.summary:
        data["description"] = trial.summary
    if trial.status:
        data["status"] = enum_label(trial.status)
    if trial.phases:
        data["phase"] = [enum_label(p) for p in trial.phases]
    if trial.conditions or trial.mesh.conditions.terms:
        data["healthCondition"] = _health_conditions(trial)
    if trial.outcomes:
        data["outcome"] = [
            f"{o.measure} ({o.time_frame})" if o.time_frame else o.measure for o in trial.outcomes
        ]
    if trial.locations:
        data["studyLocation"] = _study_locations(trial)
    if trial.sponsors:
        data["sponsor"] = [{"@type": "Organization", "name": s.name} for s in trial.sponsors]
    if trial.start_date:
        data["startDate"] = trial.start_date
    if trial.last_updated:
        data["dateModified"] = trial.last_updated
    return data


def _description(trial: Trial) -> str:
    text = " ".join((trial.summary or trial.official_title or trial.title).split())
    return text if len(text) <= 200 else text[:197].rstrip() + "..."


def render_trial(trial: Trial, ctx: SiteContext) -> str:
    """The trial summary page ``trials/<NCT>.md``."""
    src = Layout.trial_src(trial.nct_id)
    elig = trial.eligibility
    return _render(
        ctx,
        "trial.md",
        src,
        trial=trial,
        description=_description(trial),
        countries=ctx.corpus.countries(trial),
        sites=sites_by_country(trial),
        stopped=STOPPED,
        collapse_sites=COLLAPSE_SITES,
        inclusion=criteria_view("inclusion", elig.inclusion),
        exclusion=criteria_view("exclusion", elig.exclusion),
        other=criteria_view("other", elig.other),
        json_ld=json_ld(trial, ctx),
        finder_src=FINDER_DATA,
        fingerprint=criteria_fingerprint(elig.model_dump(mode="json")),
        timeline=_timeline(trial, ctx),
    )


def _timeline(trial: Trial, ctx: SiteContext) -> Timeline | None:
    return ctx.changes.timeline(trial.nct_id) if ctx.changes else None


def render_results(trial: Trial, ctx: SiteContext) -> str:
    """The posted results page ``results/<NCT>.md`` (only for trials with results)."""
    if trial.results is None:
        raise RenderError("no posted results to render", trial.source.path)
    return _render(
        ctx,
        "results.md",
        Layout.results_src(trial.nct_id),
        trial=trial,
        results=trial.results,
        tables=results_view,
        description=f"Posted results of {trial.nct_id}: {_description(trial)}",
    )


def render_checklist(trial: Trial, ctx: SiteContext) -> str:
    """The eligibility checklist page ``checklists/<NCT>.md``."""
    src = Layout.checklist_src(trial.nct_id)
    elig = trial.eligibility
    return _render(
        ctx,
        "checklist.md",
        src,
        trial=trial,
        description=f"Eligibility checklist for {trial.nct_id}",
        contacts=first_contacts(trial, 1),
        inclusion=criteria_view("inclusion", elig.inclusion),
        exclusion=criteria_view("exclusion", elig.exclusion),
        other=criteria_view("other", elig.other),
        fingerprint=criteria_fingerprint(elig.model_dump(mode="json")),
        timeline=_timeline(trial, ctx),
    )


def render_changes(ctx: SiteContext, kind: str | None) -> str:
    """A recent-changes page: every version with changes (of ``kind``), by registry date."""
    assert ctx.changes is not None
    groups: dict[str, list[tuple[TrialSummary, Any]]] = {}
    for nct_id, step in ctx.changes.recent():
        if kind is None or kind in step.kinds:
            groups.setdefault(step.date or "", []).append((ctx.corpus.summaries[nct_id], step))
    return _render(
        ctx,
        "changes.md",
        Layout.changes_src(kind),
        kind=kind,
        filter_kinds=FILTER_KINDS,
        groups=groups,
        feed=FEED,
    )


def render_trials_index(ctx: SiteContext) -> str:
    """``trials/index.md``: the trial finder, and every trial in a plain table without
    JavaScript."""
    return _render(
        ctx,
        "trials_index.md",
        TRIALS_INDEX,
        trials=list(ctx.corpus.summaries.values()),
        finder=finder_form(ctx.corpus),
    )


def render_kind_overview(kind: IndexKind, ctx: SiteContext) -> str:
    """``conditions/index.md`` etc.: every term of one kind with its trial count."""
    src = Layout.kind_src(KINDS[kind][0])
    entries = list(ctx.corpus.indexes[kind].values())
    return _render(ctx, "kind_index.md", src, kind=kind, entries=entries)


def render_term(entry: IndexEntry, ctx: SiteContext) -> str:
    """One condition, sponsor, ... page listing its trials."""
    trials = [ctx.corpus.summaries[n] for n in entry.nct_ids]
    return _render(ctx, "term.md", entry.src_path, entry=entry, trials=trials)


@dataclass(frozen=True)
class TrialPage:
    """A page made for each trial (the publish stage renders, keys and reuses these)."""

    src: Callable[[str], str]
    """The page's source path from the NCT ID (a :class:`Layout` method)."""
    template: str
    """The template it is made with (a change to it, or to what it extends, re-renders)."""
    render: Callable[[Trial, SiteContext], str]
    results_only: bool = False
    """Whether only trials with posted results have the page."""

    def applies(self, trial: Trial | TrialSummary) -> bool:
        """Whether this trial has the page at all (a results page only with posted
        results)."""
        if not self.results_only:
            return True
        if isinstance(trial, TrialSummary):
            return trial.has_results
        return trial.results is not None


#: Every per-trial page, in the order they are generated. Add a page here (a results page,
#: say) and the publish stage renders, caches and links it like the others.
TRIAL_PAGES: tuple[TrialPage, ...] = (
    TrialPage(Layout.trial_src, "trial.md", render_trial),
    TrialPage(Layout.checklist_src, "checklist.md", render_checklist),
    TrialPage(Layout.results_src, "results.md", render_results, results_only=True),
)


def render_site(ctx: SiteContext) -> dict[str, str]:
    """Every generated page, by source path relative to the docs dir, in a stable order."""
    pages: dict[str, str] = {TRIALS_INDEX: render_trials_index(ctx)}
    for kind in KINDS:
        pages[Layout.kind_src(KINDS[kind][0])] = render_kind_overview(kind, ctx)
        for entry in ctx.corpus.indexes[kind].values():
            pages[entry.src_path] = render_term(entry, ctx)
    for trial in ctx.corpus.trials.values():
        for page in TRIAL_PAGES:
            if page.applies(trial):
                pages[page.src(trial.nct_id)] = page.render(trial, ctx)
    if ctx.changes is not None:
        for change_kind in (None, *FILTER_KINDS):
            pages[Layout.changes_src(change_kind)] = render_changes(ctx, change_kind)
    return pages


def asset_path(name: str, override: str | Path | None = None) -> Path:
    """A shipped site asset (``assets/trialpress.js``), from the override folder if it has it."""
    for d in template_dirs(override):
        candidate = d / "site" / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"site asset {name} not found in templates")
