"""Site search that stays small at 10,000 trials: a Pagefind index of the generated pages.

MkDocs Material's own search ships one lunr index of every page to every visitor (2.8 KB
per trial, 28 MB at 10,000). Trial and index-term pages are therefore kept out of it
(``search: exclude`` in their front matter) and indexed here with Pagefind, whose index is
split into chunks: a query fetches only the chunks of its words and the fragments of the
results it shows. Material's search box stays as it is: our worker (:data:`WORKER_ASSET`) takes the
place of Material's search worker, runs it for the hand-written pages and adds
Pagefind's answers for trials and index terms (see :func:`use_search_worker`).

Entries are plain data (one per page, a pure function of the trial or index term and its
URL), so a publish stage can cache them with the page. :func:`write_index` turns them into
small HTML stubs, which the Pagefind CLI indexes: Pagefind's Python API adds records one
by one with a 0.1 s poll between replies, 1,000 s for 10,000 trials, and the stubs cost
about one second. The index is a pure function of the entries: two builds give the same
bytes, and an unchanged set of entries is copied from the cache instead of re-indexed.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

from trialpress import escaping
from trialpress.corpus import KINDS, Corpus, IndexEntry
from trialpress.errors import RenderError
from trialpress.layout import Layout
from trialpress.publish import SearchEntry
from trialpress.store import link_or_copy

#: Where the index lands in the site (``pagefind.js`` finds its files beside itself).
INDEX_DIR = "pagefind"
#: The worker that answers Material's search box (``templates/site/assets/search-worker.js``),
#: published beside Material's own worker so that Material's relative paths still resolve.
WORKER_ASSET = "assets/javascripts/workers/trialpress-search.js"
WORKER_SOURCE = "assets/search-worker.js"
#: Bump when the stub format changes: cached indexes of older stubs are then not reused.
STUB_VERSION = "1"
#: Pagefind's ready-made search UIs: unused here (Material's box is kept), so not published.
_UNUSED = re.compile(r"^pagefind-(component-ui|modular-ui|ui|highlight)\.(js|css)$")
#: Material's ``__config`` names its search worker; the page's copy is pointed at ours.
_MATERIAL_WORKER = re.compile(
    r'"search": "(?P<root>[^"]*?)assets/javascripts/workers/(?P<name>search\.[0-9a-f]+\.min\.js)"'
)
_MANIFEST = "trialpress-index.json"


class Indexable(Protocol):
    """What the index needs of a page (the publish stage's search entries have this shape)."""

    @property
    def url(self) -> str:
        """Site-root-relative URL, no leading slash: ``trials/NCT1/`` or ``trials/NCT1.html``."""

    @property
    def title(self) -> str:
        """The page's title, as plain text."""

    @property
    def text(self) -> str:
        """What the page is found by, as plain text."""


def stub_html(entry: Indexable, language: str) -> str:
    """The HTML Pagefind indexes for a page: its title and text, record text escaped."""
    title = escaping.html_text(entry.title)
    return (
        f'<!doctype html><html lang="{escaping.html_attr(language)}"><head>'
        f'<meta charset="utf-8"><title>{title}</title></head><body><main data-pagefind-body>'
        f"<h1>{title}</h1><p>{escaping.html_text(entry.text)}</p></main></body></html>\n"
    )


def stub_path(url: str) -> str:
    """A stub's file path, from which Pagefind derives exactly ``url`` again."""
    url = url.lstrip("/")
    if not url or url.endswith("/"):
        return f"{url}index.html"
    return url


def term_entry(entry: IndexEntry, url: str) -> SearchEntry:
    """An index page (one condition, sponsor, ...): found by its title, kind and name."""
    singular = KINDS[entry.kind][2]
    count = len(entry.nct_ids)
    trials = f"{count} trial{'s' if count != 1 else ''}"
    return SearchEntry(url=url, title=f"{singular}: {entry.label}", text=trials)


def _executable() -> Path:
    from pagefind.service import get_executable

    exe = get_executable()
    if exe is None or not exe.is_file():
        raise RenderError(
            "the Pagefind binary is missing: install it with pip install 'pagefind[bin]' "
            "(or set PAGEFIND_BINARY_PATH)",
            INDEX_DIR,
        )
    return exe


def _version(exe: Path) -> str:
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def index_key(entries: Sequence[Indexable], language: str, pagefind_version: str) -> str:
    """Content key of an index: every entry, the language, stub format and Pagefind version."""
    h = hashlib.sha256()
    h.update(f"{STUB_VERSION}\0{language}\0{pagefind_version}\0".encode())
    for e in sorted(entries, key=lambda e: e.url):
        data = json.dumps([e.url, e.title, e.text], ensure_ascii=False)
        h.update(data.encode("utf-8", "surrogatepass") + b"\n")
    return h.hexdigest()


def _files(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _cached(cache: Path, key: str) -> Path | None:
    """The cached index for ``key`` if it is complete and unaltered (else it is removed)."""
    manifest = cache / _MANIFEST
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
        files = _files(cache / INDEX_DIR)
    except (OSError, ValueError):
        recorded, files = None, None
    if isinstance(recorded, dict) and recorded.get("key") == key and recorded["files"] == files:
        return cache / INDEX_DIR
    shutil.rmtree(cache, ignore_errors=True)
    return None


def _run_pagefind(entries: Sequence[Indexable], dest: Path, language: str, exe: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="trialpress-search-") as tmp:
        stubs = Path(tmp) / "stubs"
        for e in entries:
            path = stubs / stub_path(e.url)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(stub_html(e, language), encoding="utf-8")
        stubs.mkdir(exist_ok=True)
        out = Path(tmp) / INDEX_DIR
        proc = subprocess.run(
            [exe, "--site", stubs, "--output-path", out, "--force-language", language, "--quiet"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RenderError(f"Pagefind failed: {proc.stdout}{proc.stderr}".strip(), INDEX_DIR)
        for p in out.iterdir():
            if _UNUSED.match(p.name):
                p.unlink()
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(out, dest)


def _copy_tree(src: Path, dest: Path) -> None:
    """Hard links where possible (index files are never modified in place), else copies."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, copy_function=lambda s, d: link_or_copy(Path(s), Path(d)))


def write_index(
    entries: Iterable[Indexable],
    site_dir: Path,
    *,
    language: str = "en",
    cache_dir: Path | None = None,
) -> Path | None:
    """Write the Pagefind index of ``entries`` into ``site_dir/pagefind`` and return it
    (None, and no index, when there is no entry: Pagefind refuses an empty site).

    With ``cache_dir``, the index of the last set of entries is kept there and reused when
    the entries, language and Pagefind version are unchanged; a cached copy whose files no
    longer match its manifest is discarded and rebuilt, never published.
    """
    items = sorted(entries, key=lambda e: e.url)
    urls = [e.url for e in items]
    if len(set(urls)) != len(urls):
        raise RenderError("two search entries share one URL", INDEX_DIR)
    dest = site_dir / INDEX_DIR
    if not items:
        shutil.rmtree(dest, ignore_errors=True)
        return None
    exe = _executable()
    if cache_dir is None:
        _run_pagefind(items, dest, language, exe)
        return dest
    key = index_key(items, language, _version(exe))
    cache = cache_dir / "search"
    hit = _cached(cache, key)
    if hit is None:
        _run_pagefind(items, cache / INDEX_DIR, language, exe)
        manifest = {"key": key, "files": _files(cache / INDEX_DIR)}
        (cache / _MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        hit = cache / INDEX_DIR
    _copy_tree(hit, dest)
    return dest


def use_search_worker(html: str, all_trials_url: str = "trials/") -> str:
    """Point a Material page's search at our worker (which still runs Material's for the
    hand-written pages); pages of other themes are returned unchanged.

    ``all_trials_url`` (site-root-relative) is where "more trials match" sends people.
    """

    def repl(m: re.Match[str]) -> str:
        query = urlencode({"material": m.group("name"), "trials": all_trials_url})
        return f'"search": "{m.group("root")}{WORKER_ASSET}?{query}"'

    return _MATERIAL_WORKER.sub(repl, html, count=1)


def term_entries(corpus: Corpus, layout: Layout) -> list[SearchEntry]:
    """Search entries of the index-term pages (one condition, sponsor, ...)."""
    return [
        term_entry(entry, layout.url(entry.src_path))
        for kind in KINDS
        for entry in corpus.indexes[kind].values()
    ]
