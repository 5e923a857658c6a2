"""Building sites from generated records, once per session, for the issue-6 tests.

Builds run the installed ``trialpress`` console script in a subprocess, as a user runs it,
so what is tested is the real CLI, the real MkDocs build and the real PDFs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

TRIALPRESS = Path(sys.executable).with_name("trialpress")
#: The checkout: builds run here, so they use its ``mkdocs.yml`` as a user's would.
ROOT = Path(__file__).resolve().parents[1]
SOURCE_DATE_EPOCH = "1700000000"  # 2023-11-14T22:13:20Z


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for a CLI run: no colour, fixed width, reproducible dates.

    ``TRIALPRESS_NO_CACHE`` is set: builds run in the checkout, and no build may reuse
    pages or PDFs another one left in its reuse store.
    """
    env = {k: v for k, v in os.environ.items() if k != "TRIALPRESS_CACHE_DIR"}
    return {
        **env,
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
        "TRIALPRESS_NO_CACHE": "1",
        **extra,
    }


def run_trialpress(
    *args: str | Path, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the console script; output captured, never raises on a non-zero exit."""
    return subprocess.run(
        [str(TRIALPRESS), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or cli_env(),
        cwd=ROOT,
        check=False,
    )


@dataclass
class BuiltSite:
    """A built site and the CLI run that made it."""

    root: Path
    records: list[Path]
    result: subprocess.CompletedProcess[str]

    def page(self, rel: str) -> Path:
        """The HTML file of a page under the site root (``trials/NCT.../``)."""
        path = self.root / rel
        return path / "index.html" if path.is_dir() or not path.suffix else path

    def html_files(self) -> list[Path]:
        """Every HTML file of the site."""
        return sorted(self.root.rglob("*.html"))


def build_site(records: list[Path], out: Path, *args: str | Path) -> BuiltSite:
    """``trialpress build RECORDS --out OUT --pdf`` and the result; asserts no traceback."""
    # Each site keeps its own history: a shared store would show one test's trials as
    # changed in another's (hostile and benign twins share NCT IDs).
    history = () if "--history" in args else ("--history", out.with_name(f"{out.name}-history"))
    result = run_trialpress("build", *records, "--out", out, "--pdf", *history, *args)
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    return BuiltSite(out, records, result)


_INVISIBLE = re.compile(r"[\s\u2400-\u2421\ufffd]+")


def visible(text: str) -> str:
    """Text reduced to what a reader sees, for comparing record text with page text.

    Whitespace (line breaks, U+2028, ...) differs by layout; controls may be shown as
    control pictures or U+FFFD; format characters (bidi controls, zero-width joiners, BOM)
    are invisible. All of these are dropped from both sides before comparing.
    """
    text = "".join(
        ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
    )
    return _INVISIBLE.sub("", text)
