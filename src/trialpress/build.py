"""``trialpress build`` and ``trialpress serve``: records -> MkDocs site, as a library.

The build reads every record first (so it can report record errors itself and still build
the good ones, even in strict mode), hands the trials to the ``trialpress`` plugin of the
chosen MkDocs config, builds into a temporary folder next to the output and swaps it into
place only when everything succeeded: a failure or an interrupt leaves the previous output
exactly as it was.
"""

from __future__ import annotations

import calendar
import fcntl
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from trialpress.errors import BuildError, TrialpressError
from trialpress.models import Trial, count_warnings
from trialpress.progress import NULL, Reporter
from trialpress.publish import PublishOptions
from trialpress.readers import read_records
from trialpress.stopping import checkpoint
from trialpress.store import digest
from trialpress.templating import default_templates_dir
from trialpress.unchanged import LastBuild, Outcome, fingerprint

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from trialpress.plugin import TrialpressPlugin

log = logging.getLogger("trialpress.build")


@dataclass
class BuildResult:
    """What a build did, for the CLI's summary."""

    out: Path
    trials: int = 0
    warnings: int = 0
    errors: list[TrialpressError] = field(default_factory=list)
    seconds: float = 0.0
    #: What was rendered rather than reused (``page:...``, ``html:...``, ``pdf:...``).
    rendered: list[str] = field(default_factory=list)
    #: True when nothing changed since the last build: it was skipped, the output untouched.
    unchanged: bool = False
    #: ``(level, text)`` lines about the records of a skipped build, to print them again.
    messages: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people."""
        return (
            f"Built {self.trials} trial{'s' if self.trials != 1 else ''} into {self.out} "
            f"in {self.seconds:.1f} s: {self.warnings} record warning"
            f"{'s' if self.warnings != 1 else ''}, {len(self.errors)} failed record"
            f"{'s' if len(self.errors) != 1 else ''}."
        )


def bundled_config() -> Path:
    """The default ``mkdocs.yml`` shipped with the templates."""
    return default_templates_dir() / "site" / "default" / "mkdocs.yml"


def choose_config(config_file: str | Path | None) -> tuple[Path, bool]:
    """(config file, is the bundled default): ``--config``, else ``./mkdocs.yml``, else ours."""
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise BuildError("no such MkDocs config file", path)
        return path.resolve(), False
    local = Path("mkdocs.yml")
    if local.is_file():
        return local.resolve(), False
    return bundled_config(), True


class _MkDocsLogHandler(logging.Handler):
    """Shows MkDocs warnings and errors on stderr as ``WARNING: ...`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"{record.levelname.capitalize()}: {record.getMessage()}\n")


class _Counter(logging.Handler):
    """Counts MkDocs warnings and errors (a build that printed some is never skipped)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@contextmanager
def _mkdocs_logging() -> Iterator[_Counter]:
    logger = logging.getLogger("mkdocs")
    handler = _MkDocsLogHandler(logging.WARNING)
    counter = _Counter()
    added = not logger.handlers
    if added:
        logger.addHandler(handler)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        if added:
            logger.removeHandler(handler)


def source_date_epoch(trials: Sequence[Trial]) -> int | None:
    """The latest record update as a Unix time: the build date MkDocs stamps (sitemap)."""
    dates = [t.last_updated for t in trials if t.last_updated]
    if not dates:
        return None
    parts = [int(p) for p in max(dates).split("-")]
    year, month, day = (*parts, 1, 1)[:3]
    return calendar.timegm((year, month, day, 0, 0, 0, 0, 0, 0))


@contextmanager
def _reproducible_dates(trials: Sequence[Trial]) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH from the records (unless the user set it) during the build,
    so two builds of the same records are byte-identical and no date comes from the clock."""
    epoch = source_date_epoch(trials)
    if "SOURCE_DATE_EPOCH" in os.environ or epoch is None:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def _swap_into_place(tmp: Path, out: Path, retired: Path | None = None) -> None:
    """Replace ``out`` by ``tmp`` with two renames.

    The old output goes to ``retired`` when given (a folder in the working folder, on the
    same file system: the next build removes it while it works, so the thousands of
    folder removals are not paid here); else it is removed last.
    """
    old: Path | None = None
    if out.exists() and retired is not None:
        if retired.exists():
            shutil.rmtree(retired)
        try:
            out.rename(retired)
            old = retired
        except OSError:  # e.g. a mount point between them: remove it here instead
            retired = None
    if out.exists() and old is None:
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        out.rename(old)
    try:
        tmp.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None and retired is None:
        shutil.rmtree(old, ignore_errors=True)


#: Where a build into a held working folder puts the output it replaces (see
#: :func:`_removing_retired`).
RETIRED = "retired"


def _retired_place(work: Path, out_dir: Path) -> Path | None:
    """Where the replaced output goes: the working folder's ``retired`` folder when it is on
    the output's file system (a rename), else None (removed at once, as without a store)."""
    try:
        same = work.stat().st_dev == out_dir.parent.stat().st_dev
    except OSError:
        return None
    return work / RETIRED if same else None


def _remove_tree(root: Path) -> None:
    """Remove a retired output (whatever is left of it)."""
    shutil.rmtree(root, ignore_errors=True)


@contextmanager
def _removing_retired(work: Path) -> Iterator[None]:
    """Remove the output the previous build replaced (kept in the working folder, never
    beside the site) in a thread, while this build works; joined before the body ends, so
    the next swap finds the place free and no thread outlives the build. A removal cut
    short (a killed process) leaves a partly removed folder only inside the store, which the
    next build removes again."""
    target = work / RETIRED
    if not target.exists():
        yield
        return
    remover = threading.Thread(
        target=_remove_tree, args=(target,), name="trialpress-retired-remover", daemon=True
    )
    remover.start()
    try:
        yield
    finally:
        remover.join()


def _work_path(cache: Path, out_dir: Path) -> Path:
    """The working folder of builds into ``out_dir`` with the store ``cache``."""
    return cache / "work" / digest(str(out_dir))[:16]


@contextmanager
def _held(work: Path) -> Iterator[bool]:
    """Hold the lock of a working folder while it is used: False when another build holds
    it (then this build must not use the folder)."""
    work.mkdir(parents=True, exist_ok=True)
    with (work.parent / f"{work.name}.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _working_folder(cache: Path | None, out_dir: Path, tmp: Path) -> Iterator[Path]:
    """The folder of generated docs, search index and page HTML a build works in.

    With a reuse store it is kept under the store, one per output folder, so a rebuild
    rewrites only what changed and reuses the search index; a second build into the same
    output while one runs gets this build's own temporary folder instead (as without a
    store), never a folder another build is writing.
    """
    own = tmp / "cache"
    if cache is None:
        yield own
        return
    work = _work_path(cache, out_dir)
    with _held(work) as held:
        if not held:
            log.info("another build uses %s; working in a temporary folder", work)
        yield work if held else own


def build_site(
    records: Sequence[str | Path],
    out: str | Path | None = None,
    *,
    config_file: str | Path | None = None,
    strict: bool = True,
    templates: str | Path | None = None,
    pdf: bool | None = None,
    cache: str | Path | None = None,
    jobs: int | None = None,
    executor: str | None = None,
    site_url: str | None = None,
    reporter: Reporter = NULL,
) -> BuildResult:
    """Read ``records``, build the site with MkDocs and put it at ``out`` atomically.

    Raises :class:`BuildError` when MkDocs fails (in strict mode: on any MkDocs warning);
    record errors do not stop the build and are returned in the result.
    """
    start = time.monotonic()
    choose_config(config_file)  # fail on a missing --config before reading anything
    trials, errors = read_records(records, reporter, jobs=jobs, executor=executor)
    return build_trials(
        trials,
        out,
        errors=errors,
        config_file=config_file,
        strict=strict,
        templates=templates,
        pdf=pdf,
        cache=cache,
        jobs=jobs,
        executor=executor,
        site_url=site_url,
        reporter=reporter,
        start=start,
    )


def _load_config(
    cfg_path: Path, bundled: bool, strict: bool, site_url: str | None, out: str | Path | None
) -> tuple[MkDocsConfig, TrialpressPlugin, Path]:
    """The MkDocs config with the site URL asked for, its trialpress plugin and the output
    folder (the one asked for, else the config's ``site_dir``, else ``build/site``)."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    from trialpress.plugin import TrialpressPlugin

    try:
        config = load_config(str(cfg_path), strict=strict)
    except (MkDocsException, OSError) as exc:
        raise BuildError(f"invalid MkDocs config: {exc}", cfg_path) from exc
    plugin = next((p for p in config.plugins.values() if isinstance(p, TrialpressPlugin)), None)
    if plugin is None:
        raise BuildError("the MkDocs config does not use the trialpress plugin", cfg_path)
    if site_url:
        config.site_url = site_url if site_url.endswith("/") else f"{site_url}/"
    if out is None:
        # The bundled config lives in the installed package: build next to the user.
        out = Path("build/site") if bundled else Path(config.site_dir)
    return config, plugin, Path(out).resolve()


@dataclass(frozen=True)
class Asked:
    """The options a caller gives :func:`build_trials` (``vars()`` of it are its keywords),
    held once so that :func:`skip_check` sees exactly what the build will be asked."""

    config_file: str | Path | None = None
    strict: bool = True
    templates: str | Path | None = None
    pdf: bool | None = None
    cache: str | Path | None = None
    jobs: int | None = None
    executor: str | None = None
    site_url: str | None = None
    history: str | Path | None = None


def skip_check(
    records: Sequence[str | Path], out: str | Path | None, asked: Asked
) -> tuple[str | None, BuildResult | None]:
    """The fingerprint of this build's inputs (None: no reuse store) and, when the last
    build into the same output had the same inputs and its output and the history are as
    it left them, that build's result: this build would change nothing
    (see :mod:`trialpress.unchanged`). Taken before any record is read."""
    from trialpress.readers import expand_paths

    if asked.cache is None:
        return None, None
    cfg_path, bundled = choose_config(asked.config_file)
    strict, site_url, cache = asked.strict, asked.site_url, asked.cache
    logger = logging.getLogger("mkdocs")
    disabled, logger.disabled = logger.disabled, True  # the build itself reports the config
    try:
        config, plugin, out_dir = _load_config(cfg_path, bundled, strict, site_url, out)
    except BuildError:
        return None, None
    finally:
        logger.disabled = disabled
    history_path = history_dir(asked.history, plugin, cfg_path.parent, bundled)
    store = Path(cache).resolve()
    opts = _options(
        plugin,
        cfg_path.parent,
        asked.templates,
        asked.pdf,
        store,
        asked.jobs,
        asked.executor,
        history_path,
    )
    given = {
        "records": [str(r) for r in records],
        "out": str(out_dir),
        "asked": repr(asked),
        "options": repr(opts),
    }
    inputs = fingerprint(
        expand_paths(records), config, cfg_path, [default_templates_dir(), opts.templates], given
    )
    work = _work_path(store, out_dir)
    with _held(work) as held:
        outcome = LastBuild(work).matches(inputs, history_path, out_dir) if held else None
    if outcome is None:
        return inputs, None
    return inputs, BuildResult(
        out=out_dir,
        trials=outcome.trials,
        warnings=outcome.warnings,
        errors=[TrialpressError(e) for e in outcome.errors],
        unchanged=True,
        messages=outcome.messages,
    )


def build_trials(
    trials: Sequence[Trial],
    out: str | Path | None = None,
    *,
    errors: Sequence[TrialpressError] = (),
    config_file: str | Path | None = None,
    strict: bool = True,
    templates: str | Path | None = None,
    pdf: bool | None = None,
    reporter: Reporter = NULL,
    start: float | None = None,
    cache_dir: str | Path | None = None,
    cache: str | Path | None = None,
    jobs: int | None = None,
    executor: str | None = None,
    site_url: str | None = None,
    history: str | Path | None = None,
    inputs: str | None = None,
    messages: Sequence[tuple[str, str]] = (),
) -> BuildResult:
    """Build the site from trials already read (``errors``: record errors to report).

    ``site_url`` overrides the config's (CI passes the deployed Pages URL, so the 404 page,
    sitemap, canonical links and QR codes point at the site).

    ``templates``, ``pdf``, ``jobs`` and ``executor`` override the config's plugin options;
    ``cache`` is the reuse store kept between builds (default: none, everything is
    rendered); ``cache_dir`` the generated folder (default: a working folder in the store,
    else a temporary one per build).
    ``history`` is the history store (default: the config's ``history`` option, or
    ``.trialpress/history`` in the current folder with the bundled config).
    ``inputs`` (from :func:`skip_check`) and ``messages`` (the lines the caller printed
    about the records) are recorded with the outcome, so that the next build with the same
    inputs can be skipped.
    """
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.exceptions import Abort, MkDocsException

    start = time.monotonic() if start is None else start
    cfg_path, bundled = choose_config(config_file)
    all_errors: list[TrialpressError] = list(errors)
    trials = list(trials)

    with _mkdocs_logging() as mkdocs_warnings, _reproducible_dates(trials):
        config, plugin, out_dir = _load_config(cfg_path, bundled, strict, site_url, out)
        docs_dir = Path(config.docs_dir).resolve()
        if out_dir == docs_dir or docs_dir in out_dir.parents or out_dir in docs_dir.parents:
            raise BuildError(f"output folder {out_dir} overlaps docs_dir {docs_dir}", cfg_path)
        if out_dir.exists() and not out_dir.is_dir():
            raise BuildError("output exists and is not a folder", out_dir)
        if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "index.html").exists():
            # The swap replaces the whole folder: never do that to one that is not a site.
            raise BuildError(
                "output folder is not empty and holds no built site (no index.html); "
                "refusing to replace it",
                out_dir,
            )
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
        store = Path(cache).resolve() if cache is not None else None
        try:
            with _working_folder(store, out_dir, tmp) as work:
                config.site_dir = str(tmp / "site")
                plugin.preloaded = trials
                plugin.reporter = reporter
                history_path = history_dir(history, plugin, cfg_path.parent, bundled)
                plugin.options = _options(
                    plugin, cfg_path.parent, templates, pdf, cache, jobs, executor, history_path
                )
                # Generated pages go to the working folder (never shared by two running builds),
                # and unchanged PDFs are reused from the output this build replaces.
                plugin.config.cache_dir = str(Path(cache_dir).resolve() if cache_dir else work)
                if (out_dir / "pdf").is_dir():
                    plugin.pdf_reuse_dir = out_dir / "pdf"
                # The working folder of this output, held by this build: the output the
                # last build replaced is removed from it while this one works.
                kept = store is not None and work == _work_path(store, out_dir)
                stage = reporter.stage("Building site", None)
                with _removing_retired(work) if kept else nullcontext(), ExitStack() as pdfs:
                    # PDFs render beside the rest of the build; leaving stops them.
                    plugin.background = pdfs
                    try:
                        mkdocs_build(config)
                    except (Abort, MkDocsException) as exc:
                        raise BuildError(f"MkDocs build failed: {exc}", cfg_path) from exc
                    except TrialpressError:
                        raise
                    finally:
                        plugin.background = None
                stage.advance()
                all_errors.extend(plugin.record_errors)
                checkpoint()  # a stop signal never lets the new output replace the old
                retired = _retired_place(work, out_dir) if kept else None
                _swap_into_place(tmp / "site", out_dir, retired)
                if kept:
                    last = LastBuild(work)
                    if inputs is None or mkdocs_warnings.count:
                        last.forget()
                    else:
                        outcome = Outcome(
                            trials=plugin.trial_count,
                            warnings=count_warnings(trials),
                            errors=[str(e) for e in all_errors],
                            messages=list(messages),
                        )
                        last.save(inputs, history_path, out_dir, outcome)
        finally:
            plugin.cancel_search()  # no Pagefind run outlives a failed or interrupted build
            shutil.rmtree(tmp, ignore_errors=True)

    return BuildResult(
        out=out_dir,
        trials=plugin.trial_count,
        warnings=count_warnings(trials),
        errors=all_errors,
        seconds=time.monotonic() - start,
        rendered=list(plugin.generated.rendered) if plugin.generated else [],
    )


def history_dir(
    history: str | Path | None, plugin: TrialpressPlugin, config_dir: Path, bundled: bool
) -> Path:
    """The history store a build uses: the one asked for, else (with the bundled config,
    which lives in the installed package) the default in the current folder, else the
    config's ``history`` option, beside ``mkdocs.yml``."""
    from trialpress.history import DEFAULT_DIR

    if history is not None:
        return Path(history).resolve()
    if bundled:
        return DEFAULT_DIR.resolve()
    return (config_dir / plugin.config.history).resolve()


def _options(
    plugin: TrialpressPlugin,
    config_dir: Path,
    templates: str | Path | None,
    pdf: bool | None,
    cache: str | Path | None,
    jobs: int | None,
    executor: str | None,
    history: Path,
) -> PublishOptions:
    """The plugin's options from the config, with what the caller overrides."""
    cfg = plugin.config
    if templates is not None:
        tpl: Path | None = Path(templates).resolve()
    else:
        tpl = (config_dir / cfg.templates).resolve() if cfg.templates else None
    return PublishOptions(
        templates=tpl,
        pdf=cfg.pdf if pdf is None else pdf,
        jobs=jobs if jobs is not None else cfg.jobs,
        executor=executor if executor is not None else cfg.executor,
        page_size="Letter" if cfg.page_size == "Letter" else "A4",
        cache=Path(cache).resolve() if cache is not None else None,
        history=history,
    )


def serve_site(
    records: Sequence[str | Path],
    *,
    config_file: str | Path | None = None,
    templates: str | Path | None = None,
    cache: str | Path | None = None,
    dev_addr: str | None = None,
    open_in_browser: bool = False,
    history: str | Path | None = None,
) -> None:
    """Run MkDocs' dev server with the trial pages of ``records`` (rebuilt on change)."""
    from mkdocs.commands.serve import serve
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    from trialpress.plugin import TrialpressPlugin, session

    cfg_path, bundled = choose_config(config_file)
    try:
        config = load_config(str(cfg_path))
    except (MkDocsException, OSError) as exc:
        raise BuildError(f"invalid MkDocs config: {exc}", cfg_path) from exc
    plugin = next((p for p in config.plugins.values() if isinstance(p, TrialpressPlugin)), None)
    if plugin is None:
        raise BuildError("the MkDocs config does not use the trialpress plugin", cfg_path)
    history_path = history_dir(history, plugin, cfg_path.parent, bundled)
    options = _options(plugin, cfg_path.parent, templates, None, cache, None, None, history_path)
    work = Path(tempfile.mkdtemp(prefix="trialpress-serve-")) if bundled else None
    paths = [str(Path(r).resolve()) for r in records]
    try:
        with _mkdocs_logging(), session(cfg_path, options, paths, work):
            serve(str(cfg_path), dev_addr=dev_addr, open_in_browser=open_in_browser)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
