"""The ``trialpress`` MkDocs plugin: trial pages, checklists and indexes in any MkDocs site.

A thin adapter (like the CLI): it reads the records named in ``mkdocs.yml``, builds the
corpus, renders pages with :mod:`trialpress.render` into a generated folder outside
``docs_dir`` and adds them to MkDocs' files in ``on_files``. Files are rewritten only when
their content changed and PDFs are re-rendered only when their inputs changed, so
``mkdocs serve`` stays quick on rebuilds.

Record errors go through MkDocs' logger (``mkdocs.plugins.trialpress``) as errors naming
the file and line: the build goes on without that record, and ``mkdocs build --strict``
fails. ``trialpress build`` sets :attr:`TrialpressPlugin.preloaded` so it can report record
errors itself and still build the good records in strict mode.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel

from trialpress import render, search
from trialpress.corpus import Corpus
from trialpress.errors import RecordError, RenderError, TrialpressError
from trialpress.models import Trial
from trialpress.progress import NULL, Reporter

log = logging.getLogger("mkdocs.plugins.trialpress")

#: Where the shipped CSS/JS land in the built site.
ASSET_DEST = "assets/trialpress"
_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
_SEARCH_DIALOG_NAMED = _SEARCH_DIALOG.replace('role="dialog"', 'role="dialog" aria-label="Search"')
#: The manifest ``render_pdfs`` keeps beside the PDFs (see :mod:`trialpress.pdf`).
PDF_MANIFEST = ".trialpress-pdf.json"


class TrialpressConfig(base.Config):  # type: ignore[no-untyped-call]
    """Options of the ``trialpress`` plugin in ``mkdocs.yml``."""

    records = c.ListOfItems(c.Type(str), default=[])
    """Record files or folders, relative to the folder of ``mkdocs.yml``."""

    templates = c.Optional(c.Type(str))
    """A folder whose ``site/`` (and ``pdf/``) templates override the shipped ones."""

    pdf = c.Type(bool, default=True)
    """Render brief and checklist PDFs with WeasyPrint into ``pdf/`` and link them."""

    jobs = c.Optional(c.Type(int))
    """Worker processes for PDFs; default: all cores."""

    page_size = c.Choice(("A4", "Letter"), default="A4")
    """Paper size of the PDFs."""

    cache_dir = c.Type(str, default=".trialpress")
    """Generated pages, data and PDFs, relative to ``mkdocs.yml``; keep it out of git."""


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write atomically (temp file + rename) unless the file already holds ``data``."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


class TrialpressPlugin(BasePlugin[TrialpressConfig]):  # type: ignore[no-untyped-call]
    """Adds the generated trial, checklist and index pages to an MkDocs build."""

    def __init__(self) -> None:
        #: Trials read by the caller (``trialpress build``); when set, ``records`` is ignored.
        self.preloaded: list[Trial] | None = None
        #: Record errors of the last build (read errors, duplicates, PDF failures).
        self.record_errors: list[TrialpressError] = []
        #: Number of trials in the last build.
        self.trial_count = 0
        #: Progress of PDF rendering (``trialpress build`` passes its progress bars).
        self.reporter: Reporter = NULL
        #: An earlier build's ``pdf/`` folder whose unchanged PDFs are reused
        #: (``trialpress build`` passes the previous output's).
        self.pdf_reuse_dir: Path | None = None
        self._config_dir = Path.cwd()
        #: Search entries of the generated pages, indexed by Pagefind after the build.
        self._search_entries: list[search.SearchEntry] = []

    # -- paths ---------------------------------------------------------------------------
    @property
    def records(self) -> list[str]:
        """Configured records, unless ``trialpress serve`` set ``TRIALPRESS_RECORDS``."""
        env = os.environ.get("TRIALPRESS_RECORDS")
        return env.split(os.pathsep) if env else list(self.config.records)

    def _resolve(self, path: str) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self._config_dir / p

    @property
    def cache_dir(self) -> Path:
        """The generated folder (absolute)."""
        return self._resolve(os.environ.get("TRIALPRESS_CACHE_DIR") or self.config.cache_dir)

    @property
    def templates_dir(self) -> str | None:
        """The override templates folder (absolute), if configured."""
        templates = os.environ.get("TRIALPRESS_TEMPLATES") or self.config.templates
        return str(self._resolve(templates)) if templates else None

    # -- MkDocs events ---------------------------------------------------------------------
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Remember where paths are relative to; add the shipped CSS and JavaScript."""
        self._config_dir = Path(config.config_file_path or "mkdocs.yml").resolve().parent
        docs = Path(config.docs_dir).resolve()
        cache = self.cache_dir.resolve()
        if cache == docs or docs in cache.parents:
            raise PluginError(
                f"trialpress: cache_dir {cache} is inside docs_dir {docs}; "
                "choose a folder outside it (MkDocs would publish and watch it)"
            )
        css = f"{ASSET_DEST}/trialpress.css"
        if css not in config.extra_css:
            config.extra_css.append(css)
        js = f"{ASSET_DEST}/trialpress.js"
        if not any(str(s) == js for s in config.extra_javascript):
            from mkdocs.config.config_options import ExtraScriptValue

            script = ExtraScriptValue(js)
            script.defer = True
            config.extra_javascript.append(script)
        return config

    def _read(self) -> list[Trial]:
        from trialpress.readers import read_paths

        trials: list[Trial] = []
        for result in read_paths(self._resolve(p) for p in self.records):
            if isinstance(result, RecordError):
                self.record_errors.append(result)
            else:
                trials.append(result)
        return trials

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        """Read everything, link, render; add pages, data, PDFs and assets as files."""
        try:
            return self._files(files, config)
        except RenderError as exc:
            if self.preloaded is not None:
                raise  # trialpress build reports it as `Error: PATH: message`
            raise PluginError(f"trialpress: {exc}") from exc

    def _files(self, files: Files, config: MkDocsConfig) -> Files:
        self.record_errors = []
        trials = list(self.preloaded) if self.preloaded is not None else self._read()
        corpus = Corpus(trials)
        self.record_errors.extend(corpus.errors)
        self.trial_count = len(corpus)
        for err in self.record_errors:
            if self.preloaded is None:
                log.error(str(err))
        # Reader warnings are data quirks shown on each trial's page (and listed by
        # `trialpress validate`): debug level, so they never fail a strict build.
        for trial in corpus.trials.values():
            for w in trial.warnings:
                where = f"{trial.source.path}:{w.line}" if w.line else trial.source.path
                log.debug("%s: %s (%s)", where, w.message, trial.nct_id)

        out = self.cache_dir / "site"
        generated: dict[str, Path] = {}
        pdf_paths = self._pdfs(corpus, config) if self.config.pdf else {}
        ctx = render.SiteContext(
            corpus=corpus,
            use_directory_urls=config.use_directory_urls,
            pdf=frozenset(
                n
                for n in corpus.trials
                if f"pdf/{n}-brief.pdf" in pdf_paths and f"pdf/{n}-checklist.pdf" in pdf_paths
            ),
            site_url=config.site_url or None,
            templates=self.templates_dir,
        )
        for src, text in render.render_site(ctx).items():
            path = out / src
            write_if_changed(path, text.encode("utf-8"))
            generated[src] = path
        for trial in corpus.trials.values():
            src = f"data/{trial.nct_id}.json"
            data = json.dumps(trial.model_dump(mode="json"), indent=2, ensure_ascii=False)
            write_if_changed(out / src, (data + "\n").encode("utf-8"))
            generated[src] = out / src
        self._prune(out, set(generated))
        generated.update(pdf_paths)
        for name in render.ASSETS:
            dest = f"{ASSET_DEST}/{Path(name).name}"
            generated[dest] = render.asset_path(name, self.templates_dir)
        generated[search.WORKER_ASSET] = render.asset_path(search.WORKER_SOURCE, self.templates_dir)
        self._search_entries = search.site_entries(corpus, config.use_directory_urls)

        for src, path in generated.items():
            existing = files.get_file_from_path(src)
            if existing is not None:
                log.info("trialpress replaces %s from docs_dir with its generated page", src)
                files.remove(existing)
            files.append(
                File.generated(
                    config, src, abs_src_path=str(path), inclusion=InclusionLevel.NOT_IN_NAV
                )
            )
        return files

    def _prune(self, out: Path, keep: set[str]) -> None:
        """Remove generated files of trials no longer in the build (serve, changed records)."""
        if not out.is_dir():
            return
        for path in sorted(out.rglob("*")):
            if path.is_file() and path.relative_to(out).as_posix() not in keep:
                path.unlink()

    def _pdfs(self, corpus: Corpus, config: MkDocsConfig) -> dict[str, Path]:
        """Render brief and checklist PDFs (``render_pdfs`` skips unchanged ones by content
        key) into the generated folder; return every PDF that exists, by site path."""
        from trialpress.pdf import render_pdfs

        out = self.cache_dir / "pdf"
        out.mkdir(parents=True, exist_ok=True)
        errors: list[RenderError] = []
        templates = Path(self.templates_dir) if self.templates_dir else None
        written = render_pdfs(
            list(corpus.trials.values()),
            out,
            jobs=self.config.jobs,
            page_size="Letter" if self.config.page_size == "Letter" else "A4",
            site_url=config.site_url or None,
            templates=templates,
            errors=errors,
            reporter=self.reporter,
            cache_dir=self.pdf_reuse_dir,
        )
        for err in errors:
            # Under `trialpress build` a PDF failure is that record's failure (exit 1, the
            # rest builds, its page has no PDF links); in plain MkDocs it is an error.
            if self.preloaded is not None:
                self.record_errors.append(err)
            else:
                log.error(str(err))
        result = {f"pdf/{path.name}": path for path in written}
        for stale in out.glob("*.pdf"):
            if f"pdf/{stale.name}" not in result:
                stale.unlink()
        # Published too (content keys and checksums only), so the next `trialpress build`
        # can reuse unchanged PDFs from the site it replaces.
        if (out / PDF_MANIFEST).is_file():
            result[f"pdf/{PDF_MANIFEST}"] = out / PDF_MANIFEST
        return result

    def on_post_page(self, output: str, /, *, page: Any, config: MkDocsConfig) -> str:
        """Name Material's search dialog for screen readers (axe: aria-dialog-name); let
        its search box answer from the Pagefind index too (see :mod:`trialpress.search`)."""
        output = output.replace(_SEARCH_DIALOG, _SEARCH_DIALOG_NAMED, 1)
        if not self._search_entries:  # no trial: no Pagefind index to ask
            return output
        all_trials = render.page_url("trials/index.md", config.use_directory_urls)
        return search.use_search_worker(output, all_trials)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Index the trial and term pages for search (kept out of Material's lunr index)."""
        language = str(config.theme.get("language") or "en")
        try:
            search.write_index(
                self._search_entries,
                Path(config.site_dir),
                language=language,
                cache_dir=self.cache_dir,
            )
        except RenderError as exc:
            if self.preloaded is not None:
                raise
            raise PluginError(f"trialpress: {exc}") from exc

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        """Rebuild when a record or an override template changes."""
        for p in self.records:
            path = self._resolve(p)
            if path.exists():
                server.watch(str(path))
        if self.templates_dir and Path(self.templates_dir).exists():
            server.watch(self.templates_dir)
        return server
