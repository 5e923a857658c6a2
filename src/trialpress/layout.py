"""Where every generated file lives in the site, and the URL that reaches it.

The one owner of site paths: pages (trial, checklist, results, indexes), PDFs, data, the
PDF manifest, for either value of MkDocs' ``use_directory_urls`` and with or without a
``site_url``. Renderers, the PDF module, the publish stage and the plugin all ask a
:class:`Layout`, so a path is spelled once and a link, a QR code and the file it points to
can never disagree.

Three kinds of path:
- a *source path* (``trials/NCT1.md``): a page as the engine's docs folder holds it;
- a *site path* (``trials/NCT1/index.html``, ``pdf/NCT1-brief.pdf``): a file of the built site;
- a *URL* relative to the site root (``trials/NCT1/``), or absolute with ``site_url``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PdfKind = Literal["brief", "checklist"]

#: The page listing every trial.
TRIALS_INDEX = "trials/index.md"
#: Manifest of PDF content keys, published beside the PDFs (a dot file: engines skip it).
PDF_MANIFEST = "pdf/.trialpress-pdf.json"
#: Where the shipped CSS/JS land in the built site.
ASSET_DIR = "assets/trialpress"
#: FHIR R5 Bundle of every trial's ResearchStudy.
FHIR_BUNDLE = "exports/trials.fhir.json"
#: The trials table for spreadsheets.
TRIALS_CSV = "exports/trials.csv"
#: The trial finder's data, one script shared by the All trials page and trial pages.
FINDER_DATA = "data/finder.js"
#: The Atom feed of recent changes (issue 14), and the empty sitemap beside it (see
#: :data:`trialpress.feed.FEED_SITEMAP`).
FEED = "changes/feed.xml"
FEED_SITEMAP = "changes/sitemap.xml"


def page_url(src_path: str, use_directory_urls: bool) -> str:
    """Site-root-relative URL of a page built from ``src_path`` (``trials/NCT1.md``)."""
    stem = src_path.removesuffix(".md")
    if stem == "index" or stem.endswith("/index"):
        return stem.removesuffix("index")
    return f"{stem}/" if use_directory_urls else f"{stem}.html"


def root_of(src_path: str, use_directory_urls: bool) -> str:
    """Relative prefix from a page to the site root (``../../`` for ``trials/NCT1/``)."""
    url = page_url(src_path, use_directory_urls)
    return "../" * url.count("/")


@dataclass(frozen=True)
class Layout:
    """Paths and URLs of one site."""

    use_directory_urls: bool = True
    site_url: str | None = None

    # -- source paths of generated pages ---------------------------------------------------
    @staticmethod
    def trial_src(nct_id: str) -> str:
        """The trial summary page."""
        return f"trials/{nct_id}.md"

    @staticmethod
    def checklist_src(nct_id: str) -> str:
        """The trial's eligibility checklist page."""
        return f"checklists/{nct_id}.md"

    @staticmethod
    def results_src(nct_id: str) -> str:
        """The trial's posted-results page (same depth as the trial page)."""
        return f"results/{nct_id}.md"

    @staticmethod
    def kind_src(folder: str) -> str:
        """The overview page of one index kind (``conditions/index.md``)."""
        return f"{folder}/index.md"

    @staticmethod
    def term_src(folder: str, slug: str) -> str:
        """One condition, sponsor, ... page."""
        return f"{folder}/{slug}.md"

    # -- site paths of generated files -----------------------------------------------------
    @staticmethod
    def pdf(nct_id: str, kind: PdfKind) -> str:
        """A brief or checklist PDF."""
        return f"pdf/{nct_id}-{kind}.pdf"

    @staticmethod
    def data(nct_id: str) -> str:
        """The trial's public JSON."""
        return f"data/{nct_id}.json"

    @staticmethod
    def fhir(nct_id: str) -> str:
        """The trial's FHIR R5 ResearchStudy."""
        return f"exports/{nct_id}.fhir.json"

    @staticmethod
    def ris(nct_id: str) -> str:
        """The trial's registry record and references for reference managers."""
        return f"exports/{nct_id}.ris"

    @staticmethod
    def version(nct_id: str, vid: str) -> str:
        """A stored version of a trial, published for download."""
        return f"data/history/{nct_id}/{vid}.json"

    @staticmethod
    def changes_src(kind: str | None = None) -> str:
        """The recent-changes page: all kinds, or one filter kind (``changes/sites.md``)."""
        return f"changes/{kind or 'index'}.md"

    def dest(self, src_path: str) -> str:
        """The HTML file a page is built into (``trials/NCT1/index.html``)."""
        url = self.url(src_path)
        return f"{url}index.html" if url == "" or url.endswith("/") else url

    # -- URLs -------------------------------------------------------------------------------
    def url(self, src_path: str) -> str:
        """Site-root-relative URL of a page."""
        return page_url(src_path, self.use_directory_urls)

    def root(self, src_path: str) -> str:
        """Relative prefix from a page to the site root."""
        return root_of(src_path, self.use_directory_urls)

    def absolute(self, site_path: str) -> str | None:
        """Absolute URL of a site path or page URL, when the site URL is known."""
        if not self.site_url:
            return None
        return f"{self.site_url.rstrip('/')}/{site_path}"

    def trial_url(self, nct_id: str) -> str | None:
        """Absolute URL of a trial page (PDF link and QR code), when the site URL is known."""
        return self.absolute(self.url(self.trial_src(nct_id)))

    def checklist_url(self, nct_id: str) -> str | None:
        """Absolute URL of a checklist page, when the site URL is known."""
        return self.absolute(self.url(self.checklist_src(nct_id)))

    def results_url(self, nct_id: str) -> str | None:
        """Absolute URL of a results page, when the site URL is known."""
        return self.absolute(self.url(self.results_src(nct_id)))
