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
by one with a 0.1 s poll between replies, 1,000 s for 10,000 trials, while the stubs cost
about one second (kept in the working folder, a rebuild rewrites only changed ones). The
run is started as soon as the entries are known and waited for when the index is needed.
The index is a pure function of the entries: two builds give the same bytes, and an
unchanged set of entries is copied from the cache instead of re-indexed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

from trialpress import escaping
from trialpress.corpus import KINDS, Corpus, IndexEntry
from trialpress.errors import RenderError
from trialpress.layout import Layout
from trialpress.publish import SearchEntry
from trialpress.store import link_or_copy, write_if_changed

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
    """The cached index for ``key`` if it is complete and unaltered; an altered one is
    removed. The index of other entries is kept until a new one replaces it: the new one
    shares its unchanged files (:func:`_share_unchanged`)."""
    manifest = cache / _MANIFEST
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = None
    if not isinstance(recorded, dict) or recorded.get("key") != key:
        return None
    try:
        files: dict[str, str] | None = _files(cache / INDEX_DIR)
    except OSError:
        files = None
    if recorded.get("files") == files:
        return cache / INDEX_DIR
    manifest.unlink(missing_ok=True)
    shutil.rmtree(cache / INDEX_DIR, ignore_errors=True)
    return None


def _share_unchanged(new_root: Path, old_root: Path) -> None:
    """Each file of a new index whose bytes the old index holds under the same name (most
    of them: Pagefind names fragments by their content) becomes a link to the old file.
    The sites that link the old file then share it, and it is not freed and written again
    at every rebuild (thousands of files, each freed at a cost on some disks)."""
    if old_root.is_symlink() or not old_root.is_dir():
        return
    for folder, _, names in os.walk(new_root):
        for name in names:
            new = Path(folder) / name
            old = old_root / new.relative_to(new_root)
            try:
                if old.is_symlink() or not old.is_file():
                    continue
                if old.stat().st_size != new.stat().st_size or old.read_bytes() != new.read_bytes():
                    continue
                link_or_copy(old, new)
            except OSError:
                continue  # the new file stays as Pagefind wrote it


def write_stubs(wanted: Mapping[str, bytes], root: Path) -> None:
    """Make ``root`` hold exactly the ``wanted`` stubs (bytes by relative path): changed
    ones are rewritten, others left as they are, and any other file (a removed page's stub,
    a stray file) is removed. Kept between builds, a rebuild then makes and removes almost
    no folders."""
    for rel, data in wanted.items():
        write_if_changed(root / rel, data)
    for folder, dirs, names in os.walk(root, topdown=False):
        here = Path(folder)
        rel_folder = here.relative_to(root).as_posix()
        prefix = "" if rel_folder == "." else f"{rel_folder}/"
        for name in names:
            if f"{prefix}{name}" not in wanted:
                (here / name).unlink()
        for name in dirs:
            if (here / name).is_symlink():
                (here / name).unlink()
        if here != root and not any(here.iterdir()):
            here.rmdir()


def _keep_used(out: Path) -> None:
    for p in out.iterdir():
        if _UNUSED.match(p.name):
            p.unlink()


#: The folder a Pagefind run writes into, beside its stubs; moved into place on success.
_RUN_OUT = ".pagefind-run"
#: Stub bytes one Pagefind run indexes at most. Pagefind holds about 50 bytes of memory per
#: byte of stub text (690 MB for the 15 MB of a 10,000-trial site), so a larger site is
#: indexed in parts, one run after another, and the search worker merges them (Pagefind's
#: ``mergeIndex``; a further part costs a first search its entry file and word chunks).
PART_BYTES = 8_000_000
#: Lists the further parts' folders (``part-1/``, ...) for the search worker; ``[]``: one.
PARTS_FILE = "trialpress-parts.json"


def part_of(url: str, parts: int) -> int:
    """The part a page is indexed in: by a hash of its URL, so that a changed page changes
    one part's index and the others are reused from the cache."""
    return int(hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:8], 16) % parts


def _part_dir(number: int) -> str:
    return "" if number == 0 else f"part-{number}"


@dataclass
class _Part:
    """One Pagefind run's entries and where its stubs, run output and cached index live."""

    number: int
    entries: list[Indexable]
    work: Path
    key: str | None = None
    hit: Path | None = None

    @property
    def stubs(self) -> Path:
        return self.work / "stubs"

    @property
    def out(self) -> Path:
        return self.work / _RUN_OUT


class Indexing:
    """The Pagefind runs over the stubs of a set of entries, started as soon as the entries
    are known so that they run (separate processes, one after another, on another core)
    while the rest of the site is built; :meth:`finish` waits for them and places the index
    in the site. Nothing reaches the site or the cache unless every run succeeded."""

    def __init__(
        self,
        items: Sequence[Indexable],
        language: str,
        cache_dir: Path | None,
        part_bytes: int | None = None,
    ) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._cache = cache_dir / "search" if cache_dir is not None else None
        #: What is indexed, in URL order.
        self.entries = list(items)
        self._parts: list[_Part] = []
        if not items:
            return
        exe = _executable()
        if self._cache is not None:
            root = self._cache
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="trialpress-search-")
            root = Path(self._tmp.name)
        stubs = [stub_html(e, language).encode("utf-8") for e in items]
        count = max(1, -(-sum(len(b) for b in stubs) // (part_bytes or PART_BYTES)))
        grouped: list[list[tuple[Indexable, bytes]]] = [[] for _ in range(count)]
        for entry, stub in zip(items, stubs, strict=True):
            grouped[part_of(entry.url, count)].append((entry, stub))
        version = _version(exe) if self._cache is not None else ""
        runs: list[list[str]] = []
        for number, group in enumerate(g for g in grouped if g):
            part = _Part(number, [e for e, _ in group], root / _part_dir(number))
            self._parts.append(part)
            if self._cache is not None:
                part.key = index_key(part.entries, language, version)
                part.hit = _cached(part.work, part.key)
                if part.hit is not None:
                    continue
            write_stubs({stub_path(e.url): b for e, b in group}, part.stubs)
            shutil.rmtree(part.out, ignore_errors=True)
            args = ["--site", part.stubs, "--output-path", part.out]
            runs.append([str(a) for a in (exe, *args, "--force-language", language, "--quiet")])
        _drop_other_parts(root, len(self._parts))
        if runs:
            self._proc = _start_pagefind(runs)

    def finish(self, site_dir: Path) -> Path | None:
        """Wait for the runs and write the index into ``site_dir/pagefind``; return it
        (None, and no index, when there is no entry: Pagefind refuses an empty site).
        Raises :class:`RenderError` with Pagefind's output when a run failed."""
        dest = site_dir / INDEX_DIR
        try:
            if not self._parts:
                shutil.rmtree(dest, ignore_errors=True)
                return None
            if self._proc is not None:
                proc, self._proc = self._proc, None
                stdout, stderr = proc.communicate()
                if proc.returncode != 0:
                    raise RenderError(f"Pagefind failed: {stdout}{stderr}".strip(), INDEX_DIR)
            for part in self._parts:
                if part.hit is not None:
                    continue  # reused from the cache
                _keep_used(part.out)
                if self._cache is None:
                    continue  # moved into the site below
                part.hit = part.work / INDEX_DIR
                _share_unchanged(part.out, part.hit)
                (part.work / _MANIFEST).unlink(missing_ok=True)
                _move_tree(part.out, part.hit)
                manifest = {"key": part.key, "files": _files(part.hit)}
                text = json.dumps(manifest, indent=1) + "\n"
                (part.work / _MANIFEST).write_text(text, encoding="utf-8")
            for part in self._parts:
                target = dest / _part_dir(part.number)
                if part.hit is None:
                    _move_tree(part.out, target)
                else:
                    _copy_tree(part.hit, target)
            further = [f"{_part_dir(p.number)}/" for p in self._parts[1:]]
            write_if_changed(dest / PARTS_FILE, (json.dumps(further) + "\n").encode("utf-8"))
            return dest
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the runs if they are still going and remove what they wrote (a failed
        build)."""
        if self._proc is not None:
            if self._proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.communicate()  # reaps it and closes its pipes
            self._proc = None
        if self._cache is not None:
            for part in self._parts:
                shutil.rmtree(part.out, ignore_errors=True)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _drop_other_parts(root: Path, parts: int) -> None:
    """Remove the cached parts a larger site left (``part-N`` beyond this index's)."""
    for folder in root.glob("part-*"):
        number = folder.name.removeprefix("part-")
        if not number.isdigit() or int(number) >= parts:
            shutil.rmtree(folder, ignore_errors=True)


def _start_pagefind(runs: Sequence[Sequence[str]]) -> subprocess.Popen[str]:
    """Pagefind, running over each part in turn (its output collected when it is waited
    for): one after another, so that only one part's index is in memory at a time. In a
    session of its own, so that stopping it stops the run under way too."""
    script = " && ".join(shlex.join(run) for run in runs)
    return subprocess.Popen(
        ["/bin/sh", "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _move_tree(src: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    src.rename(dest)


def _only_folders(root: Path) -> bool:
    """True when ``root`` holds folders alone (no file, no link)."""
    for folder, dirs, files in os.walk(root):
        if files or any((Path(folder) / d).is_symlink() for d in dirs):
            return False
    return True


def _copy_tree(src: Path, dest: Path) -> None:
    """Hard links where possible (index files are never modified in place), else copies.
    Folders already at ``dest`` with no file in them (a rebuild's reused folders) are
    kept; anything else there is removed first."""
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists() and not _only_folders(dest):
        shutil.rmtree(dest)
    shutil.copytree(
        src,
        dest,
        copy_function=lambda s, d: link_or_copy(Path(s), Path(d)),
        dirs_exist_ok=True,
    )


def start_index(
    entries: Iterable[Indexable],
    *,
    language: str = "en",
    cache_dir: Path | None = None,
    part_bytes: int | None = None,
) -> Indexing:
    """Start indexing ``entries`` (see :class:`Indexing`; :func:`write_index` waits for it),
    in parts of at most ``part_bytes`` of stubs (default :data:`PART_BYTES`).

    With ``cache_dir``, the stubs and the index of the last set of entries are kept there:
    the index is reused when the entries, language and Pagefind version are unchanged (a
    cached copy whose files no longer match its manifest is discarded and rebuilt, never
    published), and only changed stubs are written again.
    """
    return Indexing(sorted_entries(entries), language, cache_dir, part_bytes)


def sorted_entries(entries: Iterable[Indexable]) -> list[Indexable]:
    """The entries in URL order (the order of the index), refusing two with one URL."""
    items = sorted(entries, key=lambda e: e.url)
    urls = [e.url for e in items]
    if len(set(urls)) != len(urls):
        raise RenderError("two search entries share one URL", INDEX_DIR)
    return items


def write_index(
    entries: Iterable[Indexable],
    site_dir: Path,
    *,
    language: str = "en",
    cache_dir: Path | None = None,
    part_bytes: int | None = None,
) -> Path | None:
    """Write the Pagefind index of ``entries`` into ``site_dir/pagefind`` and return it
    (None, and no index, when there is no entry); see :func:`start_index`."""
    indexing = start_index(entries, language=language, cache_dir=cache_dir, part_bytes=part_bytes)
    return indexing.finish(site_dir)


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
