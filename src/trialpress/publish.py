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
import weakref
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from jinja2 import Environment, meta

from trialpress import __version__, exports, finder, jsontext, render
from trialpress.changes import FILTER_KINDS
from trialpress.corpus import (
    KINDS,
    Corpus,
    IndexEntry,
    IndexKind,
    Shelved,
    TrialSummary,
    normalise_key,
)
from trialpress.errors import RenderError
from trialpress.executor import Outcome, Tasks, default_jobs, task_pool
from trialpress.feed import EMPTY_SITEMAP, atom_feed
from trialpress.history import ChangeLog, HistoryStore, Seen, Timeline
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
from trialpress.progress import NULL, Reporter, Stage
from trialpress.stopping import checkpoint
from trialpress.store import PageFiles, Store, digest, write_if_changed

if TYPE_CHECKING:
    from trialpress.pdf import PdfRun

PageSize = Literal["A4", "Letter"]


@dataclass(frozen=True)
class PublishOptions:
    """Everything a build is asked to do, passed explicitly from the CLI or the plugin."""

    templates: Path | None = None
    """A folder whose ``site/`` and ``pdf/`` templates override the shipped ones."""
    pdf: bool = True
    """Render brief and checklist PDFs."""
    jobs: int | None = None
    """Worker processes rendering trial pages, data and PDFs (default: all cores; 1: this
    process)."""
    executor: str | None = None
    """``dask://HOST:PORT`` to render them on a Dask cluster (see :mod:`executor`);
    default: local processes."""
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
    #: Generated Markdown pages by source path (``trials/NCT1.md``), in a stable order: the
    #: file in ``out`` that holds each. Paths, not text: 10,000 trials' pages held at once
    #: would cost hundreds of megabytes; a reader reads one page when it needs it.
    pages: dict[str, Path] = field(default_factory=dict)
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
    #: With :func:`generate`'s ``background``: waits for the PDFs still rendering (the
    #: files list them already), then drops those that failed from :attr:`files` and makes
    #: their trials' pages again without PDF links; returns those pages' source paths.
    #: None: nothing is left to wait for.
    finish: Callable[[], list[str]] | None = None


# ------------------------------------------------------------------------------- generate


def corpus_view(corpus: Corpus, trial: Trial | TrialSummary) -> dict[str, Any]:
    """What a trial's pages read from the rest of the corpus: whether each trial it names
    is on the site, and the index page (label, slug) each of its terms links to, if any:
    every term of each kind its pages look up (its own words, its MeSH terms, its arms'
    interventions and its countries, with sites or not: :attr:`TrialSummary.asked`).

    Part of the pages' key, and all a worker gets of the corpus (:class:`CorpusView`): a
    page can only depend on what its key names."""
    summary = trial if isinstance(trial, TrialSummary) else TrialSummary.of(trial)
    terms: dict[str, dict[str, tuple[str, str] | None]] = {}
    for kind in KINDS:
        found = terms[kind] = {}
        for term in summary.asked[kind]:
            entry = corpus.entry(kind, term)
            found[normalise_key(term)] = (entry.label, entry.slug) if entry else None
    return {"on_site": {n: n in corpus.trials for n in summary.named}, "terms": terms}


class _OnSite(dict[str, Trial]):
    """Membership answered from a view (``nct_id in corpus.trials``); no trials in it."""

    def __init__(self, on_site: dict[str, bool]) -> None:
        super().__init__()
        self._on_site = on_site

    def __contains__(self, nct_id: object) -> bool:
        if not isinstance(nct_id, str) or nct_id not in self._on_site:
            raise RenderError(
                f"a trial page asked whether {nct_id!r} is on the site, which "
                "its reuse key does not record (publish.corpus_view)"
            )
        return self._on_site[nct_id]


class CorpusView(Corpus):
    """The corpus as one trial's pages see it, answered from :func:`corpus_view` alone.

    Workers render from it (whatever the executor, one process or a cluster), so a page
    made anywhere is the page its key describes; a question the view cannot answer is a
    :class:`RenderError`, never a silently different page."""

    def __init__(self, view: dict[str, Any]) -> None:  # no trials, no index building
        self.trials = _OnSite(view["on_site"])
        self.shelf = {}
        self.summaries = {}
        self.errors = []
        self.indexes = {kind: {} for kind in KINDS}
        self._terms: dict[str, dict[str, Any]] = view["terms"]

    def entry(self, kind: IndexKind, term: str) -> IndexEntry | None:
        """The index page of a term the view recorded (label and slug: enough for a link)."""
        key = normalise_key(term)
        known = self._terms[kind]
        if key not in known:
            raise RenderError(
                f"a trial page looked up the {kind} {term!r}, which its reuse "
                "key does not record (publish.corpus_view)"
            )
        found = known[key]
        return None if found is None else IndexEntry(kind, key, found[0], found[1])


def _search_entry(trial: TrialSummary, layout: Layout) -> SearchEntry:
    """A trial page's search entry (what it indexes: :func:`corpus.search_words`)."""
    return SearchEntry(
        url=layout.url(Layout.trial_src(trial.nct_id)),
        title=trial.title,
        text=trial.search_text,
        meta=dict(trial.search_meta),
    )


def search_entries(corpus: Corpus, layout: Layout) -> list[SearchEntry]:
    """Every trial page's search entry, from the summaries alone: known before any page is
    made, so that indexing can start first (:attr:`Generated.search` holds the same)."""
    return [_search_entry(trial, layout) for trial in corpus.summaries.values()]


def generate(
    corpus: Corpus,
    options: PublishOptions,
    out: Path,
    *,
    reporter: Reporter = NULL,
    previous_pdfs: Path | None = None,
    background: ExitStack | None = None,
) -> Generated:
    """Render every generated file of the site into ``out`` (a docs-folder layout).

    Files already in ``out`` that this corpus does not produce are removed, so ``out`` can
    be kept between runs (``mkdocs serve``). ``previous_pdfs``: an earlier output's ``pdf/``
    folder whose unchanged PDFs may be copied (the site a build replaces).

    ``background``: the PDFs may go on rendering after this returns, until the caller
    calls :attr:`Generated.finish` (the caller's own work then runs beside them); the
    workers are stopped when this stack closes, however the caller ends. Without it the
    PDFs are finished before this returns.
    """
    out = Path(out)
    layout = options.layout
    store = Store(options.cache)
    result = Generated(out)
    jobs = options.jobs or default_jobs()
    # What every key says of a trial: a digest of its JSON, made once from the shelved JSON
    # (no trial is made whole for it) for the per-trial and the index-page keys and the
    # history's memo alike; the PDFs' keys hash the same JSON.
    listed = {
        n: hashlib.sha256(corpus.trial_json(n).encode("utf-8")).hexdigest() for n in corpus.shelf
    }

    with ExitStack() as own:
        running = own if background is None else background
        pdfs = _pdfs(corpus, options, out, store, result, reporter, previous_pdfs)
        if pdfs is not None:
            running.enter_context(pdfs.recording())
            for path in pdfs.planned.values():  # listed now; those that fail are dropped
                result.files[f"pdf/{path.name}"] = path
            result.files[PDF_MANIFEST] = out / PDF_MANIFEST
        pool: Tasks | None = None
        if pdfs is not None and pdfs.todo:
            # The workers start on the PDFs now, a few at a time while this process prepares
            # the pages, whose batches then go before the rest of the PDFs.
            pool = running.enter_context(
                task_pool(
                    size=len(pdfs.todo) + len(corpus),
                    jobs=options.jobs,
                    address=options.executor,
                    warm=pdfs.warm,
                    preload=["trialpress.publish", *pdfs.PRELOAD],
                )
            )
            # History comes first: it compares every trial, about a PDF's work per 50.
            pdfs.submit(pool, in_flight=jobs * max(_PDFS_AHEAD, len(corpus) // 50))
        # Pages link the PDFs expected to be made; a trial whose PDFs then fail gets its
        # pages made again without the links (_without_pdfs).
        pdf_ready = pdfs.expected if pdfs is not None else frozenset()
        changes = _history(corpus, options, result, listed)
        ctx = render.SiteContext(
            corpus=corpus,
            use_directory_urls=options.use_directory_urls,
            pdf=pdf_ready,
            site_url=options.site_url,
            templates=str(options.templates) if options.templates else None,
            changes=changes,
        )
        stage = reporter.stage("Rendering pages", len(corpus))
        engine = (options.use_directory_urls, options.site_url, __version__)
        sources = [template_sources(ctx.env, p.template) for p in render.TRIAL_PAGES]
        page_keys = [digest(engine, source) for source in sources]
        todo: list[TrialWork] = []
        # Which key each file here was written from, when the store is kept: a file still
        # as it was written costs a stat, not a store read and a comparison (trials the
        # workers render are recorded by the next build).
        written = PageFiles(out, WRITTEN_LIST) if options.cache is not None else None
        for trial in corpus.summaries.values():
            checkpoint()
            work = _reuse(
                trial,
                listed[trial.nct_id],
                corpus,
                changes,
                pdf_ready,
                page_keys,
                store,
                result,
                written,
            )
            if work is not None:
                todo.append(work)
            else:
                stage.advance()
            result.search.append(_search_entry(trial, layout))
            if pool is not None and pdfs is not None:
                pdfs.submit(pool, in_flight=_PDFS_AHEAD * jobs)
        common = Batch(  # absolute paths: a cluster's workers need not share our working folder
            out=out.absolute(),
            cache=options.cache.absolute() if options.cache else None,
            use_directory_urls=options.use_directory_urls,
            site_url=options.site_url,
            templates=ctx.templates,
            history=changes is not None,
            env_key=digest(sources),
        )
        batches = _batches(todo, common, options)
        # One executor for the pages and the PDFs: the pages' batches go first, and the
        # workers go on with the PDFs while this process makes the index pages and the
        # corpus files (a pool of their own would wait for the PDFs, or they for it).
        if pool is None:
            # No PDF to go on rendering: the pool ends with this function, so that later
            # stages may fork workers of their own (the standalone pages, plugin.on_env).
            pool = own.enter_context(
                task_pool(
                    size=len(batches),
                    jobs=options.jobs,
                    address=options.executor,
                    preload=["trialpress.publish"],
                )
            )
        sent = [pool.submit(render_batch, batch) for batch in batches]
        if pdfs is not None:
            pdfs.submit(pool)
        _index_pages(corpus, listed, ctx, changes, options, result, store)
        result.rendered += _wait_for_batches(pool, sent, batches, stage, pdfs)
        # The Bundle is made from each trial's ResearchStudy JSON as its worker wrote it.
        for site_path in exports.write_corpus_files(
            corpus.summaries.values(),
            lambda nct_id: (out / Layout.fhir(nct_id)).read_text(encoding="utf-8"),
            out,
        ):
            result.files[site_path] = out / site_path
        for name in render.ASSETS:
            dest = f"{ASSET_DIR}/{Path(name).name}"
            path = out / dest
            write_if_changed(path, render.asset_path(name, options.templates).read_bytes())
            result.files[dest] = path

        def finish() -> list[str]:
            """Wait for the PDFs; make the pages of trials whose PDFs failed again, without
            the links. Returns the pages made again (none when no PDF failed)."""
            remade: list[str] = []
            if pdfs is not None:
                made = _finish_pdfs(pdfs, corpus, out, result)
                ready_keys = (changes, made, page_keys, store, out)
                for nct_id in sorted(pdfs.expected - made):
                    summary = corpus.summaries[nct_id]
                    again = _without_pdfs(summary, listed, corpus, common, ready_keys)
                    result.rendered += again
                    remade += [entry.split(":", 1)[1] for entry in again]
                result.rendered[:0] = pdfs.rendered or []  # PDFs first, as they were made first
            _prune(out, set(result.pages) | set(result.files))
            if written is not None:
                written.save(remove=False)  # _prune removes what is no longer generated
            return remade

        if background is None or pdfs is None:
            finish()
        else:
            result.finish = finish
    return result


#: PDFs per worker kept unfinished while the pages are prepared: enough that no worker
#: waits for the next, few enough that the pages' batches soon come first.
_PDFS_AHEAD = 2


def _batches(todo: list[TrialWork], common: Batch, options: PublishOptions) -> list[Batch]:
    """The trials the store lacked, in chunks of work for the executor."""
    jobs = options.jobs or default_jobs()
    size = max(BATCH_MIN, min(BATCH_MAX, -(-len(todo) // (4 * jobs))))
    return [replace(common, work=tuple(todo[i : i + size])) for i in range(0, len(todo), size)]


def _wait_for_batches(
    pool: Tasks,
    sent: list[Outcome[list[str]]],
    batches: list[Batch],
    stage: Stage,
    pdfs: PdfRun | None,
) -> list[str]:
    """Wait for the batches (each writes its own files) and return what was rendered, in
    trial order; the PDFs finished meanwhile are written as they come. A stop request is
    honoured between batches."""
    done: dict[int, list[str]] = {}
    for n, outcome in pool.as_completed(sent):
        done[n] = outcome.result()
        written = batches[n].out / done[n][0].split(":", 1)[1] if done[n] else None
        if written is not None and not written.is_file():
            raise RenderError(
                f"{written}: not found after a worker wrote it: the executor's "
                "workers must see the output and cache folders at the same paths"
            )
        stage.advance(len(batches[n].work))
        if pdfs is not None:
            pdfs.drain()
        checkpoint()  # a stop signal ends the build after the batch it waited for
    # in trial order, whatever order the batches finished in
    return [entry for n in sorted(done) for entry in done[n]]


def _without_pdfs(
    trial: TrialSummary,
    listed: dict[str, str],
    corpus: Corpus,
    common: Batch,
    ready_keys: tuple[ChangeLog | None, frozenset[str], list[str], Store, Path],
) -> list[str]:
    """Make a trial's pages again, without PDF links: its PDFs failed after its pages were
    made expecting them (its data and exports stand)."""
    changes, made, page_keys, store, out = ready_keys
    scratch = Generated(out)  # its pages and files are listed already
    work = _reuse(trial, listed[trial.nct_id], corpus, changes, made, page_keys, store, scratch)
    if work is None or not work.pages:
        return []
    return render_batch(replace(common, work=(replace(work, data_key=None, exports_key=None),)))


def _index_pages(
    corpus: Corpus,
    listed: dict[str, str],
    ctx: render.SiteContext,
    changes: ChangeLog | None,
    options: PublishOptions,
    result: Generated,
    store: Store,
) -> None:
    """The pages and files that list many trials: index and change pages, the feed and the
    finder's data.

    Each page is keyed by what it reads: its template sources, the engine options and the
    trials it lists (``listed``: a digest of each one's JSON; for change pages also the
    versions shown). A changed trial re-renders only the pages that list it; the rest cost
    a hash."""
    checkpoint()
    engine = (options.use_directory_urls, options.site_url, __version__)
    sources: dict[str, str] = {}

    def page(src: str, template: str, parts: object, make: Callable[[], str]) -> None:
        if template not in sources:
            sources[template] = template_sources(ctx.env, template)
        key = digest("index", src, sources[template], engine, parts)
        data = _page_text(store.get(key))
        if data is None:
            data = make().encode("utf-8")
            store.put(key, data)
            result.rendered.append(f"index:{src}")
        write_if_changed(result.out / src, data)
        result.pages[src] = result.out / src

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


def _history(
    corpus: Corpus, options: PublishOptions, result: Generated, listed: dict[str, str]
) -> ChangeLog | None:
    """Compare every trial with its stored history and store its new version, if any; the
    stored versions are published for download. History is a convenience: a store that
    cannot be written is reported, never a failed build."""
    if options.history is None:
        return None
    store = HistoryStore(options.history)
    seen = (  # from the shelved JSON: no trial is made whole for its history
        Seen(s.nct_id, s.last_updated, corpus.trial_json(s.nct_id))
        for s in corpus.summaries.values()
    )
    changes = store.changelog(seen, Store(options.cache), listed)
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


def _page_text(payload: bytes | None) -> bytes | None:
    """A stored page, if it is text (a page is Markdown: UTF-8 or not ours)."""
    if payload is None:
        return None
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return payload


# ------------------------------------------------------------------------------- trials


@dataclass(frozen=True)
class TrialWork:
    """What the store did not have of one trial, with everything needed to make it: a
    worker gets nothing else (no corpus, no store lookups, no parent state)."""

    nct_id: str
    packed: bytes
    """The trial's ``model_dump_json()``, compressed, as the corpus shelves it
    (:class:`~trialpress.corpus.Shelved`): validating JSON in the worker is faster than
    unpickling the model (1.2 s against 1.9 s per 1,000 trials) and gives the same trial
    (the record store relies on it too). Queued work holds a few KB per trial."""
    view: dict[str, Any]
    """Its :func:`corpus_view`."""
    timeline: Timeline | None
    has_pdf: bool
    pages: tuple[tuple[int, str], ...]
    """(index into ``render.TRIAL_PAGES``, store key) of each page to render."""
    data_key: str | None
    """Store key of its public JSON, when that is to be made."""
    exports_key: str | None
    """Store key of its FHIR and RIS files, when those are to be made."""


@dataclass(frozen=True)
class Batch:
    """A chunk of trials to render, and the build's options they are rendered with."""

    out: Path
    cache: Path | None
    use_directory_urls: bool
    site_url: str | None
    templates: str | None
    history: bool
    env_key: str
    """Digest of the page templates' sources: a worker reuses its template environment
    while this stays the same."""
    work: tuple[TrialWork, ...] = ()


#: Trials per task: enough to pay a task's overhead (pickling, scheduling) many times over,
#: few enough that a stop request is honoured soon and the cores stay evenly busy.
BATCH_MIN, BATCH_MAX = 4, 50


def _reuse(
    trial: TrialSummary,
    trial_digest: str,
    corpus: Corpus,
    changes: ChangeLog | None,
    pdf_ready: frozenset[str],
    page_keys: list[str],
    store: Store,
    result: Generated,
    written: PageFiles | None = None,
) -> TrialWork | None:
    """Write what the store has of one trial's pages, data and exports; return what it
    lacks (None: nothing), to be rendered by :func:`render_batch`. ``trial_digest``: the
    digest of the trial's JSON that each of its keys holds; ``written``: which key each
    file of the output was written from (a file still as written is left as it is)."""
    nct_id = trial.nct_id
    out = result.out
    view = corpus_view(corpus, trial)

    def placed(path: str, key: str) -> bool:
        return written is not None and written.path(path, key) is not None

    def place(path: str, key: str, data: bytes) -> None:
        write_if_changed(out / path, data)
        if written is not None:
            written.record(path, key)

    # Pages show the trial's versions and their changes: a new version re-renders them.
    timeline = changes.timeline(nct_id) if changes else None
    versions = [s.version.id for s in timeline.steps] if timeline else None
    has_pdf = nct_id in pdf_ready
    pages: list[tuple[int, str]] = []
    for n, (page, page_key) in enumerate(zip(render.TRIAL_PAGES, page_keys, strict=True)):
        if not page.applies(trial):
            continue
        src = page.src(nct_id)
        key = digest("page", page.template, page_key, has_pdf, view, versions, trial_digest)
        if not placed(src, key):
            text = _page_text(store.get(key))
            if text is None:
                pages.append((n, key))
            else:
                place(src, key, text)
        result.pages[src] = out / src
        result.standalone.append(src)
    data_path = Layout.data(nct_id)
    data_key = digest("data", __version__, trial_digest)
    data_ok = placed(data_path, data_key)
    if not data_ok:
        data = store.get(data_key)
        if data is not None:
            place(data_path, data_key, data)
            data_ok = True
    result.files[data_path] = out / data_path
    exports_key = digest("exports", __version__, trial_digest)
    export_paths = (Layout.fhir(nct_id), Layout.ris(nct_id))
    exports_ok = all(placed(path, exports_key) for path in export_paths)
    if not exports_ok:
        # The store checks key and checksum: an intact entry is ours.
        payload = store.get(exports_key)
        if payload is not None:
            for path, text in json.loads(payload).items():
                place(path, exports_key, text.encode("utf-8"))
            exports_ok = True
    for path in export_paths:
        result.files[path] = out / path
    if not pages and data_ok and exports_ok:
        return None
    return TrialWork(
        nct_id,
        corpus.shelf[nct_id].packed,
        view,
        timeline,
        has_pdf,
        tuple(pages),
        None if data_ok else data_key,
        None if exports_ok else exports_key,
    )


#: A worker's template environment for the page templates it last rendered with.
_ENV: dict[tuple[str | None, str], Environment] = {}


def render_batch(batch: Batch) -> list[str]:
    """Render and store a batch's pages, data and exports and write them into its output
    folder (in a worker process, or in this one); return what was rendered, as
    ``kind:path``. Runs on what the batch holds and the shared folders alone."""
    store = Store(batch.cache)
    env_key = (batch.templates, batch.env_key)
    if env_key not in _ENV:
        _ENV.clear()
        _ENV[env_key] = render.environment(batch.templates)
    rendered: list[str] = []
    for work in batch.work:
        checkpoint()
        trial, nct_id = Shelved.unpack(work.packed), work.nct_id
        timelines = {nct_id: work.timeline} if work.timeline else {}
        ctx = render.SiteContext(
            corpus=CorpusView(work.view),
            use_directory_urls=batch.use_directory_urls,
            pdf=frozenset({nct_id} if work.has_pdf else ()),
            site_url=batch.site_url,
            templates=batch.templates,
            changes=ChangeLog(timelines) if batch.history else None,
            jinja=_ENV[env_key],
        )
        for n, key in work.pages:
            page = render.TRIAL_PAGES[n]
            _store_and_write(store, key, page.render(trial, ctx), batch.out / page.src(nct_id))
            rendered.append(f"page:{page.src(nct_id)}")
        if work.data_key is not None:  # pretty JSON costs: reuse it like a page
            text = jsontext.pretty(trial.model_dump(mode="json"))
            _store_and_write(store, work.data_key, text + "\n", batch.out / Layout.data(nct_id))
            rendered.append(f"data:{Layout.data(nct_id)}")
        if work.exports_key is not None:
            files = exports.trial_files(trial)
            store.put(work.exports_key, json.dumps(files, sort_keys=True).encode("utf-8"))
            for path, text in files.items():
                write_if_changed(batch.out / path, text.encode("utf-8"))
                rendered.append(f"exports:{path}")
    return rendered


def _store_and_write(store: Store, key: str, text: str, path: Path) -> None:
    data = text.encode("utf-8")
    store.put(key, data)
    write_if_changed(path, data)


#: The templates each template source names, per environment (its syntax settings decide
#: how a source parses): a build asks for the page keys of several templates that share
#: their base and macros, and each source is parsed once.
_REFERENCED: weakref.WeakKeyDictionary[Environment, dict[str, list[str]]] = (
    weakref.WeakKeyDictionary()
)


def template_sources(env: Environment, name: str) -> str:
    """Digest of a template and every template it extends, includes or imports: a change
    to one re-renders exactly the pages made with it."""
    seen: dict[str, str] = {}
    referenced = _REFERENCED.setdefault(env, {})
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        assert env.loader is not None
        source, filename, _ = env.loader.get_source(env, current)
        seen[current] = f"{filename}\0{source}"
        if source not in referenced:  # keyed by the source itself: an edit parses again
            found = meta.find_referenced_templates(env.parse(source))
            referenced[source] = [t for t in found if t]
        todo += referenced[source]
    return digest(sorted(seen.items()))


def _pdfs(
    corpus: Corpus,
    options: PublishOptions,
    out: Path,
    store: Store,
    result: Generated,
    reporter: Reporter,
    previous: Path | None,
) -> PdfRun | None:
    """Brief and checklist PDFs into ``out/pdf``: the unchanged ones reused now, the rest
    to be rendered (None: no PDFs asked for). Their failures are the build's errors."""
    if not options.pdf:
        return None
    from trialpress.pdf import PdfRun

    return PdfRun(
        list(corpus.trials.values()),
        out / "pdf",
        page_size=options.page_size,
        site_url=options.site_url,
        use_directory_urls=options.use_directory_urls,
        templates=options.templates,
        errors=result.errors,
        reporter=reporter,
        cache_dir=previous,
        store=store,
        rendered=[],
        trial_json=lambda t: corpus.trial_json(t.nct_id).encode("utf-8"),
    )


def _finish_pdfs(pdfs: PdfRun, corpus: Corpus, out: Path, result: Generated) -> frozenset[str]:
    """Wait for the PDFs; drop from the listing those not made. The NCT IDs that have both."""
    made = {path.name for path in pdfs.finish()}
    for path in pdfs.planned.values():
        if path.name not in made:
            del result.files[f"pdf/{path.name}"]
    if not (out / PDF_MANIFEST).is_file():
        del result.files[PDF_MANIFEST]
    return frozenset(
        n
        for n in corpus.trials
        if Layout.pdf(n, "brief") in result.files and Layout.pdf(n, "checklist") in result.files
    )


#: The files the last :func:`generate` wrote into its folder: only those are ever removed,
#: so ``trialpress generate`` can write into a docs folder that holds hand-written pages.
GENERATED_LIST = ".trialpress-generated.json"
#: Which key each trial file of that folder was written from, with its size and time.
WRITTEN_LIST = ".trialpress-written.json"


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
