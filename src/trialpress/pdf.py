"""PDF briefs and eligibility checklists: Jinja2 HTML + print CSS, laid out by WeasyPrint.

PDF rendering is the floor of a full build (DESIGN.md section 3), so this module
- renders in worker processes (one per core by default), each keeping one
  ``FontConfiguration`` and the parsed stylesheets for its whole life;
- skips unchanged work: a content key (trial JSON, template sources, options, WeasyPrint
  version) is stored beside the PDFs and an unchanged PDF is reused as it is;
- writes every PDF atomically (temp file + rename), so a failed or interrupted run never
  leaves a half-written file.

Output is reproducible: dates in the metadata come from the trial's ``last_updated`` (or
``SOURCE_DATE_EPOCH``), never the clock, and the PDF identifier is a hash of the content.
Record text is untrusted: it is only ever passed to templates as data (autoescape on), and
WeasyPrint may fetch nothing but ``data:`` URLs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jinja2
import segno

from trialpress import __version__
from trialpress.changes import criteria_fingerprint
from trialpress.errors import RenderError
from trialpress.executor import Outcome, Tasks, task_pool
from trialpress.facts import fact_groups, fact_rows
from trialpress.labels import enum_label
from trialpress.layout import PDF_MANIFEST, Layout
from trialpress.models import Criterion, Trial
from trialpress.progress import NULL, Reporter
from trialpress.render import first_contacts
from trialpress.stopping import checkpoint
from trialpress.store import write_atomic
from trialpress.templating import template_dirs

if TYPE_CHECKING:
    from trialpress.store import Store

PageSize = Literal["A4", "Letter"]
Kind = Literal["brief", "checklist"]
KINDS: tuple[Kind, ...] = ("brief", "checklist")
#: The stylesheet every PDF template shares, parsed once per process.
STYLESHEET = "pdf/print.css"
#: Manifest of content keys, beside the PDFs; a dot file so site builders skip it.
MANIFEST = PDF_MANIFEST.rsplit("/", 1)[1]
#: Criteria shorter than this (characters) are kept on one page (``break-inside: avoid``);
#: longer ones may split, because WeasyPrint blows up when an unbreakable block is
#: taller than a page.
AVOID_BREAK_MAX_CHARS = 1800
#: How much eligibility text the brief shows per list before pointing to the checklist.
BRIEF_CRITERIA_CHARS = 900
BRIEF_CRITERIA_ITEMS = 6
#: A document's HTML beyond this many characters is refused with a RenderError naming the
#: trial: about 150 pages and a minute of WeasyPrint. The largest real record here (19,020
#: characters of eligibility text) makes about 45,000.
MAX_HTML_CHARS = 600_000

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------
# Presentation helpers (pure; used by the templates)
# --------------------------------------------------------------------------------------


def number_label(criterion: Criterion) -> str:
    """The source's number as printed: ``2`` -> ``2.``, ``8.-10.`` as is, a bullet -> ``•``."""
    if criterion.number is None:
        return "•"
    num = criterion.number
    return num if num.endswith((".", ")")) else f"{num}."


def count_criteria(criteria: Sequence[Criterion]) -> int:
    """All criteria in these trees, children included."""
    return sum(len(c.walk()) for c in criteria)


@dataclass(frozen=True)
class ShortList:
    """The criteria a brief shows, and how many it leaves to the checklist."""

    shown: list[Criterion]
    more: int
    total: int


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:") + " …"


def shorten_criteria(
    criteria: Sequence[Criterion],
    budget: int = BRIEF_CRITERIA_CHARS,
    max_items: int = BRIEF_CRITERIA_ITEMS,
) -> ShortList:
    """The first top-level criteria (without children) that fit the budget.

    At least one criterion is shown when there is one (clipped if it alone is too long:
    the pointer to the checklist then counts it as not fully shown).
    """
    total = count_criteria(criteria)
    shown: list[Criterion] = []
    used = 0
    fully_shown = 0
    for crit in criteria:
        if len(shown) >= max_items or (shown and used + len(crit.text) > budget):
            break
        text = _clip(crit.text, budget)
        shown.append(Criterion(number=crit.number, text=text, line=crit.line))
        used += len(text)
        if text == crit.text:
            fully_shown += 1  # its children, never shown in the brief, count as "more"
    return ShortList(shown=shown, more=total - fully_shown, total=total)


def country_counts(trial: Trial) -> list[tuple[str, int]]:
    """Countries with their number of sites, most sites first (ties in source order)."""
    counts: Counter[str] = Counter()
    order: dict[str, int] = {}
    for loc in trial.locations:
        name = loc.country or "Country not given"
        counts[name] += 1
        order.setdefault(name, len(order))
    for name in trial.countries:
        if name not in counts:
            counts[name] += 0
            order.setdefault(name, len(order))
    return sorted(counts.items(), key=lambda kv: (-kv[1], order[kv[0]]))


#: Characters no font can draw and PDF metadata (XMP is XML) cannot hold: C0/C1 controls
#: other than tab and newlines, DEL, lone surrogates and noncharacters. Record text with
#: them still prints, with U+FFFD in their place, instead of .notdef boxes or invalid XMP.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    + "".join(f"\\U{plane:04x}fffe\\U{plane:04x}ffff" for plane in range(1, 17))
    + "]"
)


def printable(text: str) -> str:
    """``text`` with unprintable characters replaced by U+FFFD (see ``_UNPRINTABLE``)."""
    return _UNPRINTABLE.sub("\ufffd", text)


#: Runs of this many characters without a break opportunity get one (U+200B) every
#: ``_BREAK_EVERY`` characters. WeasyPrint re-shapes the rest of an unbreakable word for
#: every line it wraps (``overflow-wrap: anywhere``): 12,000 characters took 32 s, and with
#: break opportunities 1.6 s. Text extraction drops U+200B, so copied text is unchanged.
_LONG_RUN = 40
_BREAK_EVERY = 20
_TEXT_NODE = re.compile(r">([^<]+)<")
_LONG_RUN_RE = re.compile(rf"[^\s<>\u200b]{{{_LONG_RUN + 1},}}")
_TOKEN = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|.", re.S)


def _break_run(match: re.Match[str]) -> str:
    tokens = _TOKEN.findall(match.group(0))  # entities stay whole
    return "\u200b".join(
        "".join(tokens[i : i + _BREAK_EVERY]) for i in range(0, len(tokens), _BREAK_EVERY)
    )


def break_long_words(html: str) -> str:
    """Add break opportunities inside very long words in the body's text (not in tags,
    attributes or the ``<title>``, which becomes the PDF's metadata)."""
    head, sep, body = html.partition("<body")
    if not sep:
        return html
    body = _TEXT_NODE.sub(lambda m: ">" + _LONG_RUN_RE.sub(_break_run, m.group(1)) + "<", body)
    return head + sep + body


def qr_data_uri(url: str) -> str:
    """A QR code of ``url`` as an SVG ``data:`` URI: made here, nothing fetched."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


def results_page_url(trial: Trial, layout: Layout) -> str:
    """Where a trial's posted results are: our results page if the site URL is known and the
    record carries them, else the registry's results tab."""
    ours = layout.results_url(trial.nct_id) if trial.results is not None else None
    return ours or f"{trial.registry_url}?tab=results"


#: Primary outcomes and contacts a brief shows before pointing at the trial page.
BRIEF_OUTCOMES = 3
BRIEF_CONTACTS = 2


def document_date(trial: Trial) -> str | None:
    """W3C date for the PDF's created/modified metadata: the record's, never the clock."""
    if trial.last_updated:
        return trial.last_updated
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))
    return None


# --------------------------------------------------------------------------------------
# Rendering in one process
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """Everything besides the trial and templates that changes a PDF."""

    page_size: PageSize = "A4"
    site_url: str | None = None
    use_directory_urls: bool = True

    @property
    def layout(self) -> Layout:
        """Where the site's pages are: the PDFs link them and the QR code points at one."""
        return Layout(self.use_directory_urls, self.site_url)


def _make_env(templates: Path | None) -> jinja2.Environment:
    """Templates with autoescape on and StrictUndefined: record text is data, never markup."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(templates)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["label"] = enum_label
    env.filters["number_label"] = number_label
    env.filters["key_facts"] = fact_rows
    env.filters["key_fact_groups"] = fact_groups
    env.globals["AVOID_BREAK_MAX_CHARS"] = AVOID_BREAK_MAX_CHARS
    return env


def templates_digest(templates: Path | None) -> str:
    """Hash of every file under ``pdf/`` in the template search path, in search order."""
    h = hashlib.sha256()
    for root in template_dirs(templates):
        pdf_dir = Path(root) / "pdf"
        if not pdf_dir.is_dir():
            continue
        for path in sorted(p for p in pdf_dir.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(root)).encode())
            h.update(b"\0")
            h.update(path.read_bytes())
            h.update(b"\0")
        h.update(b"\1")
    return h.hexdigest()


def _weasyprint_version() -> str:
    import weasyprint

    return str(weasyprint.__version__)


def content_key(
    trial: Trial, kind: Kind, options: Options, digest: str, trial_json: bytes | None = None
) -> str:
    """What a PDF depends on, hashed: equal keys give byte-identical PDFs.

    ``trial_json`` (``trial.model_dump_json()``) may be passed in to serialise a trial
    once for both of its PDFs.
    """
    payload = {
        "kind": kind,
        "page_size": options.page_size,
        "site_url": options.site_url,
        "use_directory_urls": options.use_directory_urls,
        "templates": digest,
        "weasyprint": _weasyprint_version(),
        "trialpress": __version__,
        "date": document_date(trial),
    }
    h = hashlib.sha256(json.dumps(payload, sort_keys=True).encode())
    h.update(b"\0")
    h.update(trial_json if trial_json is not None else trial.model_dump_json().encode())
    return h.hexdigest()


class Renderer:
    """One process's rendering state: templates, fonts and parsed CSS, reused for every PDF."""

    def __init__(self, templates: Path | None = None) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        self.templates = templates
        #: The template sources this renderer was made from (see get_renderer).
        self.digest = templates_digest(templates)
        self.env = _make_env(templates)
        self.font_config = FontConfiguration()
        #: Only data: URLs (our QR code); record text can never make WeasyPrint fetch.
        self.url_fetcher = URLFetcher(allowed_protocols=["data"])
        source, _, _ = self.env.loader.get_source(self.env, STYLESHEET)  # type: ignore[union-attr]
        self.css = CSS(string=source, font_config=self.font_config, url_fetcher=self.url_fetcher)
        self.page_css = {
            size: CSS(string=f"@page {{ size: {size}; }}", font_config=self.font_config)
            for size in ("A4", "Letter")
        }

    def context(self, trial: Trial, kind: Kind, options: Options) -> dict[str, Any]:
        """The template context (a tested contract: see each template's first comment)."""
        elig = trial.eligibility
        page_url = options.layout.trial_url(trial.nct_id)
        primary = [o for o in trial.outcomes if o.kind == "primary"]
        return {
            "trial": trial,
            "kind": kind,
            "lang": "en",
            "page_size": options.page_size,
            "doc_date": document_date(trial),
            "page_url": page_url,
            "checklist_url": options.layout.checklist_url(trial.nct_id),
            "registry_url": trial.registry_url,
            "criteria_fingerprint": criteria_fingerprint(elig.model_dump(mode="json")),
            # only the brief shows it; making one costs a few milliseconds
            "qr_uri": qr_data_uri(page_url or trial.registry_url) if kind == "brief" else None,
            "qr_target": page_url or trial.registry_url,
            "countries": country_counts(trial),
            "short_inclusion": shorten_criteria(elig.inclusion),
            "short_exclusion": shorten_criteria(elig.exclusion),
            "short_other": shorten_criteria(elig.other),
            "lead_officials": trial.officials[:4],
            "more_officials": max(0, len(trial.officials) - 4),
            "summary": _clip(trial.summary or "", 1800),
            "summary_clipped": len(trial.summary or "") > 1800,
            "arm_description": lambda text: _clip(text or "", 260),
            "primary_outcomes": primary[:BRIEF_OUTCOMES],
            "more_outcomes": len(trial.outcomes) - len(primary[:BRIEF_OUTCOMES]),
            "clip": _clip,
            "contacts": first_contacts(trial, BRIEF_CONTACTS),
            "results_url": results_page_url(trial, options.layout),
        }

    def html(self, trial: Trial, kind: Kind, options: Options) -> str:
        """The HTML WeasyPrint lays out (exposed for the benchmark's floor and for tests)."""
        template = self.env.get_template(f"pdf/{kind}.html")
        return break_long_words(printable(template.render(self.context(trial, kind, options))))

    def pdf_from_html(self, html: str, options: Options) -> bytes:
        """Lay out ``html`` with the pre-parsed stylesheets into reproducible PDF bytes."""
        from weasyprint import HTML

        doc = HTML(string=html, url_fetcher=self.url_fetcher, base_url="about:blank")
        data = doc.write_pdf(
            stylesheets=[self.css, self.page_css[options.page_size]],
            font_config=self.font_config,
            pdf_variant="pdf/ua-1",
            pdf_identifier=True,
        )
        assert isinstance(data, bytes)
        return data

    def render(self, trial: Trial, kind: Kind, options: Options) -> bytes:
        """One PDF; any failure becomes a RenderError naming the trial and its source."""
        data, messages = self.render_logged(trial, kind, options)
        _relog(trial, kind, messages)
        return data

    def render_logged(
        self, trial: Trial, kind: Kind, options: Options
    ) -> tuple[bytes, list[tuple[int, str]]]:
        """One PDF and the warnings WeasyPrint logged while making it (level, message).

        Workers return the messages so the parent can log them naming the trial: a
        missing glyph (".notdef glyph rendered ...") must not pass unnoticed in a worker.
        """
        with _capture_weasyprint() as messages:
            try:
                html = self.html(trial, kind, options)
                if len(html) > MAX_HTML_CHARS:
                    raise RenderError(
                        f"{trial.nct_id}: the {kind} PDF would be too long to print "
                        f"({len(html):,} characters of HTML, at most {MAX_HTML_CHARS:,})",
                        trial.source.path,
                    )
                data = self.pdf_from_html(html, options)
            except RenderError:
                raise
            except Exception as exc:
                raise RenderError(
                    f"{trial.nct_id}: cannot render the {kind} PDF: {type(exc).__name__}: {exc}",
                    trial.source.path,
                ) from exc
        return data, messages


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((record.levelno, record.getMessage()))


@contextmanager
def _capture_weasyprint() -> Iterator[list[tuple[int, str]]]:
    """Collect WeasyPrint's warnings and errors (they still reach its own logger too)."""
    handler = _ListHandler()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def _relog(trial: Trial, kind: Kind, messages: list[tuple[int, str]]) -> None:
    for level, message in messages:
        log.log(
            level, "%s: %s: %s PDF: WeasyPrint: %s", trial.source.path, trial.nct_id, kind, message
        )


_RENDERERS: dict[str | None, Renderer] = {}


def get_renderer(templates: Path | None = None, digest: str | None = None) -> Renderer:
    """This process's renderer for a template folder, created once and reused while the
    templates stay the same (``digest``: their :func:`templates_digest`, computed when not
    given). A changed stylesheet or template (``mkdocs serve`` with an override folder)
    gets a new renderer: the parsed CSS must never be older than the content key says."""
    key = str(templates) if templates else None
    digest = digest or templates_digest(templates)
    renderer = _RENDERERS.get(key)
    if renderer is None or renderer.digest != digest:
        renderer = _RENDERERS[key] = Renderer(templates)
    return renderer


def render_brief(
    trial: Trial,
    *,
    page_size: PageSize = "A4",
    site_url: str | None = None,
    templates: Path | None = None,
) -> bytes:
    """The trial's brief as PDF bytes."""
    return get_renderer(templates).render(trial, "brief", Options(page_size, site_url))


def render_checklist(
    trial: Trial,
    *,
    page_size: PageSize = "A4",
    site_url: str | None = None,
    templates: Path | None = None,
) -> bytes:
    """The trial's eligibility checklist as PDF bytes."""
    return get_renderer(templates).render(trial, "checklist", Options(page_size, site_url))


# --------------------------------------------------------------------------------------
# Worker processes
# --------------------------------------------------------------------------------------


def _warm(templates: Path | None, digest: str) -> None:
    """Build a worker's renderer once: fonts and CSS are then reused for every task."""
    get_renderer(templates, digest)


def _render_task(
    trial: Trial, kind: Kind, options: Options, templates: Path | None, digest: str
) -> tuple[bytes, list[tuple[int, str]]]:
    return get_renderer(templates, digest).render_logged(trial, kind, options)


# --------------------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------------------


def pdf_name(trial: Trial, kind: Kind) -> str:
    """File name: ``<NCT>-brief.pdf``, ``<NCT>-checklist.pdf`` (as the site layout has it)."""
    return Layout.pdf(trial.nct_id, kind).rsplit("/", 1)[1]


@dataclass
class _Manifest:
    """Content key and SHA-256 of each PDF in an output folder."""

    path: Path
    entries: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, out_dir: Path) -> _Manifest:
        path = out_dir / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = {
                str(k): {"key": str(v["key"]), "sha256": str(v["sha256"])}
                for k, v in data.get("pdfs", {}).items()
            }
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            entries = {}
        return cls(path, entries)

    def fresh(self, name: str, key: str) -> bool:
        """True when the PDF on disk was made from this key and is intact."""
        entry = self.entries.get(name)
        if entry is None or entry["key"] != key:
            return False
        try:
            data = (self.path.parent / name).read_bytes()
        except OSError:
            return False
        return hashlib.sha256(data).hexdigest() == entry["sha256"]

    def record(self, name: str, key: str, data: bytes) -> None:
        self.entries[name] = {"key": key, "sha256": hashlib.sha256(data).hexdigest()}

    def save(self) -> None:
        blob = json.dumps({"pdfs": self.entries}, indent=1, sort_keys=True) + "\n"
        write_atomic(self.path, blob.encode())


def render_pdfs(
    trials: Sequence[Trial],
    out_dir: Path,
    *,
    jobs: int | None = None,
    page_size: PageSize = "A4",
    site_url: str | None = None,
    use_directory_urls: bool = True,
    templates: Path | None = None,
    reporter: Reporter = NULL,
    errors: list[RenderError] | None = None,
    cache_dir: Path | None = None,
    executor: str | None = None,
    store: Store | None = None,
    rendered: list[str] | None = None,
) -> list[Path]:
    """Write ``<NCT>-brief.pdf`` and ``<NCT>-checklist.pdf`` for every trial into ``out_dir``.

    Unchanged PDFs (same content key as recorded in the folder's manifest) are reused;
    ``cache_dir`` names another folder with earlier output to reuse from (for a build into
    a fresh temporary folder that is swapped in at the end), and ``store`` a
    content-addressed store (:class:`trialpress.store.Store`) kept between runs.
    ``jobs`` worker processes render the rest (default: all cores; 1 renders in this
    process), or the Dask cluster ``executor`` names (``dask://HOST:PORT``); ``rendered``
    receives ``pdf:<site path>`` for each PDF rendered rather than reused. A failure raises
    :class:`RenderError` naming the trial, unless ``errors`` is given: then failures are
    appended there and the other PDFs are still written. A second trial with an NCT ID
    already seen is a failure too (its PDFs would overwrite the first one's).
    Returns the paths written or reused, in trial order (brief, then checklist).
    """
    run = PdfRun(
        trials,
        out_dir,
        page_size=page_size,
        site_url=site_url,
        use_directory_urls=use_directory_urls,
        templates=templates,
        reporter=reporter,
        errors=errors,
        cache_dir=cache_dir,
        store=store,
        rendered=rendered,
    )
    with (
        run.recording(),
        task_pool(
            size=len(run.todo), jobs=jobs, address=executor, warm=run.warm, preload=run.PRELOAD
        ) as pool,
    ):
        run.submit(pool)
        return run.finish()


class PdfRun:
    """The PDFs of a set of trials in the making (see :func:`render_pdfs` for the options).

    Made in three steps, so that a site build can do its own work while the workers render:
    creating it reuses every unchanged PDF at once; :meth:`submit` hands the rest to an
    executor (one a build shares with its pages); :meth:`drain` writes those finished so
    far, whenever the caller has a moment, and :meth:`finish` waits for the rest. Used
    inside :meth:`recording`, which saves the manifest however the run ends."""

    def __init__(
        self,
        trials: Sequence[Trial],
        out_dir: Path,
        *,
        page_size: PageSize = "A4",
        site_url: str | None = None,
        use_directory_urls: bool = True,
        templates: Path | None = None,
        reporter: Reporter = NULL,
        errors: list[RenderError] | None = None,
        cache_dir: Path | None = None,
        store: Store | None = None,
        rendered: list[str] | None = None,
        trial_json: Callable[[Trial], bytes] = lambda t: t.model_dump_json().encode(),
    ) -> None:
        """``trial_json``: each trial's JSON (a build uses the same for its own keys)."""
        self.out_dir = out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        self.options = options = Options(page_size, site_url, use_directory_urls)
        self.templates = templates
        self.digest = templates_digest(templates)
        self.manifest = _Manifest.load(out_dir)
        earlier = _Manifest.load(Path(cache_dir)) if cache_dir is not None else None
        self.stage = reporter.stage("PDFs", 2 * len(trials))
        self.errors = errors
        self.store = store
        self.rendered = rendered
        self.failure: RenderError | None = None
        #: (result index, trial, kind, content key) of each PDF to render.
        self.todo: list[tuple[int, Trial, Kind, str]] = []
        self.results: dict[int, Path] = {}
        #: Where each PDF goes, if it is made (in trial order: brief, then checklist).
        self.planned: dict[int, Path] = {}
        self._pending: dict[int, Outcome[tuple[bytes, list[tuple[int, str]]]]] = {}
        self._pool: Tasks | None = None
        self._sent = 0  # PDFs of todo handed to the pool so far
        self._in_flight: deque[Outcome[Any]] = deque()
        seen: dict[str, Trial] = {}
        self.dirty = False
        for n, trial in enumerate(trials):
            first = seen.setdefault(trial.nct_id, trial)
            if first is not trial:
                self._fail(
                    RenderError(
                        f"{trial.nct_id}: duplicate NCT ID, PDFs already made from "
                        f"{first.source.path}",
                        trial.source.path,
                    )
                )
                self.stage.advance(2)
                continue
            trial_bytes = trial_json(trial)
            for k, kind in enumerate(KINDS):
                i = 2 * n + k
                name = pdf_name(trial, kind)
                self.planned[i] = out_dir / name
                key = content_key(trial, kind, options, self.digest, trial_bytes)
                if self.manifest.fresh(name, key):
                    self.results[i] = out_dir / name
                    self.stage.advance()
                elif (data := _reusable(name, key, earlier, store)) is not None:
                    write_atomic(out_dir / name, data)
                    self.manifest.record(name, key, data)
                    self.dirty = True
                    self.results[i] = out_dir / name
                    self.stage.advance()
                else:
                    self.todo.append((i, trial, kind, key))
        self.dirty = self.dirty or bool(self.todo)
        #: The NCT IDs whose two PDFs are reused or to be rendered: if none of the renders
        #: fails, those that will have both.
        self.expected = frozenset(seen)
        if self.failure is not None:
            raise self.failure

    #: What a fork server imports for PDF workers (``mkdocs serve``: a threaded process).
    PRELOAD = ("trialpress.pdf", "weasyprint")

    @property
    def warm(self) -> Callable[[], None] | None:
        """What a worker runs first: builds the renderer it then keeps (fonts, parsed CSS)."""
        return partial(_warm, self.templates, self.digest) if self.todo else None

    @contextmanager
    def recording(self) -> Iterator[PdfRun]:
        """Save the manifest when the run ends, also after a failure or an interruption:
        the PDFs written so far are recorded and reused."""
        try:
            yield self
        finally:
            self._save()

    def _save(self) -> None:
        if self.dirty:
            self.manifest.save()
            self.dirty = False

    def submit(self, pool: Tasks, *, in_flight: int | None = None) -> None:
        """Hand the PDFs not sent yet to ``pool``'s workers; ``in_flight``: only as many as
        keep that many unfinished (the workers busy while the caller prepares other work
        that must not queue behind every PDF)."""
        self._pool = pool
        if in_flight is not None:
            while self._in_flight and self._in_flight[0].done():
                self._in_flight.popleft()
        while self._sent < len(self.todo) and (
            in_flight is None or len(self._in_flight) < in_flight
        ):
            _, trial, kind, key = self.todo[self._sent]
            outcome = pool.submit(
                _render_task,
                trial,
                kind,
                self.options,
                self.templates,
                self.digest,
                key=f"trialpress-pdf-{key}",
            )
            self._pending[self._sent] = outcome
            if in_flight is not None:
                self._in_flight.append(outcome)
            self._sent += 1

    def drain(self) -> None:
        """Write the PDFs that are finished, without waiting for any other."""
        for n in [n for n, outcome in self._pending.items() if outcome.done()]:
            self._take(n, self._pending.pop(n))

    def finish(self) -> list[Path]:
        """Wait for every PDF and write it; the paths written or reused, in trial order
        (raises the first failure unless failures are collected)."""
        if self._pending:
            assert self._pool is not None  # submit() sent them
            order = list(self._pending)
            for i, _ in self._pool.as_completed([self._pending[n] for n in order]):
                self._take(order[i], self._pending.pop(order[i]))
        self._save()
        if self.failure is not None:
            raise self.failure
        return [self.results[i] for i in sorted(self.results)]

    def _fail(self, exc: RenderError) -> None:
        if self.errors is not None:
            self.errors.append(exc)
        elif self.failure is None:
            self.failure = exc

    def _take(self, n: int, outcome: Outcome[tuple[bytes, list[tuple[int, str]]]]) -> None:
        i, trial, kind, key = self.todo[n]
        try:
            data, messages = outcome.result()
        except Exception as exc:  # a RenderError, or a worker that died: name it
            self._fail(
                exc
                if isinstance(exc, RenderError)
                else RenderError(
                    f"{trial.nct_id}: cannot render the {kind} PDF: {type(exc).__name__}: {exc}",
                    trial.source.path,
                )
            )
            if self.failure is not None:
                raise self.failure from None
            return
        _relog(trial, kind, messages)
        name = pdf_name(trial, kind)
        write_atomic(self.out_dir / name, data)
        self.manifest.record(name, key, data)
        self.dirty = True
        if self.store is not None:
            self.store.put(key, data)
        if self.rendered is not None:
            self.rendered.append(f"pdf:{Layout.pdf(trial.nct_id, kind)}")
        self.results[i] = self.out_dir / name
        self.stage.advance()
        checkpoint()  # a stop signal ends the build after the PDF it was waiting for


def _reusable(name: str, key: str, earlier: _Manifest | None, store: Store | None) -> bytes | None:
    """An intact PDF made from ``key``: from the output being replaced, or from the store."""
    if earlier is not None and earlier.fresh(name, key):
        return (earlier.path.parent / name).read_bytes()
    return store.get(key) if store is not None else None
