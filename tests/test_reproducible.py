"""Reproducible output: the same records give byte-identical sites and PDFs.

Two builds of the same records run with different time zones, a second apart, into different
folders, without ``SOURCE_DATE_EPOCH`` (as most users run it). Every file must be
byte-identical, and no date the build took from the clock (today in UTC or local time) may
appear anywhere: dates come from the records (the newest "last updated") or, when the user
sets it, ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import struct
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
        env = cli_env(TZ=tz)
        del env["SOURCE_DATE_EPOCH"]
        history = ("--history", base / "history")  # shared: the second build is a rebuild
        result = run_trialpress("build", *records, "--out", out, "--pdf", *history, env=env)
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


def gzip_mtime(path: Path) -> int:
    """The MTIME field of a gzip header (bytes 4-7, little-endian)."""
    return struct.unpack("<I", path.read_bytes()[4:8])[0]


def test_build_date_is_the_newest_record_update(two_builds: tuple[BuiltSite, BuiltSite]) -> None:
    root = two_builds[0].root
    updates = [
        json.loads(p.read_text(encoding="utf-8"))["last_updated"] for p in root.glob("data/*.json")
    ]
    newest = max(u for u in updates if u)
    day = dt.datetime.strptime(newest[:10], "%Y-%m-%d").replace(tzinfo=dt.UTC)
    assert gzip_mtime(root / "sitemap.xml.gz") == int(day.timestamp())
    lastmods = set(re.findall(r"<lastmod>([^<]+)</lastmod>", (root / "sitemap.xml").read_text()))
    assert lastmods <= {newest[:10]}, lastmods


def test_source_date_epoch_is_honoured(tmp_path: Path) -> None:
    env = cli_env()
    out = tmp_path / "site"
    history = ("--history", tmp_path / "history")
    result = run_trialpress("build", EXAMPLES, "--out", out, "--pdf", *history, env=env)
    assert result.returncode == 0, result.stderr[-4000:]
    epoch = int(SOURCE_DATE_EPOCH)
    # MkDocs stamps the sitemap at the day's precision.
    assert gzip_mtime(out / "sitemap.xml.gz") in {epoch, epoch - epoch % 86400}
    from pypdf import PdfReader

    stamp = dt.datetime.fromtimestamp(int(SOURCE_DATE_EPOCH), dt.UTC).strftime("%Y%m%d")
    for pdf in sorted((out / "pdf").glob("*.pdf")):
        nct = pdf.name.split("-")[0]
        data = json.loads((out / "data" / f"{nct}.json").read_text(encoding="utf-8"))
        record_day = (data["last_updated"] or "").replace("-", "")
        meta = PdfReader(pdf).metadata
        assert meta is not None
        created = str(meta.get("/CreationDate", ""))
        # The record's own date, or SOURCE_DATE_EPOCH: never the clock.
        assert not created or created.startswith((f"D:{stamp}", f"D:{record_day}")), created
