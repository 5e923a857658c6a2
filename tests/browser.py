"""Headless Chromium and a local HTTP server for browser tests (reusable by a11y tests).

The ``browser`` and ``page`` fixtures are registered once, in ``tests/conftest.py``: a
second import into a test module would make a second session fixture, and a second
Playwright in one process fails ("Sync API inside the asyncio loop").
``page`` records console errors, page errors, dialogs and any request to another host
(such requests are aborted, so a test can never reach the network).
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


@contextmanager
def serve_dir(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class PageLog:
    """What happened in a page besides rendering."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page whose ``tp_log`` (:class:`PageLog`) records errors and foreign requests."""
    context = browser.new_context()
    pg = context.new_page()
    log = PageLog()
    pg.tp_log = log

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            log.console_errors.append(msg.text)

    def on_dialog(dialog: Any) -> None:
        log.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_route(route: Any) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", None) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            log.foreign_requests.append(route.request.url)
            route.abort()

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    pg.on("dialog", on_dialog)
    pg.route("**/*", on_route)
    try:
        yield pg
    finally:
        context.close()


#: Pagefind's data files (the rest of ``pagefind/`` is code: ``pagefind.js``, WebAssembly).
_INDEX_FILES = (".pf_meta", ".pf_index", ".pf_fragment", "pagefind-entry.json")


def search_kind(url: str) -> str | None:
    """What a request of a search is: ``index`` (data a query reads), ``code`` or None."""
    path = url.split("?", 1)[0]
    if path.endswith("search/search_index.json"):
        return "index"
    if "/pagefind/" in path and path.endswith(_INDEX_FILES):
        return "index"
    if "/pagefind/" in path or "/assets/javascripts/workers/" in path:
        return "code"
    return None


def first_search(page: Any, base_url: str, query: str) -> dict[str, Any]:
    """Open the home page, type ``query`` into the header search box and wait for the
    results; return what the search loaded (bytes by kind, files), the links Material
    rendered (the first 10; more on scrolling) and its result count line."""
    loaded: list[tuple[str, int]] = []

    def on_response(response: Any) -> None:
        kind = search_kind(response.url)
        if kind is not None and response.status == 200:
            loaded.append((response.url, len(response.body())))

    page.on("response", on_response)
    page.goto(base_url)
    box = page.locator("input[data-md-component=search-query]")
    box.click()
    # One query: the whole text at once, then a key (Material reads the box on keyup). Typed
    # letter by letter, a pause on a loaded machine would also search a prefix.
    box.fill(query)
    box.press("End")
    # Results from Pagefind come after all their fragments have loaded.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.md-search-result__list a')]"
        ".some(a => /\\/(trials|conditions|interventions|sponsors)\\//.test(a.href))",
        timeout=60_000,
    )
    page.wait_for_timeout(300)
    page.remove_listener("response", on_response)
    links = page.eval_on_selector_all(
        ".md-search-result__list li > a", "els => els.map(e => e.getAttribute('href'))"
    )
    meta = page.locator(".md-search-result__meta").inner_text()
    by_kind = {"index": 0, "code": 0}
    for url, size in loaded:
        by_kind[search_kind(url) or "code"] += size
    return {"bytes": by_kind, "files": [u for u, _ in loaded], "links": links, "meta": meta}
