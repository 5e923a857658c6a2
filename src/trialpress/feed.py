"""The Atom 1.0 feed of recent changes (``changes/feed.xml``, RFC 4287).

Written by hand rather than with a feed library: feed libraries stamp the clock into
``<updated>`` and add a generator element, and this feed must be byte-identical for the
same history. Every date comes from the records (a version's registry update date); an
entry's id is derived from the trial and the version's content hash, so it never changes
once published. Record text is escaped for XML and stripped of characters XML 1.0 cannot
carry.
"""

from __future__ import annotations

import re
import uuid
from xml.sax.saxutils import escape, quoteattr

from trialpress.corpus import Corpus
from trialpress.escaping import clean
from trialpress.history import ChangeLog
from trialpress.layout import FEED, Layout

#: The newest entries the feed carries (the recent-changes page has them all).
MAX_ENTRIES = 200
#: Namespace of entry and feed ids (urn:uuid, version 5): stable across builds and hosts.
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/trialpress/trialpress#changes")
#: Characters XML 1.0 does not allow even as references (after :func:`clean`).
_NOT_XML = re.compile("[\ufffe\uffff]")
#: The date of a feed with no dated record at all: fixed, never the clock.
EPOCH = "1970-01-01T00:00:00Z"
#: An empty sitemap beside the feed (``layout.FEED_SITEMAP``). Material for MkDocs takes
#: every ``<link rel="alternate">`` for another language of the site and fetches
#: ``sitemap.xml`` from its folder; without it every page logs a 404 in the console.
EMPTY_SITEMAP = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>\n'
)


def _text(value: object) -> str:
    return escape(_NOT_XML.sub("\ufffd", clean(value)))


def _attr(value: object) -> str:
    return quoteattr(_NOT_XML.sub("\ufffd", clean(value)))


def atom_date(date: str | None) -> str | None:
    """A record date (``2024``, ``2024-12``, ``2024-12-31``) as an RFC 3339 timestamp."""
    if not date:
        return None
    parts = [*date.split("-"), "01", "01"][:3]
    return f"{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z"


def entry_id(nct_id: str, version_id: str) -> str:
    """The permanent id of the entry announcing one version of one trial."""
    return f"urn:uuid:{uuid.uuid5(_NS, f'{nct_id}/{version_id}')}"


def atom_feed(
    changes: ChangeLog,
    corpus: Corpus,
    *,
    title: str,
    site_url: str | None = None,
    use_directory_urls: bool = True,
) -> bytes:
    """The feed's bytes: one entry per trial version with changes, newest first."""
    base = site_url.rstrip("/") + "/" if site_url else "../"

    layout = Layout(use_directory_urls, site_url)

    def link(src: str) -> str:
        return base + layout.url(src)

    recent = changes.recent()[:MAX_ENTRIES]
    dated = [atom_date(step.date) for _, step in recent]
    newest = max((d for d in dated if d), default=None)
    if newest is None:
        newest = atom_date(
            max((t.last_updated or "" for t in corpus.summaries.values()), default="")
        )
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>urn:uuid:{uuid.uuid5(_NS, site_url or 'feed')}</id>",
        f"  <title>{_text(title)}: recent changes</title>",
        f"  <updated>{newest or EPOCH}</updated>",
        f"  <author><name>{_text(title)}</name></author>",
        f'  <link rel="alternate" type="text/html" href={_attr(link(Layout.changes_src()))}/>',
    ]
    if site_url:
        lines.append(f'  <link rel="self" href={_attr(base + FEED)}/>')
    for (nct_id, step), date in zip(recent, dated, strict=True):
        trial = corpus.summaries[nct_id]
        kinds = ", ".join(sorted({c.kind for c in step.changes}))
        content = "\n".join(c.text for c in step.changes)
        href = _attr(link(Layout.trial_src(nct_id)))
        lines += [
            "  <entry>",
            f"    <id>{entry_id(nct_id, step.version.id)}</id>",
            f"    <title>{_text(f'{nct_id}: {trial.title}')} ({_text(kinds)})</title>",
            f"    <updated>{date or newest or EPOCH}</updated>",
            f'    <link rel="alternate" type="text/html" href={href}/>',
            f'    <content type="text">{_text(content)}</content>',
            "  </entry>",
        ]
    lines.append("</feed>")
    return ("\n".join(lines) + "\n").encode("utf-8")
