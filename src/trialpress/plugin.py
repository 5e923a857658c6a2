"""The ``trialpress`` MkDocs plugin: trial pages, checklists and indexes in any MkDocs site.

A thin adapter (like the CLI): it reads the records (or takes the trials ``trialpress build``
read), builds the corpus and calls :func:`trialpress.publish.generate` with one explicit
:class:`~trialpress.publish.PublishOptions`. Generated files go to a folder outside
``docs_dir`` and are added to MkDocs' files.

Pages that belong to one trial or one index term (trial, checklist and term pages: not in
the navigation, all at the same depth) do not go through MkDocs' page loop. Each is built
from MkDocs' own parts (its ``Page``, Markdown settings, template context and the theme's
``main.html``), so it looks exactly as before, and its HTML is kept in the content-addressed
store under a key made of its Markdown, its URL and the site's chrome (a probe page rendered
once per build: theme, navigation, config). An unchanged page costs a hash; the engine's
per-page cost is paid only for changed pages and for hand-written and navigation pages.
The pages the store lacks are rendered in batches by worker processes forked from the build
(``jobs``), which inherit the theme, navigation, files and config.
Their Markdown goes through :mod:`trialpress.fastpage`: ``Page.render``'s output without
``html.parser`` reading the large raw HTML blocks (the bulk of a cold build's Markdown time).
``engine_pages: true`` sends every page through MkDocs instead (for plugins that must see
every page). Other plugins' page events do not run on the pages built here.

Record errors go through MkDocs' logger (``mkdocs.plugins.trialpress``) as errors naming
the file and line: the build goes on without that record, and ``mkdocs build --strict``
fails. ``trialpress build`` sets :attr:`TrialpressPlugin.preloaded` so it can report record
errors itself and still build the good records in strict mode.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from trialpress import __version__, fastpage, render, search
from trialpress.corpus import Corpus, Shelved
from trialpress.errors import RenderError, TrialpressError
from trialpress.executor import default_jobs, run_tasks
from trialpress.layout import ASSET_DIR, FEED, TRIALS_INDEX, root_of
from trialpress.models import Trial
from trialpress.progress import NULL, Reporter
from trialpress.publish import Generated, PublishOptions, SearchEntry, generate, search_entries
from trialpress.stopping import checkpoint
from trialpress.store import PageFiles, Store, digest, link_or_copy, write_if_changed

log = logging.getLogger("mkdocs.plugins.trialpress")

#: Kept for callers of earlier versions: where the shipped CSS/JS land in the built site.
ASSET_DEST = ASSET_DIR
_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
_SEARCH_DIALOG_NAMED = _SEARCH_DIALOG.replace('role="dialog"', 'role="dialog" aria-label="Search"')
#: A page at the depth of every standalone page, rendered once per build: its HTML is the
#: site's chrome (theme, navigation, assets), part of every standalone page's key.
_PROBE_SRC = "trials/trialpress-chrome-probe.md"
_PROBE_MD = "---\ntitle: probe\n---\n\nprobe\n"

#: A search index builder, called after the build with the search entries and the config.
SearchIndexer = Callable[[Sequence[SearchEntry], MkDocsConfig], None]


class LinkedFile(File):
    """A generated file of the working folder, placed in the site as a hard link (a copy
    across file systems): every writer of the working folder replaces files by renaming a
    new one into place and never changes one in place, so the site's file keeps its bytes."""

    #: Set once the file is in the site (:func:`_place`): MkDocs' copy is then a no-op.
    placed = False

    def copy_file(self, dirty: bool = False) -> None:
        """Link (or copy) the working folder's file to its place in the site."""
        if self.placed or (dirty and not self.is_modified()):
            return
        assert self.abs_src_path is not None
        link_or_copy(Path(self.abs_src_path), Path(self.abs_dest_path))
        self.placed = True


#: Threads placing generated files in the site: linking is system calls (no GIL held), and a
#: site has tens of thousands of generated files, which MkDocs would copy one by one.
_PLACING_THREADS = 4


def _place(files: Files) -> None:
    """Put every generated file in the site now, a few at a time (before MkDocs' own copy
    of static files, which then skips them; the threads are gone when this returns). All
    of them are static files, not in the navigation (what MkDocs copies)."""
    from concurrent.futures import ThreadPoolExecutor

    todo = [f for f in files if isinstance(f, LinkedFile) and not f.is_documentation_page()]
    size = max(1, -(-len(todo) // (4 * _PLACING_THREADS)))
    with ThreadPoolExecutor(_PLACING_THREADS, thread_name_prefix="trialpress-place") as pool:
        for _ in pool.map(_copy_all, [todo[i : i + size] for i in range(0, len(todo), size)]):
            pass


def _copy_all(files: Sequence[LinkedFile]) -> None:
    for file in files:
        file.copy_file()


class TrialpressConfig(base.Config):  # type: ignore[no-untyped-call]
    """Options of the ``trialpress`` plugin in ``mkdocs.yml``."""

    records = c.ListOfItems(c.Type(str), default=[])
    """Record files or folders, relative to the folder of ``mkdocs.yml``."""

    templates = c.Optional(c.Type(str))
    """A folder whose ``site/`` (and ``pdf/``) templates override the shipped ones."""

    pdf = c.Type(bool, default=True)
    """Render brief and checklist PDFs with WeasyPrint into ``pdf/`` and link them."""

    jobs = c.Optional(c.Type(int))
    """Worker processes for trial pages, data and PDFs; default: all cores."""

    executor = c.Optional(c.Type(str))
    """``dask://HOST:PORT``: render trial pages, data and PDFs on that Dask cluster instead
    of local processes (its workers must see ``cache_dir`` at the same path)."""

    page_size = c.Choice(("A4", "Letter"), default="A4")
    """Paper size of the PDFs."""

    cache_dir = c.Type(str, default=".trialpress")
    """Generated files and the reuse store (``store/``), relative to ``mkdocs.yml``; keep it
    out of git, and between CI runs to make rebuilds quick."""

    engine_pages = c.Type(bool, default=False)
    """Build trial, checklist and term pages through MkDocs' page loop too (slower)."""

    history = c.Type(str, default=".trialpress/history")
    """The history store (every trial version seen), relative to ``mkdocs.yml``: keep it
    across builds (commit it, or cache it in CI) for the "What changed" pages and feed."""


def material_search(entries: Sequence[SearchEntry], config: MkDocsConfig) -> None:
    """Add the trial pages to the search index of MkDocs' ``search`` plugin, if it wrote one.

    An alternative :data:`SearchIndexer` to the default Pagefind index (set
    :attr:`TrialpressPlugin.search_indexer`): simple, but the index every visitor loads then
    grows by about 2.8 KB per trial.
    """
    path = Path(config.site_dir) / "search" / "search_index.json"
    if not entries or not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    index["docs"].extend(
        {"location": e.url, "title": html.escape(e.title), "text": html.escape(e.text)}
        for e in entries
    )
    path.write_text(json.dumps(index, separators=(",", ":"), default=str), encoding="utf-8")


#: Options and records for builds of one config file, set by ``trialpress serve`` (MkDocs'
#: dev server loads the config itself, so they cannot be handed to the plugin instance).
_SESSIONS: dict[Path, tuple[PublishOptions, list[str], Path | None]] = {}


@contextmanager
def session(
    config_file: Path, options: PublishOptions, records: list[str], work: Path | None = None
) -> Iterator[None]:
    """Builds of ``config_file`` in this process use these options, records and (when
    given) generated folder."""
    key = Path(config_file).resolve()
    _SESSIONS[key] = (options, records, work)
    try:
        yield
    finally:
        _SESSIONS.pop(key, None)


def _language(config: MkDocsConfig) -> str:
    """The site's language, which Pagefind is told to index in."""
    return str(config.theme.get("language") or "en")


def _feed_link(page_html: str, root: str) -> str:
    """The page with the recent-changes feed linked in its head (``root``: the site root)."""
    link = (
        '<link rel="alternate" type="application/atom+xml" '
        f'title="Recent changes" href="{root}{FEED}">'
    )
    return page_html.replace("</head>", f"{link}\n</head>", 1)


#: Standalone pages per task of :meth:`TrialpressPlugin._render_misses`: a page costs about
#: a millisecond, so a batch pays its task's overhead many times over, and a stop request is
#: still honoured within a fraction of a second.
HTML_BATCH_MIN, HTML_BATCH_MAX = 16, 200


@dataclass(frozen=True)
class _Miss:
    """A standalone page the store lacks: its source, key, site path and Markdown file."""

    src: str
    key: str
    dest: str
    markdown: Path


@dataclass(frozen=True)
class _Inherited:
    """What a forked worker renders standalone pages with: the state of the build that
    forked it (set just before the fork, never sent)."""

    plugin: TrialpressPlugin
    env: Any
    config: MkDocsConfig
    files: Files
    doc_files: Sequence[File]
    pages: PageFiles
    parent: int


_INHERITED: _Inherited | None = None


class _Held(logging.Handler):
    """Keeps a worker's log records to be handled by the build's process."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args, record.exc_info = record.getMessage(), None, None
        self.records.append(record)


def _render_standalone(
    batch: Sequence[_Miss],
) -> tuple[int, list[tuple[str, bool]], list[logging.LogRecord]]:
    """Render, store and write a batch of standalone pages with the inherited state; return
    this process's id, each page's source and whether it took the fast path, and (in a
    worker) MkDocs' log records, which the build's own handlers must see (warnings count
    in strict mode)."""
    state = _INHERITED
    assert state is not None
    store = Store(state.plugin.options.cache if state.plugin.options else None)
    logger = logging.getLogger("mkdocs")
    held = _Held()
    worker = os.getpid() != state.parent
    if worker:  # a forked worker exits after the build: its handlers need not come back
        logger.handlers, logger.propagate = [held], False
    rendered: list[tuple[str, bool]] = []
    for miss in batch:
        checkpoint()
        markdown = miss.markdown.read_text(encoding="utf-8")
        text, fast = state.plugin._render(
            miss.src, markdown, state.env, state.config, state.files, state.doc_files
        )
        data = text.encode("utf-8", errors="xmlcharrefreplace")
        store.put(miss.key, data)
        state.pages.write(miss.dest, data)
        rendered.append((miss.src, fast))
    return os.getpid(), rendered, held.records


class TrialpressPlugin(BasePlugin[TrialpressConfig]):  # type: ignore[no-untyped-call]
    """Adds the generated trial, checklist and index pages to an MkDocs build."""

    def __init__(self) -> None:
        #: Trials read by the caller (``trialpress build``); when set, ``records`` is ignored.
        self.preloaded: Sequence[Trial | Shelved] | None = None
        #: Options passed by the caller (``trialpress build``); else made from ``mkdocs.yml``.
        self.options: PublishOptions | None = None
        #: Record errors of the last build (read errors, duplicates, PDF failures).
        self.record_errors: list[TrialpressError] = []
        #: Number of trials in the last build.
        self.trial_count = 0
        #: Progress of PDF rendering (``trialpress build`` passes its progress bars).
        self.reporter: Reporter = NULL
        #: An earlier build's ``pdf/`` folder whose unchanged PDFs are reused
        #: (``trialpress build`` passes the previous output's).
        self.pdf_reuse_dir: Path | None = None
        #: Called with the site folder before MkDocs writes into it (in ``on_env``, after
        #: it cleaned it): ``trialpress build`` puts the folders of the output it replaced
        #: there, made ready meanwhile.
        self.before_writing: Callable[[Path], None] | None = None
        #: Builds the search index from the trials' search entries after the build.
        self.search_indexer: SearchIndexer = self.pagefind_index
        #: Search entries of the index-term pages (Pagefind indexes them with the trials').
        self._term_entries: list[SearchEntry] = []
        #: The Pagefind run started in ``on_files`` (joined in ``on_post_build``).
        self._indexing: search.Indexing | None = None
        #: Set by ``trialpress build`` around the MkDocs build: the PDFs render beside the
        #: rest of the build until ``on_env`` ends (the stack stops them however the build
        #: ends). Unset (plain MkDocs), they are finished before the pages are made.
        self.background: ExitStack | None = None
        #: What the last build generated (pages, files, search entries, what was rendered).
        self.generated: Generated | None = None
        self._config_dir = Path.cwd()
        self._records: list[str] = []
        self._nav: Navigation | None = None
        self._standalone: list[File] = []
        self._site_files: Files | None = None
        #: Generated pages of the last build (standalone and index pages) whose Markdown took
        #: :mod:`trialpress.fastpage`'s fast path (the rest went through ``Page.render`` as
        #: usual): for tests and benchmarks.
        self.fast_pages: list[str] = []
        #: Worker processes that rendered standalone pages in the last build (none when
        #: they were rendered in this process): for tests.
        self.html_workers: set[int] = set()

    # -- paths and options ------------------------------------------------------------------
    def _resolve(self, path: str | Path) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self._config_dir / p

    @property
    def cache_dir(self) -> Path:
        """The generated folder (absolute)."""
        return self._resolve(self.config.cache_dir)

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Settle the options; add the shipped CSS and JavaScript."""
        config_path = Path(config.config_file_path or "mkdocs.yml").resolve()
        self._config_dir = config_path.parent
        served = _SESSIONS.get(config_path)
        if served is not None:
            self.options, self._records, work = served
            if work is not None:
                self.config.cache_dir = str(work)
        else:
            self._records = list(self.config.records)
        if self.options is None:
            self.options = PublishOptions(
                templates=self._resolve(self.config.templates) if self.config.templates else None,
                pdf=self.config.pdf,
                jobs=self.config.jobs,
                executor=self.config.executor,
                page_size="Letter" if self.config.page_size == "Letter" else "A4",
                cache=self.cache_dir / "store",
                history=self._resolve(self.config.history),
            )
        self.options = replace(
            self.options.with_engine(
                use_directory_urls=config.use_directory_urls, site_url=config.site_url
            ),
            title=config.site_name,
        )
        docs = Path(config.docs_dir).resolve()
        cache = self.cache_dir.resolve()
        if cache == docs or docs in cache.parents:
            raise PluginError(
                f"trialpress: cache_dir {cache} is inside docs_dir {docs}; "
                "choose a folder outside it (MkDocs would publish and watch it)"
            )
        css = f"{ASSET_DIR}/trialpress.css"
        if css not in config.extra_css:
            config.extra_css.append(css)
        js = f"{ASSET_DIR}/trialpress.js"
        if not any(str(s) == js for s in config.extra_javascript):
            from mkdocs.config.config_options import ExtraScriptValue

            script = ExtraScriptValue(js)
            script.defer = True
            config.extra_javascript.append(script)
        return config

    def _read(self) -> list[Shelved]:
        from trialpress.readers import read_shelved

        assert self.options is not None
        store = Store(self.options.cache)
        trials, errors = read_shelved(
            [self._resolve(p) for p in self._records],
            store=store,
            jobs=self.options.jobs,
            executor=self.options.executor,
        )
        self.record_errors.extend(errors)
        return trials

    # -- MkDocs events ---------------------------------------------------------------------
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        """Read everything, link, generate; add pages, data, PDFs and assets as files."""
        try:
            files = self._files(files, config)
            self._link_theme_files(files, config)
            return files
        except RenderError as exc:
            if self.preloaded is not None:
                raise  # trialpress build reports it as `Error: PATH: message`
            raise PluginError(f"trialpress: {exc}") from exc

    def _files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.options is not None
        self.record_errors = []
        self.fast_pages = []
        trials = list(self.preloaded) if self.preloaded is not None else self._read()
        corpus = Corpus(trials)
        self.record_errors.extend(corpus.errors)
        self.trial_count = len(corpus)
        # Reader warnings are data quirks shown on each trial's page (and listed by
        # `trialpress validate`): debug level, so they never fail a strict build.
        for trial in corpus.summaries.values():
            for w in trial.warnings:
                where = f"{trial.source.path}:{w.line}" if w.line else trial.source.path
                log.debug("%s: %s (%s)", where, w.message, trial.nct_id)

        self._term_entries = search.term_entries(corpus, self.options.layout)
        self.cancel_search()
        if self.search_indexer == self.pagefind_index:
            # Started before the pages are made (an entry needs only the trial's summary):
            # Pagefind then runs while this process commits the history, on a core that is
            # otherwise idle, and not beside the page workers, whose memory and its own
            # would add up. on_post_build waits for it (it indexes again if the entries it
            # is given are not these).
            self._indexing = search.start_index(
                [*search_entries(corpus, self.options.layout), *self._term_entries],
                language=_language(config),
                cache_dir=self.cache_dir,
            )

        generated = generate(
            corpus,
            self.options,
            self.cache_dir / "site",
            reporter=self.reporter,
            previous_pdfs=self.pdf_reuse_dir,
            # Engine pages are read before on_env: they must know which PDFs were made.
            background=None if self.config.engine_pages else self.background,
        )
        self.generated = generated
        self.record_errors.extend(generated.errors)
        self._log(self.record_errors)

        standalone = set(generated.standalone) if not self.config.engine_pages else set()
        added: list[File] = []
        for src, path in generated.pages.items():
            if src not in standalone:
                added.append(File.generated(config, src, abs_src_path=str(path)))
        # Files of the working folder and stored versions of trials are linked into the
        # site, not copied: both are only ever written by replacing a file.
        linked = [self.cache_dir, *([self.options.history] if self.options.history else [])]
        # (a path under one of them, as Path.parents would say, without a Path per parent)
        under = tuple(str(folder).rstrip(os.sep) + os.sep for folder in linked)
        for dest, path in generated.files.items():
            kind = LinkedFile if str(path).startswith(under) else File
            added.append(kind.generated(config, dest, abs_src_path=str(path)))
        worker = render.asset_path(search.WORKER_SOURCE, self.options.templates)
        added.append(File.generated(config, search.WORKER_ASSET, abs_src_path=str(worker)))
        for file in added:
            existing = files.get_file_from_path(file.src_uri)
            if existing is not None:
                log.info("trialpress replaces %s from docs_dir", file.src_uri)
                files.remove(existing)
            file.inclusion = InclusionLevel.NOT_IN_NAV
            files.append(file)
        return files

    def _log(self, errors: Sequence[TrialpressError]) -> None:
        """Under `trialpress build` a record's failure (a PDF failure too: exit 1, the rest
        builds, its page has no PDF links) is reported by the CLI; in plain MkDocs it is an
        error."""
        if self.preloaded is None:
            for err in errors:
                log.error(str(err))

    def _pdfs_made(self, env: Any, config: MkDocsConfig, files: Files) -> Any:
        """Wait for the PDFs still rendering (before MkDocs copies files into the site); a
        trial whose PDFs failed loses them from the files, and its standalone pages are
        made again without the links (not stored: they are rare, and errors)."""
        generated = self.generated
        if generated is None or generated.finish is None:
            return env
        finish, generated.finish = generated.finish, None
        failures, listed = len(generated.errors), set(generated.files)
        remade = finish()
        self.record_errors.extend(generated.errors[failures:])
        self._log(generated.errors[failures:])
        for dropped in listed - set(generated.files):
            file = files.get_file_from_path(dropped)
            if file is not None:
                files.remove(file)
        doc_files = files.documentation_pages()
        for src in remade:
            page = File.generated(config, src, abs_src_path=str(generated.pages[src]))
            old = files.get_file_from_path(page.dest_uri)
            if old is None:
                continue  # not a standalone page: MkDocs' loop read it already
            markdown = generated.pages[src].read_text(encoding="utf-8")
            html, _ = self._render(src, markdown, env, config, files, doc_files)
            files.remove(old)
            files.append(
                File.generated(
                    config,
                    page.dest_uri,
                    content=html.encode("utf-8", errors="xmlcharrefreplace"),
                    inclusion=InclusionLevel.NOT_IN_NAV,
                )
            )
        return env

    def _link_theme_files(self, files: Files, config: MkDocsConfig) -> None:
        """The theme's static files (scripts, styles, images) are copied into the working
        folder and linked into the site like the generated files, instead of copied into
        every new site: a rebuild neither writes them again nor frees the last site's
        copies (each freed at a cost on some disks). A copy is written again whenever the
        theme's file differs; copies of files the theme no longer has are removed."""
        themes = tuple(os.path.normpath(d) + os.sep for d in config.theme.dirs)
        root = self.cache_dir / "theme"
        kept: set[Path] = set()
        for file in list(files):
            src = file.abs_src_path
            if isinstance(file, LinkedFile) or src is None or not src.startswith(themes):
                continue
            copy = root / file.dest_uri
            write_if_changed(copy, Path(src).read_bytes())
            kept.add(copy)
            files.remove(file)
            files.append(
                LinkedFile.generated(
                    config, file.src_uri, abs_src_path=str(copy), inclusion=file.inclusion
                )
            )
        for path in root.rglob("*") if root.is_dir() else ():
            if not path.is_dir() and path not in kept:
                path.unlink()

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        """Keep the navigation: standalone pages are rendered with it in ``on_env``."""
        self._nav = nav
        return nav

    def on_pre_page(self, page: Page, /, *, config: MkDocsConfig, files: Files) -> Page:
        """Our pages in MkDocs' own loop (all trials, kinds, changes) are headings and raw
        HTML blocks too, and the all-trials table grows with the site: their Markdown takes
        the fast path as well (it falls back to ``Page.render`` on anything else)."""
        if self.generated is not None and page.file.src_uri in self.generated.pages:
            page.render = partial(self._render_fast, page)  # type: ignore[method-assign]
        return page

    def _render_fast(self, page: Page, config: MkDocsConfig, files: Files) -> None:
        if fastpage.render(page, config, files):
            self.fast_pages.append(page.file.src_uri)

    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        """Build the standalone pages (or reuse their HTML) and add them as site files."""
        if self.before_writing is not None:  # the last event before MkDocs writes the site
            self.before_writing(Path(config.site_dir))
        self._standalone = []
        self._site_files = files
        self.html_workers = set()
        generated = self.generated
        if generated is None or self.config.engine_pages or self._nav is None:
            return self._pdfs_made(env, config, files)
        assert self.options is not None
        store = Store(self.options.cache)
        # Computed once: MkDocs' context helper would walk every file for every page.
        doc_files = files.documentation_pages()
        probe, _ = self._render(_PROBE_SRC, _PROBE_MD, env, config, files, doc_files)
        chrome = digest(
            __version__, probe, [str(e) for e in config.markdown_extensions], config.mdx_configs
        )
        pages = PageFiles(self.cache_dir / "html")
        placed: list[tuple[str, Path | None]] = []  # (dest, file) of each page, in order
        misses: list[_Miss] = []
        for src in generated.standalone:
            checkpoint()
            # One page at a time; keyed by a digest of its bytes (cheaper than encoding the
            # text into the key), decoded only when it is rendered.
            source = generated.pages[src].read_bytes()
            key = digest("html", chrome, src, hashlib.sha256(source).hexdigest())
            page_file = File.generated(config, src, abs_src_path=str(generated.pages[src]))
            Page(None, page_file, config)  # its URL, for the sitemap
            self._standalone.append(page_file)
            path = pages.path(page_file.dest_uri, key)
            if path is None:
                cached = store.get(key)
                if cached is None:
                    misses.append(_Miss(src, key, page_file.dest_uri, generated.pages[src]))
                else:
                    path = pages.put(page_file.dest_uri, key, cached)
            placed.append((page_file.dest_uri, path))
        made = self._render_misses(misses, pages, env, config, files, doc_files)
        for dest, path in placed:
            files.append(
                LinkedFile.generated(
                    config,
                    dest,
                    abs_src_path=str(path or made[dest]),
                    inclusion=InclusionLevel.NOT_IN_NAV,
                )
            )
        pages.save()
        env = self._pdfs_made(env, config, files)
        _place(files)  # after the files of failed PDFs are dropped
        return env

    def _render_misses(
        self,
        misses: list[_Miss],
        pages: PageFiles,
        env: Any,
        config: MkDocsConfig,
        files: Files,
        doc_files: Sequence[File],
    ) -> dict[str, Path]:
        """Render the standalone pages the store lacks, store them and write them into the
        working folder; their files by site path.

        In batches, in worker processes forked from this one (they inherit the theme,
        navigation, files and config, which cannot be sent anywhere: so never on a Dask
        cluster), or in this process with ``jobs`` 1 or where forking is unsafe. A stop
        request is honoured between batches; what workers wrote is only in the working
        folder and the store, never in the output."""
        global _INHERITED
        assert self.options is not None and self.generated is not None
        jobs = self.options.jobs or default_jobs()
        size = max(HTML_BATCH_MIN, min(HTML_BATCH_MAX, -(-len(misses) // (4 * jobs))))
        batches = [misses[i : i + size] for i in range(0, len(misses), size)]
        _INHERITED = _Inherited(self, env, config, files, doc_files, pages, os.getpid())
        done: dict[int, tuple[int, list[tuple[str, bool]], list[logging.LogRecord]]] = {}
        try:
            with run_tasks(
                _render_standalone, [(b,) for b in batches], jobs=jobs, inherit=True
            ) as outcomes:
                for n, outcome in outcomes:
                    done[n] = outcome.result()
                    for record in done[n][2]:  # a worker's log lines, as if logged here
                        logging.getLogger(record.name).handle(record)
                    checkpoint()
        finally:
            _INHERITED = None
        made: dict[str, Path] = {}
        for n in sorted(done):
            pid, rendered, _ = done[n]
            if pid != os.getpid():
                self.html_workers.add(pid)
            for miss, (src, fast) in zip(batches[n], rendered, strict=True):
                made[miss.dest] = pages.adopt(miss.dest, miss.key)
                self.generated.rendered.append(f"html:{src}")
                if fast:
                    self.fast_pages.append(src)
        return made

    def _render(
        self,
        src: str,
        markdown: str,
        env: Any,
        config: MkDocsConfig,
        files: Files,
        doc_files: Sequence[File],
    ) -> tuple[str, bool]:
        """One page as MkDocs' page loop makes it (Markdown, template, our post-page step),
        and whether its Markdown took the fast path."""
        from mkdocs.commands.build import get_context

        assert self._nav is not None
        file = File.generated(config, src, content=markdown, inclusion=InclusionLevel.NOT_IN_NAV)
        page = Page(None, file, config)
        config._current_page = page
        try:
            page.read_source(config)
            # Page.render's output, without html.parser reading our raw HTML blocks.
            fast = fastpage.render(page, config, files)
            page.active = True
            context = get_context(self._nav, doc_files, config, page)
            template = env.get_template(page.meta.get("template", "main.html"))
            return self.on_post_page(template.render(context), page=page, config=config), fast
        finally:
            page.active = False
            config._current_page = None

    def on_post_page(self, output: str, /, *, page: Any, config: MkDocsConfig) -> str:
        """Name Material's search dialog for screen readers (axe: aria-dialog-name),
        advertise the feed of recent changes in the page's head (feed readers find it) and
        let the search box answer from the Pagefind index too (see :mod:`trialpress.search`)."""
        output = output.replace(_SEARCH_DIALOG, _SEARCH_DIALOG_NAMED, 1)
        output = _feed_link(output, root_of(page.file.src_uri, config.use_directory_urls))
        if self.search_indexer != self.pagefind_index or not (
            self.generated and self.generated.search
        ):
            return output  # no Pagefind index to ask
        all_trials = self.options.layout.url(TRIALS_INDEX) if self.options else "trials/"
        return search.use_search_worker(output, all_trials)

    def pagefind_index(self, entries: Sequence[SearchEntry], config: MkDocsConfig) -> None:
        """The default :data:`SearchIndexer`: trial and term pages in a Pagefind index
        (they are kept out of Material's lunr index by their front matter). The run started
        in ``on_files`` is used when it indexes these entries; else one is run now."""
        wanted = [*entries, *self._term_entries]
        try:
            indexing = self._indexing
            if indexing is None or indexing.entries != search.sorted_entries(wanted):
                self.cancel_search()
                indexing = self._indexing = search.start_index(
                    wanted, language=_language(config), cache_dir=self.cache_dir
                )
            indexing.finish(Path(config.site_dir))
            self._indexing = None
        except RenderError as exc:
            if self.preloaded is not None:
                raise
            raise PluginError(f"trialpress: {exc}") from exc

    def on_build_error(self, *, error: Exception) -> None:
        """Stop a Pagefind run the failed build no longer needs."""
        self.cancel_search()

    def cancel_search(self) -> None:
        """Stop the Pagefind run of this build, if one is going (a build that failed or was
        interrupted; ``trialpress build`` calls this whatever happened)."""
        if self._indexing is not None:
            self._indexing.cancel()
            self._indexing = None

    def on_post_template(
        self, output_content: str, /, *, template_name: str, config: MkDocsConfig
    ) -> str:
        """The 404 page too; it is served at any depth, so its link starts at the site's
        path, as MkDocs does for the 404 page's own assets."""
        if template_name != "404.html":
            return output_content
        return _feed_link(output_content, urlsplit(config.site_url or "/").path or "/")

    @event_priority(-100)  # after the search plugin has written its index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """List standalone pages in the sitemap and give the search entries to the indexer."""
        if self._standalone:
            self._sitemap(config)
        if self.generated is not None:
            log.info(
                "trialpress: %d trials; rendered %d pages, data files and PDFs, reused the rest",
                self.trial_count,
                len(self.generated.rendered),
            )
            # Trial pages are kept out of lunr by their front matter, engine pages or not.
            self.search_indexer(self.generated.search, config)

    def _sitemap(self, config: MkDocsConfig) -> None:
        """Render the theme's sitemap again with the standalone pages in it."""
        from mkdocs import utils

        path = Path(config.site_dir) / "sitemap.xml"
        if not path.is_file() or not config.site_url:
            return  # without a site URL MkDocs' sitemap lists no page
        env = config.theme.get_env()
        assert self._site_files is not None
        pages = [*self._site_files.documentation_pages(), *self._standalone]
        output = env.get_template("sitemap.xml").render(pages=pages, config=config)
        path.write_bytes(output.encode("utf-8"))
        timestamp = utils.get_build_timestamp(pages=[f.page for f in pages if f.page])
        gz = Path(f"{path}.gz")
        with (
            gz.open("wb") as fh,
            gzip.GzipFile(fileobj=fh, filename=str(gz), mode="wb", mtime=timestamp) as buf,
        ):
            buf.write(output.encode("utf-8"))

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        """Rebuild when a record or an override template changes."""
        for p in self._records:
            path = self._resolve(p)
            if path.exists():
                server.watch(str(path))
        assert self.options is not None
        if self.options.templates and self.options.templates.exists():
            server.watch(str(self.options.templates))
        return server
