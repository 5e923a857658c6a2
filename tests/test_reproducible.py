"""Reproducible output: the same records give byte-identical sites and PDFs.

Two builds of the same records run with different time zones, a second apart, into different
folders. Every file must be byte-identical, and no date the build took from the clock (today
in UTC or local time) may appear anywhere: dates come from the records or
``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
import time
from pathlib import Path

import pytest

from tests.hostile_corpus import build_corpus
from tests.hostile_site import SOURCE_DATE_EPOCH, BuiltSite, cli_env, run_trialpress

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "records"


def digest_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuiltSite, BuiltSite]:
    base = tmp_path_factory.mktemp("repro")
    records = [EXAMPLES, *build_corpus().write(base / "records")[:1]]
    sites = []
    for n, tz in enumerate(("UTC", "Pacific/Kiritimati")):
        out = base / f"site{n}"
        env = cli_env(TZ=tz, TRIALPRESS_CACHE_DIR=str(base / f"cache{n}"))
        result = run_trialpress("build", *records, "--out", out, "--pdf", env=env)
        assert result.returncode == 0, result.stderr[-4000:]
        sites.append(BuiltSite(out, records, result))
        time.sleep(1.1)
    return sites[0], sites[1]


def test_two_builds_are_byte_identical(two_builds: tuple[BuiltSite, BuiltSite]) -> None:
    first, second = (digest_tree(s.root) for s in two_builds)
    assert first.keys() == second.keys()
    differ = sorted(k for k in first if first[k] != second[k])
    assert not differ, differ
    assert any(k.endswith(".pdf") for k in first) and any(k.endswith(".html") for k in first)


def test_no_clock_date_in_output(two_builds: tuple[BuiltSite, BuiltSite]) -> None:
    now = dt.datetime.now(dt.UTC)
    days = {now.date(), now.astimezone().date(), (now + dt.timedelta(hours=14)).date()}
    patterns = set()
    for day in days:
        patterns |= {day.isoformat(), day.strftime("%B %d, %Y"), day.strftime("%d %B %Y")}
        patterns.add(f"D:{day.strftime('%Y%m%d')}")
    found: list[str] = []
    for path in two_builds[0].root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        text = data.decode("latin-1")
        found += [f"{path.name}: {p}" for p in patterns if p in text]
    assert not found, found


def test_sitemap_dates_come_from_source_date_epoch(
    two_builds: tuple[BuiltSite, BuiltSite],
) -> None:
    sitemap = two_builds[0].root / "sitemap.xml"
    if not sitemap.exists():
        pytest.skip("no sitemap in this build")
    epoch_day = dt.datetime.fromtimestamp(int(SOURCE_DATE_EPOCH), dt.UTC).date().isoformat()
    dates = set(re.findall(r"<lastmod>([^<]+)</lastmod>", sitemap.read_text(encoding="utf-8")))
    assert dates <= {epoch_day}, dates
