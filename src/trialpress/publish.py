"""The publish stage as a library: a corpus in, every generated file out, unchanged work reused.

``generate(corpus, options, out)`` renders what a site needs besides the engine's own pages:
trial and checklist pages, index pages, public JSON, brief and checklist PDFs, search entries
and the shipped assets, into the folder ``out`` laid out as a docs folder (:mod:`layout`).
The CLI, the MkDocs plugin and ``trialpress generate`` all call it with one explicit
:class:`PublishOptions`.

Content-addressed reuse: each trial's outputs are keyed by what they are made of (the
trial's JSON, its corpus view: which related trials are on the site and the index pages its
terms link to, the template sources, the options that change them and the trialpress
version). Entries live in a :class:`Store` the user may keep between runs (a CI cache); an
unchanged trial costs a hash and a read. Each entry names its key and the SHA-256 of its
payload, so a corrupt or foreign entry is detected, rendered again and never published.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, meta

from trialpress import __version__, exports, finder, render
from trialpress.changes import FILTER_KINDS
from trialpress.corpus import KINDS, Corpus, _terms
from trialpress.errors import RenderError
from trialpress.feed import EMPTY_SITEMAP, atom_feed
from trialpress.history import ChangeLog, HistoryStore
from trialpress.history import log as history_log
from trialpress.layout import (
    ASSET_DIR,
    FEED,
    FEED_SITEMAP,
    FINDER_DATA,
    PDF_MANIFEST,
    TRIALS_INDEX,
    Layout,
)
from trialpress.models import Trial
from trialpress.progress import NULL, Reporter
from trialpress.stopping import checkpoint
from trialpress.store import Store, digest, write_if_changed

PageSize = Literal["A4", "Letter"]


@dataclass(frozen=True)
class PublishOptions:
    """Everything a build is asked to do, passed explicitly from the CLI or the plugin."""

    templates: Path | None = None
    """A folder whose ``site/`` and ``pdf/`` templates override the shipped ones."""
    pdf: bool = True
    """Render brief and checklist PDFs."""
    jobs: int | None = None
    """Worker processes for rendering (default: all cores)."""
    executor: str | None = None
    """``dask://HOST:PORT`` to render PDFs on a Dask cluster; default: local processes."""
    page_size: PageSize = "A4"
    """Paper size of the PDFs."""
    use_directory_urls: bool = True
    """The engine's URL style (``trials/NCT1/`` or ``trials/NCT1.html``)."""
    site_url: str | None = None
    """Where the site is published: canonical URLs, JSON-LD, PDF links and QR codes."""
    cache: Path | None = None
    """The content-addressed store kept between runs; None: reuse nothing."""
    history: Path | None = None
    """The history store of every trial version seen (change pages, feed); None: none."""
    title: str = "Clinical trials"
    """The site's name, for the feed of recent changes."""

    @property
    def layout(self) -> Layout:
        """Paths and URLs of the site these options describe."""
        return Layout(self.use_directory_urls, self.site_url)

    def with_engine(self, *, use_directory_urls: bool, site_url: str | None) -> PublishOptions:
        """The same options with what the engine's config decides."""
        return replace(self, use_directory_urls=use_directory_urls, site_url=site_url or None)


# ------------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class SearchEntry:
    """What a search index needs of one trial page (plain text, not HTML)."""

    url: str
    """Site-root-relative URL of the page."""
    title: str
    text: str
    meta: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record ``{url, title, text, meta}``."""
        return {"url": self.url, "title": self.title, "text": self.text, "meta": dict(self.meta)}


@dataclass
class Generated:
    """What :func:`generate` produced, by path relative to ``out``."""

    out: Path
    #: Generated Markdown pages by source path (``trials/NCT1.md``), in a stable order.
    pages: dict[str, str] = field(default_factory=dict)
    #: Pages that belong to one trial or term (not in the navigation, all at the same depth):
    #: an adapter may build them outside the engine's page loop.
    standalone: list[str] = field(default_factory=list)
    #: Every other generated file (data, PDFs, PDF manifest, assets) by site path.
    files: dict[str, Path] = field(default_factory=dict)
    #: One search entry per trial page.
    search: list[SearchEntry] = field(default_factory=list)
    #: What was rendered rather than reused, as ``kind:path`` (``page:trials/NCT1.md``,
    #: ``pdf:pdf/NCT1-brief.pdf``), in order: for tests and benchmarks.
    rendered: list[str] = field(default_factory=list)
    #: Trials whose PDFs failed (the rest is built; their pages have no PDF links).
    errors: list[RenderError] = field(default_factory=list)


# ------------------------------------------------------------------------------- generate


def corpus_view(corpus: Corpus, trial: Trial) -> dict[str, Any]:
    """What a trial's pages read from the rest of the corpus: which related trials are on
    the site, and the index page each of its terms links to."""
    terms: dict[str, list[str | None]] = {}
    for kind in KINDS:
        entries = (corpus.entry(kind, term) for term in _terms(trial, kind) if term.strip())
        terms[kind] = [e.src_path if e else None for e in entries]
    related = sorted(r.nct_id for r in trial.related_trials if r.nct_id in corpus.trials)
    return {"related": related, "terms": terms}


def _search_entry(trial: Trial, layout: Layout) -> SearchEntry:
    """Index what people search for (titles, ids, conditions, interventions, sponsors,
    summary), not locations or criteria: the index stays lean."""
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
    return SearchEntry(
        url=layout.url(Layout.trial_src(trial.nct_id)),
        title=trial.title,
        text=" ".join(" ".join(words).split()),
        meta=meta,
    )


def generate(
    corpus: Corpus,
    options: PublishOptions,
    out: Path,
    *,
    reporter: Reporter = NULL,
    previous_pdfs: Path | None = None,
) -> Generated:
    """Render every generated file of the site into ``out`` (a docs-folder layout).

    Files already in ``out`` that this corpus does not produce are removed, so ``out`` can
    be kept between runs (``mkdocs serve``). ``previous_pdfs``: an earlier output's ``pdf/``
    folder whose unchanged PDFs may be copied (the site a build replaces).
    """
    out = Path(out)
    layout = options.layout
    store = Store(options.cache)
    result = Generated(out)

    pdf_ready: frozenset[str] = frozenset()
    if options.pdf:
        pdf_ready = _pdfs(corpus, options, out, store, result, reporter, previous_pdfs)

    changes = _history(corpus, options, result)
    ctx = render.SiteContext(
        corpus=corpus,
        use_directory_urls=options.use_directory_urls,
        pdf=pdf_ready,
        site_url=options.site_url,
        templates=str(options.templates) if options.templates else None,
        changes=changes,
    )
    studies: list[tuple[Trial, str]] = []  # each trial with its ResearchStudy JSON
    stage = reporter.stage("Rendering pages", len(corpus))
    engine = (options.use_directory_urls, options.site_url, __version__)
    page_keys = [digest(engine, template_sources(ctx.env, p.template)) for p in render.TRIAL_PAGES]
    for trial in corpus.trials.values():
        checkpoint()
        trial_json = trial.model_dump_json()
        view = corpus_view(corpus, trial)
        # Pages show the trial's versions and their changes: a new version re-renders them.
        timeline = changes.timeline(trial.nct_id) if changes else None
        versions = [s.version.id for s in timeline.steps] if timeline else None
        has_pdf = trial.nct_id in pdf_ready
        for page, page_key in zip(render.TRIAL_PAGES, page_keys, strict=True):
            if not page.applies(trial):
                continue
            src = page.src(trial.nct_id)
            key = digest("page", page.template, page_key, has_pdf, view, versions, trial_json)
            text = _cached_text(store, key)
            if text is None:
                text = page.render(trial, ctx)
                store.put(key, text.encode("utf-8"))
                result.rendered.append(f"page:{src}")
            result.pages[src] = text
            result.standalone.append(src)
        data_path = Layout.data(trial.nct_id)
        data_key = digest("data", __version__, trial_json)
        data = store.get(data_key)
        if data is None:  # json's indenting encoder is slow: reuse like a page
            text = json.dumps(trial.model_dump(mode="json"), indent=2, ensure_ascii=False)
            data = (text + "\n").encode("utf-8")
            store.put(data_key, data)
            result.rendered.append(f"data:{data_path}")
        write_if_changed(out / data_path, data)
        result.files[data_path] = out / data_path
        studies.append((trial, _trial_exports(trial, trial_json, store, out, result)))
        result.search.append(_search_entry(trial, layout))
        stage.advance()

    _index_pages(corpus, ctx, changes, options, result, store)
    for src, text in result.pages.items():
        write_if_changed(out / src, text.encode("utf-8"))
    for site_path, text in exports.corpus_files(studies).items():
        write_if_changed(out / site_path, text.encode("utf-8"))
        result.files[site_path] = out / site_path
    for name in render.ASSETS:
        dest = f"{ASSET_DIR}/{Path(name).name}"
        path = out / dest
        write_if_changed(path, render.asset_path(name, options.templates).read_bytes())
        result.files[dest] = path
    _prune(out, set(result.pages) | set(result.files))
    return result


def _index_pages(
    corpus: Corpus,
    ctx: render.SiteContext,
    changes: ChangeLog | None,
    options: PublishOptions,
    result: Generated,
    store: Store,
) -> None:
    """The pages and files that list many trials: index and change pages, the feed and the
    finder's data.

    Each page is keyed by what it reads: its template sources, the engine options and the
    trials it lists (a digest of each one's JSON; for change pages also the versions
    shown). A changed trial re-renders only the pages that list it; the rest cost a hash."""
    checkpoint()
    engine = (options.use_directory_urls, options.site_url, __version__)
    listed = {
        n: hashlib.sha256(t.model_dump_json().encode("utf-8")).hexdigest()
        for n, t in corpus.trials.items()
    }
    sources: dict[str, str] = {}

    def page(src: str, template: str, parts: object, make: Callable[[], str]) -> None:
        if template not in sources:
            sources[template] = template_sources(ctx.env, template)
        key = digest("index", src, sources[template], engine, parts)
        text = _cached_text(store, key)
        if text is None:
            text = make()
            store.put(key, text.encode("utf-8"))
            result.rendered.append(f"index:{src}")
        result.pages[src] = text

    every = list(listed.items())
    page(TRIALS_INDEX, "trials_index.md", every, lambda: render.render_trials_index(ctx))
    for kind in KINDS:
        entries = list(corpus.indexes[kind].values())
        page(
            Layout.kind_src(KINDS[kind][0]),
            "kind_index.md",
            [kind, [asdict(e) for e in entries]],
            partial(render.render_kind_overview, kind, ctx),
        )
        for entry in entries:
            page(
                entry.src_path,
                "term.md",
                [asdict(entry), [[n, listed[n]] for n in entry.nct_ids]],
                partial(render.render_term, entry, ctx),
            )
            result.standalone.append(entry.src_path)
    if changes is not None:
        recent = changes.recent()
        for change_kind in (None, *FILTER_KINDS):
            # A step's changes are made from its version and the ones before it.
            shown = [
                [n, listed[n], step.version.id, _version_ids(changes, n)]
                for n, step in recent
                if change_kind is None or change_kind in step.kinds
            ]
            page(
                Layout.changes_src(change_kind),
                "changes.md",
                [change_kind, shown],
                partial(render.render_changes, ctx, change_kind),
            )
        feed = atom_feed(
            changes,
            corpus,
            title=options.title,
            site_url=options.site_url,
            use_directory_urls=options.use_directory_urls,
        )
        for site_path, blob in ((FEED, feed), (FEED_SITEMAP, EMPTY_SITEMAP)):
            write_if_changed(result.out / site_path, blob)
            result.files[site_path] = result.out / site_path
    # The finder's data: one script shared by the All trials page and trial pages, made
    # from every trial (reused while none changed).
    finder_key = digest("finder", __version__, every)
    script = store.get(finder_key)
    if script is None:
        script = finder.finder_script(corpus)
        store.put(finder_key, script)
        result.rendered.append(f"data:{FINDER_DATA}")
    write_if_changed(result.out / FINDER_DATA, script)
    result.files[FINDER_DATA] = result.out / FINDER_DATA


def _version_ids(changes: ChangeLog, nct_id: str) -> list[str]:
    timeline = changes.timeline(nct_id)
    return [s.version.id for s in timeline.steps] if timeline else []


def _history(corpus: Corpus, options: PublishOptions, result: Generated) -> ChangeLog | None:
    """Compare every trial with its stored history and store its new version, if any; the
    stored versions are published for download. History is a convenience: a store that
    cannot be written is reported, never a failed build."""
    if options.history is None:
        return None
    store = HistoryStore(options.history)
    changes = store.changelog(list(corpus.trials.values()), Store(options.cache))
    try:
        store.commit(changes)
    except OSError as exc:
        history_log.warning("history: not stored in %s: %s", store.root, exc)
    for nct_id, timeline in changes.timelines.items():
        for step in timeline.steps:
            path = store.version_path(nct_id, step.version.id)
            if path.is_file():
                result.files[Layout.version(nct_id, step.version.id)] = path
    return changes


def _trial_exports(
    trial: Trial, trial_json: str, store: Store, out: Path, result: Generated
) -> str:
    """Write one trial's FHIR and RIS files (reused from the store when the trial is
    unchanged); return its ResearchStudy JSON for the site's Bundle."""
    key = digest("exports", __version__, trial_json)
    payload = store.get(key)  # the store checks key and checksum: an intact entry is ours
    files: dict[str, str] | None = json.loads(payload) if payload is not None else None
    if files is None:
        files = exports.trial_files(trial)
        store.put(key, json.dumps(files, sort_keys=True).encode("utf-8"))
        result.rendered.extend(f"exports:{path}" for path in files)
    for path, text in files.items():
        write_if_changed(out / path, text.encode("utf-8"))
        result.files[path] = out / path
    return files[Layout.fhir(trial.nct_id)]


def _cached_text(store: Store, key: str) -> str | None:
    payload = store.get(key)
    if payload is None:
        return None
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def template_sources(env: Environment, name: str) -> str:
    """Digest of a template and every template it extends, includes or imports: a change
    to one re-renders exactly the pages made with it."""
    seen: dict[str, str] = {}
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        assert env.loader is not None
        source, filename, _ = env.loader.get_source(env, current)
        seen[current] = f"{filename}\0{source}"
        todo += [t for t in meta.find_referenced_templates(env.parse(source)) if t]
    return digest(sorted(seen.items()))


def _pdfs(
    corpus: Corpus,
    options: PublishOptions,
    out: Path,
    store: Store,
    result: Generated,
    reporter: Reporter,
    previous: Path | None,
) -> frozenset[str]:
    """Brief and checklist PDFs into ``out/pdf``; the NCT IDs that have both."""
    from trialpress.pdf import render_pdfs

    pdf_dir = out / "pdf"
    written = render_pdfs(
        list(corpus.trials.values()),
        pdf_dir,
        jobs=options.jobs,
        executor=options.executor,
        page_size=options.page_size,
        site_url=options.site_url,
        use_directory_urls=options.use_directory_urls,
        templates=options.templates,
        errors=result.errors,
        reporter=reporter,
        cache_dir=previous,
        store=store,
        rendered=result.rendered,
    )
    for path in written:
        result.files[f"pdf/{path.name}"] = path
    if (out / PDF_MANIFEST).is_file():
        result.files[PDF_MANIFEST] = out / PDF_MANIFEST
    return frozenset(
        n
        for n in corpus.trials
        if Layout.pdf(n, "brief") in result.files and Layout.pdf(n, "checklist") in result.files
    )


#: The files the last :func:`generate` wrote into its folder: only those are ever removed,
#: so ``trialpress generate`` can write into a docs folder that holds hand-written pages.
GENERATED_LIST = ".trialpress-generated.json"


def _prune(out: Path, keep: Iterable[str]) -> None:
    """Remove files an earlier run generated that this one does not (a trial left the
    records, PDFs turned off); record what this run generated."""
    wanted = sorted(set(keep))
    listing = out / GENERATED_LIST
    try:
        before = json.loads(listing.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = []
    for rel in set(before if isinstance(before, list) else []) - set(wanted):
        path = out / str(rel)
        if out.resolve() in path.resolve().parents:
            path.unlink(missing_ok=True)
    write_if_changed(listing, (json.dumps(wanted, indent=0) + "\n").encode("utf-8"))
