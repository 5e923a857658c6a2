"""Command-line interface: a thin adapter over the library (as the MkDocs plugin is).

Exit status: 0 success, 1 some record failed, 2 bad usage (click's own convention).
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Literal

import click

from trialpress import __version__
from trialpress.errors import RecordError, RenderError
from trialpress.models import Trial
from trialpress.readers import read_paths


def _error(message: object) -> None:
    """Print one ``Error: ...`` line on stderr."""
    click.echo(f"Error: {message}", err=True)


def read_all(paths: tuple[str, ...]) -> tuple[list[Trial], list[RecordError]]:
    """Read every record; errors are collected (and printed), never raised."""
    trials: list[Trial] = []
    errors: list[RecordError] = []
    for result in read_paths(paths):
        if isinstance(result, RecordError):
            _error(result)
            errors.append(result)
        else:
            trials.append(result)
    return trials, errors


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trialpress")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print every warning as it is found.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Turn clinical-trial registry records into pages, checklists and PDF briefs."""
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet
    ctx.obj["verbose"] = verbose


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


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the trial model."""
    click.echo(json.dumps(Trial.model_json_schema(), indent=2))


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
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores; 1 renders in this process).",
)
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
@click.option(
    "--templates",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Folder of template overrides (searched before the shipped templates).",
)
@click.pass_context
def pdf(
    ctx: click.Context,
    paths: tuple[str, ...],
    out_dir: Path,
    jobs: int | None,
    page_size: Literal["A4", "Letter"],
    site_url: str | None,
    templates: Path | None,
) -> None:
    """Render a brief PDF and an eligibility checklist PDF for every trial."""
    from trialpress.pdf import render_pdfs
    from trialpress.progress import reporter

    trials, errors = read_all(paths)
    render_errors: list[RenderError] = []
    quiet = bool((ctx.obj or {}).get("quiet"))
    with reporter(not quiet) as rep:
        written = render_pdfs(
            trials,
            out_dir,
            jobs=jobs,
            page_size=page_size,
            site_url=site_url,
            templates=templates,
            reporter=rep,
            errors=render_errors,
        )
    for err in render_errors:
        _error(err)
    if not quiet:
        click.echo(f"{len(written)} PDFs in {out_dir}", err=True)
    sys.exit(1 if errors or render_errors else 0)


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
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    metavar="FILE",
    help="MkDocs config using the trialpress plugin [default: ./mkdocs.yml, else a bundled one]",
)
@click.option(
    "--strict/--no-strict",
    default=True,
    show_default=True,
    help="Fail on any MkDocs warning (record errors never stop the build).",
)
@click.option(
    "--templates",
    type=click.Path(file_okay=False, exists=True, path_type=str),
    default=None,
    metavar="DIR",
    help="Folder of templates overriding the shipped ones (site/, pdf/).",
)
@click.option("--pdf/--no-pdf", default=None, help="Render PDFs [default: as the config says].")
def build(
    records: tuple[str, ...],
    out: str | None,
    config_file: str | None,
    strict: bool,
    templates: str | None,
    pdf: bool | None,
) -> None:
    """Build the site (trial pages, checklists, indexes) from RECORDS with MkDocs."""
    from trialpress.build import build_site
    from trialpress.errors import TrialpressError
    from trialpress.progress import reporter

    # SIGTERM unwinds like Ctrl-C, so the half-built temporary folder is removed and the
    # previous output stays as it was.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        with reporter(sys.stderr.isatty() and not _quiet()) as rep:
            result = build_site(
                records,
                out,
                config_file=config_file,
                strict=strict,
                templates=templates,
                pdf=pdf,
                reporter=rep,
            )
    except TrialpressError as exc:
        _error(exc)
        sys.exit(1)
    for err in result.errors:
        _error(err)
    if not _quiet():
        click.echo(result.summary(), err=True)
    sys.exit(1 if result.errors else 0)


@cli.command()
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    metavar="FILE",
    help="MkDocs config using the trialpress plugin [default: ./mkdocs.yml, else a bundled one]",
)
@click.option(
    "--templates",
    type=click.Path(file_okay=False, exists=True, path_type=str),
    default=None,
    metavar="DIR",
    help="Folder of templates overriding the shipped ones.",
)
@click.option(
    "-a",
    "--dev-addr",
    default=None,
    metavar="IP:PORT",
    help="Address to serve on [127.0.0.1:8000].",
)
def serve(
    records: tuple[str, ...], config_file: str | None, templates: str | None, dev_addr: str | None
) -> None:
    """Serve the site with MkDocs' dev server; pages rebuild when RECORDS change."""
    from trialpress.build import serve_site
    from trialpress.errors import BuildError

    try:
        serve_site(records, config_file=config_file, templates=templates, dev_addr=dev_addr)
    except BuildError as exc:
        _error(exc)
        sys.exit(1)


def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(dict) if ctx is not None else None
    return bool(obj and obj.get("quiet"))


def main() -> None:
    """Console-script entry point."""
    cli(obj={})


if __name__ == "__main__":  # pragma: no cover
    main()
