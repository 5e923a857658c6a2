"""Command-line interface: a thin adapter over the library (as the MkDocs plugin is).

Exit status: 0 success, 1 some record failed, 2 bad usage (click's own convention).
Every error is one line ``Error: PATH[:LINE]: message`` on stderr; unexpected exceptions
become ``Error: internal error: ...`` (with the traceback only under ``--verbose``).

Helpers for commands (``build``, ``pdf``, ...): :func:`settings` (quiet/verbose),
:func:`progress` (a rich reporter when stderr is a terminal), :func:`read_all` (reading with
a progress bar, warnings and errors printed), :class:`RunSummary` (the end-of-run line).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NoReturn

import click

from trialpress import __version__
from trialpress.errors import RecordError, RenderError, TrialpressError, printable
from trialpress.escaping import csv_cell
from trialpress.models import Trial, count_warnings
from trialpress.progress import NULL, Reporter, RichReporter
from trialpress.readers import read_records

# --------------------------------------------------------------------------- output helpers


@dataclass
class Settings:
    """Global options, stored on the click context for every command."""

    quiet: bool = False
    verbose: bool = False


def settings() -> Settings:
    """The global options of the running command (defaults outside a click context)."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(dict) if ctx is not None else None
    if not obj:
        return Settings()
    return Settings(quiet=bool(obj.get("quiet")), verbose=bool(obj.get("verbose")))


def _error(message: object) -> None:
    """Print one ``Error: ...`` line on stderr (shown even with --quiet)."""
    click.echo(f"Error: {message}", err=True)


def warn(message: object) -> None:
    """Print one ``Warning: ...`` line on stderr unless --quiet."""
    if not settings().quiet:
        click.echo(f"Warning: {message}", err=True)


def info(message: object) -> None:
    """Print a progress or summary line on stderr unless --quiet (stdout stays data only)."""
    if not settings().quiet:
        click.echo(str(message), err=True)


def fail(message: object, status: int = 1) -> NoReturn:
    """Print ``Error: message`` and exit with ``status``."""
    _error(message)
    sys.exit(status)


def trial_warnings(trial: Trial, severity: str = "warning") -> list[str]:
    """The reader's warnings (or notes) of one trial as ``PATH:LINE: message [code]``."""
    path = trial.source.path
    out = []
    for w in trial.warnings:
        if w.severity != severity:
            continue
        where = path if w.line is None else f"{path}:{w.line}"
        # Record text in a warning (an unplaced line) must not reach the terminal raw: an
        # escape sequence or a newline from a record could forge or hide output.
        out.append(printable(f"{where}: {w.message} [{w.code}]"))
    return out


def record_messages(trial: Trial) -> list[tuple[str, str]]:
    """What --verbose prints about one trial read: its warnings, then its notes."""
    return [("warning", line) for line in trial_warnings(trial)] + [
        ("note", line) for line in trial_warnings(trial, "note")
    ]


def _message(level: str, line: str) -> None:
    (warn if level == "warning" else note)(line)


def note(message: object) -> None:
    """Print one ``Note: ...`` line on stderr unless --quiet (data kept aside, nothing wrong)."""
    if not settings().quiet:
        click.echo(f"Note: {message}", err=True)


def _progress_wanted() -> bool:
    """Bars only for people: stderr is a terminal and the user did not ask for quiet."""
    if settings().quiet or os.environ.get("TRIALPRESS_NO_PROGRESS"):
        return False
    return sys.stderr.isatty()


@contextmanager
def progress() -> Iterator[Reporter]:
    """A rich reporter (bars with counts and time left) when wanted, else the null one."""
    rep: Reporter = RichReporter() if _progress_wanted() else NULL
    try:
        yield rep
    finally:
        rep.close()


def read_all(
    paths: Sequence[str],
    reporter: Reporter = NULL,
    *,
    show_warnings: bool | None = None,
    cache: str | None = None,
    jobs: int | None = 1,
    executor: str | None = None,
) -> tuple[list[Trial], list[RecordError]]:
    """Read every record, one progress step per file; errors are printed, never raised.

    Warnings are printed when ``show_warnings`` (default: under --verbose). ``jobs`` and
    ``executor``: where records are parsed (see :func:`read_records`).
    """
    verbose = settings().verbose if show_warnings is None else show_warnings

    def show(result: Trial | RecordError) -> None:
        if isinstance(result, RecordError):
            _error(result)
        elif verbose:
            for level, line in record_messages(result):
                _message(level, line)

    from trialpress.store import Store

    store = Store(Path(cache)) if cache else None
    return read_records(paths, reporter, show, store, jobs=jobs, executor=executor)


@dataclass
class RunSummary:
    """End-of-run figures; ``line()`` gives ``Built 2 trials, 1 warning, 0 failures in 3.1 s``."""

    verb: str = "Built"
    trials: int = 0
    warnings: int = 0
    failures: int = 0
    started: float = field(default_factory=time.monotonic)
    #: False for work that reads no records (fetch): the line leaves warnings out.
    with_warnings: bool = True

    def add_read(self, trials: Sequence[Trial], errors: Sequence[RecordError]) -> None:
        """Count what :func:`read_all` returned."""
        self.warnings += count_warnings(trials)
        self.failures += len(errors)

    def line(self) -> str:
        """One line for people."""
        seconds = time.monotonic() - self.started
        parts = [f"{self.verb} {_plural(self.trials, 'trial')}"]
        if self.with_warnings:
            parts.append(_plural(self.warnings, "warning"))
        parts.append(_plural(self.failures, "failure"))
        return f"{', '.join(parts)} in {seconds:.1f} s"

    def print(self) -> None:
        """Print the line on stderr unless --quiet."""
        info(self.line())

    @property
    def exit_status(self) -> int:
        """0 when nothing failed, else 1."""
        return 1 if self.failures else 0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------------- the group


class _Group(click.Group):
    """Turns every unexpected exception into one ``Error:`` line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except TrialpressError as exc:
            fail(exc)
        except Exception as exc:
            if settings().verbose:
                traceback.print_exc()
            fail(f"internal error: {type(exc).__name__}: {exc}")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trialpress")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print every warning as it is found.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Turn clinical-trial registry records into pages, checklists and PDF briefs."""
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose cannot be used together")
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet
    ctx.obj["verbose"] = verbose


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
def validate(paths: tuple[str, ...], strict: bool) -> None:
    """Read records and report every warning and error, without writing anything.

    Ends with a summary line: N trials, N warnings, N errors.
    """
    with progress() as rep:
        trials, errors = read_all(paths, rep, show_warnings=True)
    n_warnings = count_warnings(trials)
    n_notes = count_warnings(trials, "note")
    notes = f"{_plural(n_notes, 'note')}, " if n_notes else ""
    info(
        f"{_plural(len(trials), 'trial')}, {_plural(n_warnings, 'warning')}, "
        f"{notes}{_plural(len(errors), 'error')}"
    )
    if strict and n_warnings and not errors:
        fail(f"{_plural(n_warnings, 'warning')} in strict mode")
    sys.exit(1 if errors or (strict and n_warnings) else 0)


@cli.command()
@click.argument("nct_ids", nargs=-1, required=True, metavar="NCT...")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=str),
    default="records",
    metavar="DIR",
    show_default=True,
    help="Folder to write <NCT>.json files into.",
)
@click.option("--refresh", is_flag=True, help="Download again records already present.")
@click.option(
    "--base-url",
    envvar="TRIALPRESS_API_URL",
    default=None,
    metavar="URL",
    help="API v2 base URL (env TRIALPRESS_API_URL)  [default: https://clinicaltrials.gov/api/v2]",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    metavar="SECONDS",
    show_default=True,
    help="Seconds to wait for each response.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=4,
    metavar="N",
    show_default=True,
    help="Retries on rate limiting, server errors and connection errors.",
)
def fetch(
    nct_ids: tuple[str, ...],
    out_dir: str,
    refresh: bool,
    base_url: str | None,
    timeout: float,
    retries: int,
) -> None:
    """Download ClinicalTrials.gov API v2 study JSON into DIR/<NCT>.json.

    Records already present are skipped unless --refresh. Requests are spaced out politely
    (TRIALPRESS_FETCH_INTERVAL seconds apart, default 1.2) and retried with exponential
    backoff from TRIALPRESS_FETCH_BACKOFF seconds (default 2), honouring Retry-After, on
    HTTP 429, 5xx and connection errors.
    """
    from trialpress.errors import FetchError
    from trialpress.fetch import Fetcher, FetchOptions

    try:
        options = FetchOptions.from_env(base_url=base_url, timeout=timeout, retries=retries)
    except FetchError as exc:  # a bad delay in the environment is bad usage
        raise click.UsageError(exc.message) from None
    summary = RunSummary(verb="Fetched", with_warnings=False)
    skipped = 0
    with progress() as rep, Fetcher(options) as fetcher:
        stage = rep.stage("Fetching", len(nct_ids))
        for outcome in fetcher.fetch_all(nct_ids, out_dir, refresh=refresh):
            if outcome.error is not None:
                _error(outcome.error)
                summary.failures += 1
            elif outcome.skipped:
                skipped += 1
                if settings().verbose:
                    info(f"{outcome.nct_id}: already in {outcome.path}, skipped")
            else:
                summary.trials += 1
                if settings().verbose:
                    info(f"{outcome.nct_id}: written to {outcome.path}")
            stage.advance()
    line = summary.line()
    if skipped:
        line = line.replace(" in ", f", {skipped} skipped (already present) in ", 1)
    info(line)
    sys.exit(summary.exit_status)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json"]),
    default="json",
    show_default=True,
    help="Output format.",
)
def parse(paths: tuple[str, ...], fmt: str) -> None:
    """Read records and print the trial model as JSON (a list when several)."""
    trials, errors = read_all(paths)
    data = [t.model_dump(mode="json") for t in trials]
    out = data[0] if len(data) == 1 else data
    click.echo(json.dumps(out, indent=2, ensure_ascii=False))
    sys.exit(1 if errors else 0)


FACT_COLUMNS = (
    "nct_id",
    "kind",
    "value",
    "unit",
    "comparator",
    "list",
    "criterion",
    "quote",
    "note",
)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: a list of {nct_id, facts}; csv: one row per fact, for spreadsheets.",
)
def facts(paths: tuple[str, ...], fmt: str) -> None:
    """Print the key eligibility facts (ECOG, labs, CNS metastases, ...) of each record,
    each with the criterion it comes from and the words it rests on."""
    trials, errors = read_all(paths)
    if fmt == "json":
        data = [
            {"nct_id": t.nct_id, "facts": [f.model_dump(mode="json") for f in t.eligibility.facts]}
            for t in trials
        ]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(FACT_COLUMNS)
        for t in trials:
            for f in t.eligibility.facts:
                value = json.dumps(f.value) if isinstance(f.value, bool) else f.value
                row = [t.nct_id, f.kind, value, f.unit, f.comparator, f.criterion.list]
                row += [f.criterion.number, f.quote, f.note]
                writer.writerow([csv_cell(cell) for cell in row])
        click.echo(buffer.getvalue(), nl=False)
    sys.exit(1 if errors else 0)


@cli.command()
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["fhir", "ris", "csv"]),
    required=True,
    help="fhir: an R5 ResearchStudy (a Bundle when several trials); ris: each trial's "
    "registry record and references; csv: the trials table, one row per trial.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="PATH",
    help="File to write (replaced atomically) [default: standard output].",
)
def export(records: tuple[str, ...], fmt: Literal["fhir", "ris", "csv"], out: Path | None) -> None:
    """Export RECORDS as FHIR JSON, RIS or CSV for other tools, without building a site.

    Record errors are reported and the other trials still exported (exit status 1); a
    trial read twice (same NCT ID) is exported once.
    """
    from trialpress.corpus import Corpus
    from trialpress.exports import export_text
    from trialpress.store import write_if_changed

    trials, errors = read_all(records)
    corpus = Corpus(trials)
    for err in corpus.errors:
        _error(err)
    text = export_text(list(corpus.trials.values()), fmt)
    if out is None:
        click.echo(text, nl=False)
    else:
        try:
            write_if_changed(out, text.encode("utf-8"))
        except OSError as exc:
            fail(f"{out}: cannot write: {exc.strerror or exc}")
        info(f"Exported {_plural(len(corpus.trials), 'trial')} to {out}")
    sys.exit(1 if errors or corpus.errors else 0)


@cli.command()
@click.argument("old", type=click.Path(exists=True, path_type=str))
@click.argument("new", type=click.Path(exists=True, path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per change; json: a list of changes per trial.",
)
def diff(old: str, new: str, fmt: str) -> None:
    """Print what changed from OLD to NEW (two records, or two folders of records).

    Trials are matched by NCT ID; the changes are those the site's "What changed" pages
    show, one line each ("NCT...: change"); a trial in only one of them is reported as
    added or removed. Exit status 1 when a record cannot be read.
    """
    from trialpress.changes import compare
    from trialpress.history import stored_form

    before, old_errors = read_all([old])
    after, new_errors = read_all([new])
    old_by = {t.nct_id: t for t in before}
    new_by = {t.nct_id: t for t in after}
    result: list[dict[str, Any]] = []
    for nct_id in sorted(old_by.keys() | new_by.keys()):
        if nct_id not in new_by:
            result.append({"nct_id": nct_id, "trial": "removed", "changes": []})
        elif nct_id not in old_by:
            result.append({"nct_id": nct_id, "trial": "added", "changes": []})
        else:
            changes = compare(stored_form(old_by[nct_id]), stored_form(new_by[nct_id]))
            if changes:
                result.append(
                    {
                        "nct_id": nct_id,
                        "trial": "changed",
                        "changes": [c.as_json() for c in changes],
                    }
                )
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for item in result:
            if item["trial"] != "changed":
                click.echo(f"{item['nct_id']}: trial {item['trial']}")
            for change in item["changes"]:
                click.echo(printable(f"{item['nct_id']}: {change['text']}"))
        info(f"{_plural(len(result), 'trial')} changed")
    sys.exit(1 if old_errors or new_errors else 0)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the trial model."""
    click.echo(json.dumps(Trial.model_json_schema(), indent=2))


#: ``--templates DIR`` of every command that renders (one definition: one help text).
_templates_option = click.option(
    "--templates",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    metavar="DIR",
    help="Folder of templates overriding the shipped ones (site/, pdf/), searched first.",
)

#: ``--config FILE`` of build and serve.
_config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    metavar="FILE",
    help="MkDocs config using the trialpress plugin [default: ./mkdocs.yml, else a bundled one]",
)


def _executor_options(f: Any) -> Any:
    """``--jobs N`` and ``--executor URL``: where pages and PDFs are rendered."""
    f = click.option(
        "--executor",
        default=None,
        metavar="URL",
        help="Render on a Dask cluster, dask://HOST:PORT, instead of local processes (its "
        "workers write pages: they must see the output and cache folders at the same paths).",
    )(f)
    return click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes rendering pages, data and PDFs [default: all cores, or the "
        "config's jobs for build]; 1 renders in this process.",
    )(f)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/pdf"),
    show_default=True,
    help="Folder for <NCT>-brief.pdf and <NCT>-checklist.pdf.",
)
@_executor_options
@click.option(
    "--page-size",
    type=click.Choice(["A4", "Letter"]),
    default="A4",
    show_default=True,
    help="Paper size.",
)
@click.option(
    "--site-url", default=None, help="Site root URL, for the trial page link and QR code."
)
@_templates_option
@click.pass_context
def pdf(
    ctx: click.Context,
    paths: tuple[str, ...],
    out_dir: Path,
    jobs: int | None,
    executor: str | None,
    page_size: Literal["A4", "Letter"],
    site_url: str | None,
    templates: Path | None,
) -> None:
    """Render a brief PDF and an eligibility checklist PDF for every trial."""
    from trialpress.pdf import render_pdfs

    summary = RunSummary(verb="Rendered PDFs of")
    render_errors: list[RenderError] = []
    with progress() as rep:
        trials, errors = read_all(paths, rep, jobs=jobs, executor=executor)
        written = render_pdfs(
            trials,
            out_dir,
            jobs=jobs,
            executor=executor,
            page_size=page_size,
            site_url=site_url,
            templates=templates,
            reporter=rep,
            errors=render_errors,
        )
    for err in render_errors:
        _error(err)
    summary.add_read(trials, errors)
    summary.trials = len({Path(p).name.rsplit("-", 1)[0] for p in written})
    summary.failures += len(render_errors)
    info(f"{len(written)} PDFs in {out_dir}")
    summary.print()
    sys.exit(summary.exit_status)


#: ``--history DIR`` of build and serve (one definition, so their help cannot drift).
_history_option = click.option(
    "--history",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    metavar="DIR",
    help="History store of every trial version seen, for the change pages and feed "
    "[default: .trialpress/history beside mkdocs.yml, or in the current folder]",
)


def _cache_options(f: Any) -> Any:
    """``--cache DIR`` and ``--no-cache``: where unchanged work is reused from."""
    f = click.option(
        "--no-cache",
        is_flag=True,
        envvar="TRIALPRESS_NO_CACHE",
        help="Reuse nothing: render every page and PDF (env TRIALPRESS_NO_CACHE=1).",
    )(f)
    return click.option(
        "--cache",
        type=click.Path(file_okay=False, path_type=str),
        default=".trialpress/cache",
        show_default=True,
        metavar="DIR",
        help="Reuse store: unchanged trials are not rendered again. Keep it between runs.",
    )(f)


def _cache(cache: str, no_cache: bool) -> str | None:
    return None if no_cache else cache


@cli.command()
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    metavar="DIR",
    help="Output folder; replaced only when the build succeeds. "
    "[default: the config's site_dir, or build/site]",
)
@_config_option
@click.option(
    "--strict/--no-strict",
    default=True,
    show_default=True,
    help="Fail on any MkDocs warning (record errors never stop the build).",
)
@_templates_option
@click.option("--pdf/--no-pdf", default=None, help="Render PDFs [default: as the config says].")
@_cache_options
@_executor_options
@click.option(
    "--site-url",
    default=None,
    metavar="URL",
    help="Where the site is published (overrides the config's site_url): the 404 page, "
    "sitemap, canonical links and PDF QR codes point there.",
)
@_history_option
def build(
    records: tuple[str, ...],
    out: str | None,
    config_file: str | None,
    strict: bool,
    templates: Path | None,
    pdf: bool | None,
    cache: str,
    no_cache: bool,
    jobs: int | None,
    executor: str | None,
    site_url: str | None,
    history: str | None,
) -> None:
    """Build the site (trial pages, checklists, indexes) from RECORDS with MkDocs."""
    from trialpress.build import Asked, build_trials, choose_config, skip_check
    from trialpress.errors import TrialpressError
    from trialpress.stopping import BuildInterrupted, stop_on_signals

    start = time.monotonic()
    try:
        choose_config(config_file)  # fail on a missing --config before reading anything
        # SIGTERM unwinds like Ctrl-C: the half-built temporary folder is removed and the
        # previous output stays as it was.
        asked = Asked(
            config_file=config_file,
            strict=strict,
            templates=templates,
            pdf=pdf,
            cache=_cache(cache, no_cache),
            jobs=jobs,
            executor=executor,
            site_url=site_url,
            history=history,
        )
        inputs, result = skip_check(records, out, asked)
        if result is not None:
            # Nothing changed since the last build: say what it said, touch nothing.
            if settings().verbose:
                for level, line in result.messages:
                    _message(level, line)
            for err in result.errors:
                _error(err)
            info("Nothing changed since the last build; the output was left as it is.")
            result.seconds = time.monotonic() - start
            info(result.summary())
            sys.exit(1 if result.errors else 0)
        with stop_on_signals(), progress() as rep:
            # read_all prints read errors as they come, and warnings under --verbose
            trials, read_errors = read_all(
                records, rep, cache=_cache(cache, no_cache), jobs=jobs, executor=executor
            )
            result = build_trials(
                trials,
                out,
                errors=read_errors,
                reporter=rep,
                start=start,
                inputs=inputs,
                messages=[m for t in trials for m in record_messages(t)],
                **vars(asked),
            )
    except TrialpressError as exc:
        _error(exc)
        sys.exit(1)
    except KeyboardInterrupt:
        _error("interrupted; the previous output is unchanged")
        sys.exit(130)
    except BuildInterrupted as exc:
        _error("terminated; the previous output is unchanged")
        sys.exit(128 + exc.signum)
    for err in result.errors[len(read_errors) :]:
        _error(err)
    if settings().verbose:
        info(f"Rendered {len(result.rendered)} pages and PDFs; everything else was reused.")
    info(result.summary())
    sys.exit(1 if result.errors else 0)


@cli.command()
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=str))
@_config_option
@_templates_option
@click.option(
    "-a",
    "--dev-addr",
    default=None,
    metavar="IP:PORT",
    help="Address to serve on [127.0.0.1:8000].",
)
@_cache_options
@_history_option
def serve(
    records: tuple[str, ...],
    config_file: str | None,
    templates: Path | None,
    dev_addr: str | None,
    cache: str,
    no_cache: bool,
    history: str | None,
) -> None:
    """Serve the site with MkDocs' dev server; pages rebuild when RECORDS change."""
    from trialpress.build import serve_site
    from trialpress.errors import BuildError

    try:
        serve_site(
            records,
            config_file=config_file,
            templates=templates,
            cache=_cache(cache, no_cache),
            dev_addr=dev_addr,
            history=history,
        )
    except BuildError as exc:
        _error(exc)
        sys.exit(1)


@cli.command()
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    metavar="DIR",
    help="Docs folder to write the generated pages, data and assets into.",
)
@_templates_option
@click.option("--pdf/--no-pdf", default=False, show_default=True, help="Render PDFs too.")
@click.option(
    "--no-directory-urls",
    is_flag=True,
    help="Link pages as trials/NCT.html (the engine's use_directory_urls: false).",
)
@click.option("--site-url", default=None, help="Site root URL, for PDF links and QR codes.")
@_cache_options
@_executor_options
def generate(
    records: tuple[str, ...],
    out_dir: Path,
    templates: Path | None,
    pdf: bool,
    no_directory_urls: bool,
    site_url: str | None,
    cache: str,
    no_cache: bool,
    jobs: int | None,
    executor: str | None,
) -> None:
    """Write the trial, checklist and index pages as Markdown into a docs folder.

    For site engines that run no MkDocs plugins (Zensical): add the folder's
    assets/trialpress/trialpress.css and .js to the engine's extra CSS and JavaScript.
    Files in DIR that the records no longer produce are removed.
    """
    from trialpress.corpus import Corpus
    from trialpress.publish import PublishOptions
    from trialpress.publish import generate as generate_site

    summary = RunSummary(verb="Generated")
    with progress() as rep:
        trials, errors = read_all(
            records, rep, cache=None if no_cache else cache, jobs=jobs, executor=executor
        )
        corpus = Corpus(trials)
        options = PublishOptions(
            templates=templates,
            pdf=pdf,
            use_directory_urls=not no_directory_urls,
            site_url=site_url,
            cache=None if no_cache else Path(cache),
            jobs=jobs,
            executor=executor,
        )
        result = generate_site(corpus, options, out_dir, reporter=rep)
    for err in [*corpus.errors, *result.errors]:
        _error(err)
    summary.add_read(trials, errors)
    summary.trials = len(corpus)
    summary.failures += len(corpus.errors) + len(result.errors)
    info(f"{len(result.pages)} pages in {out_dir}")
    summary.print()
    sys.exit(summary.exit_status)


def main() -> None:
    """Console-script entry point."""
    cli(obj={})


if __name__ == "__main__":  # pragma: no cover
    main()
