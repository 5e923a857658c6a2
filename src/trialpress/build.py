"""``trialpress build`` and ``trialpress serve``: records -> MkDocs site, as a library.

The build reads every record first (so it can report record errors itself and still build
the good ones, even in strict mode), hands the trials to the ``trialpress`` plugin of the
chosen MkDocs config, builds into a temporary folder next to the output and swaps it into
place only when everything succeeded: a failure or an interrupt leaves the previous output
exactly as it was.
"""

from __future__ import annotations

import calendar
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from trialpress.errors import BuildError, RecordError, TrialpressError
from trialpress.models import Trial
from trialpress.progress import NULL, Reporter
from trialpress.templating import default_templates_dir

log = logging.getLogger("trialpress.build")


@dataclass
class BuildResult:
    """What a build did, for the CLI's summary."""

    out: Path
    trials: int = 0
    warnings: int = 0
    errors: list[TrialpressError] = field(default_factory=list)
    seconds: float = 0.0

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


def history_dir(history: str | Path | None, bundled: bool) -> Path | None:
    """The history store a build uses: the one asked for, else (with the bundled config,
    which lives in the installed package) the default in the current folder, else None:
    the config's ``history`` option, beside ``mkdocs.yml``."""
    from trialpress.history import DEFAULT_DIR

    if history is not None:
        return Path(history).resolve()
    return DEFAULT_DIR.resolve() if bundled else None


def read_records(
    paths: Sequence[str | Path], reporter: Reporter = NULL
) -> tuple[list[Trial], list[RecordError]]:
    """Every trial and every record error under ``paths``, in file order."""
    from trialpress.readers import expand_paths, read_file

    files = expand_paths(paths)
    stage = reporter.stage("Reading records", len(files))
    trials: list[Trial] = []
    errors: list[RecordError] = []
    for path in files:
        try:
            results = read_file(path)
        except RecordError as exc:
            results = [exc]
        for r in results:
            (errors if isinstance(r, RecordError) else trials).append(r)  # type: ignore[arg-type]
        stage.advance()
    return trials, errors


class _MkDocsLogHandler(logging.Handler):
    """Shows MkDocs warnings and errors on stderr as ``WARNING: ...`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"{record.levelname.capitalize()}: {record.getMessage()}\n")


@contextmanager
def _mkdocs_logging() -> Iterator[None]:
    logger = logging.getLogger("mkdocs")
    handler = _MkDocsLogHandler(logging.WARNING)
    added = not logger.handlers
    if added:
        logger.addHandler(handler)
    try:
        yield
    finally:
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


class BuildInterrupted(BaseException):
    """SIGTERM stopped the build (SIGINT stays :class:`KeyboardInterrupt`)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: Signals caught by :func:`stop_on_signals` during this process's current build.
_received: list[int] = []


def _on_signal(signum: int, frame: object) -> None:
    """Record the signal, then unwind the build by raising."""
    _received.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise BuildInterrupted(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM stop a build, which then leaves the previous output as it was.

    The handler raises, and also records the signal: when a signal lands while CPython runs
    an at-fork callback (PDF workers are forked), the exception is swallowed ("Exception
    ignored in ... _releaseLock") and the build would go on, so :func:`build_trials` checks
    the record once more before publishing. A SIGINT that was ignored when the process
    started (a background job) stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, _on_signal)
    if previous[signal.SIGINT] is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_signal)
    try:
        yield
    except Exception as exc:
        # A library may wrap the handler's exception in its own (pydantic's Rust
        # serialiser reports it as PydanticSerializationError): still an interruption.
        if _received:
            raise _interruption(_received[0]) from exc
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _received.clear()


def _interruption(signum: int) -> BaseException:
    """The exception a stop signal unwinds the build with."""
    return KeyboardInterrupt() if signum == signal.SIGINT else BuildInterrupted(signum)


def _raise_if_signalled() -> None:
    """Refuse to publish after a signal whose exception was swallowed (see above)."""
    if _received:
        raise _interruption(_received[0])


def _swap_into_place(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp`` with two renames; the old output is removed last."""
    old: Path | None = None
    if out.exists():
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
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build_site(
    records: Sequence[str | Path],
    out: str | Path | None = None,
    *,
    config_file: str | Path | None = None,
    strict: bool = True,
    templates: str | Path | None = None,
    pdf: bool | None = None,
    reporter: Reporter = NULL,
    history: str | Path | None = None,
) -> BuildResult:
    """Read ``records``, build the site with MkDocs and put it at ``out`` atomically.

    Raises :class:`BuildError` when MkDocs fails (in strict mode: on any MkDocs warning);
    record errors do not stop the build and are returned in the result.
    """
    start = time.monotonic()
    choose_config(config_file)  # fail on a missing --config before reading anything
    trials, errors = read_records(records, reporter)
    return build_trials(
        trials,
        out,
        errors=errors,
        config_file=config_file,
        strict=strict,
        templates=templates,
        pdf=pdf,
        reporter=reporter,
        start=start,
        history=history,
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
    history: str | Path | None = None,
) -> BuildResult:
    """Build the site from trials already read (``errors``: record errors to report).

    ``cache_dir`` sets the plugin's generated folder (default: a temporary one per build).
    ``history`` sets the history store (default: the config's ``history`` option, or
    ``.trialpress/history`` in the current folder with the bundled config).
    """
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    from trialpress.plugin import TrialpressPlugin

    start = time.monotonic() if start is None else start
    cfg_path, bundled = choose_config(config_file)
    all_errors: list[TrialpressError] = list(errors)
    trials = list(trials)
    out_dir = Path(out) if out is not None else None

    with _mkdocs_logging(), _reproducible_dates(trials):
        try:
            config = load_config(str(cfg_path), strict=strict)
        except (MkDocsException, OSError) as exc:
            raise BuildError(f"invalid MkDocs config: {exc}", cfg_path) from exc
        plugin = next((p for p in config.plugins.values() if isinstance(p, TrialpressPlugin)), None)
        if plugin is None:
            raise BuildError("the MkDocs config does not use the trialpress plugin", cfg_path)
        if out_dir is None:
            # The bundled config lives in the installed package: build next to the user.
            out_dir = Path("build/site") if bundled else Path(config.site_dir)
        out_dir = out_dir.resolve()
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
        try:
            config.site_dir = str(tmp / "site")
            plugin.preloaded = trials
            plugin.reporter = reporter
            if templates is not None:
                plugin.config.templates = str(Path(templates).resolve())
            if pdf is not None:
                plugin.config.pdf = pdf
            plugin.history_dir = history_dir(history, bundled)
            # Generated pages go to this build's own temporary folder (concurrent builds of
            # one project never share one), and unchanged PDFs are reused from the output
            # this build replaces.
            plugin.config.cache_dir = str(Path(cache_dir).resolve() if cache_dir else tmp / "cache")
            if (out_dir / "pdf").is_dir():
                plugin.pdf_reuse_dir = out_dir / "pdf"
            stage = reporter.stage("Building site", None)
            try:
                mkdocs_build(config)
            except (Abort, MkDocsException) as exc:
                raise BuildError(f"MkDocs build failed: {exc}", cfg_path) from exc
            except TrialpressError:
                raise
            stage.advance()
            all_errors.extend(plugin.record_errors)
            _raise_if_signalled()
            _swap_into_place(tmp / "site", out_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    return BuildResult(
        out=out_dir,
        trials=plugin.trial_count,
        warnings=sum(1 for t in trials for w in t.warnings if w.severity == "warning"),
        errors=all_errors,
        seconds=time.monotonic() - start,
    )


def serve_site(
    records: Sequence[str | Path],
    *,
    config_file: str | Path | None = None,
    templates: str | Path | None = None,
    dev_addr: str | None = None,
    open_in_browser: bool = False,
    history: str | Path | None = None,
) -> None:
    """Run MkDocs' dev server with the trial pages of ``records`` (rebuilt on change)."""
    from mkdocs.commands.serve import serve

    cfg_path, bundled = choose_config(config_file)
    env = {"TRIALPRESS_RECORDS": os.pathsep.join(str(Path(r).resolve()) for r in records)}
    if templates is not None:
        env["TRIALPRESS_TEMPLATES"] = str(Path(templates).resolve())
    history_path = history_dir(history, bundled)
    if history_path is not None:
        env["TRIALPRESS_HISTORY"] = str(history_path)
    cache = None
    if bundled:
        cache = tempfile.mkdtemp(prefix="trialpress-serve-")
        env["TRIALPRESS_CACHE_DIR"] = cache
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with _mkdocs_logging():
            serve(str(cfg_path), dev_addr=dev_addr, open_in_browser=open_in_browser)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if cache:
            shutil.rmtree(cache, ignore_errors=True)
