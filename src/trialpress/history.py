"""The history store: every version of every trial a build has seen, as plain text files.

Layout (deterministic bytes, so the folder diffs well in git and can be committed)::

    <root>/<NCT>/versions.json      the trial's versions, oldest first: id + record date
    <root>/<NCT>/<id>.json          one version: pretty, key-sorted JSON of the trial

A version is the trial's public JSON without what only this build knows (where the record
file was): the same registry record read from another folder is the same version. Its id
is the start of the SHA-256 of its content (in canonical JSON), so files are
content-addressed and never rewritten; the index only ever grows (append-only). A build
appends a version only when the trial differs from its latest stored one, so an identical
rebuild adds nothing.

The store is a convenience, never a requirement: a missing folder means "no history yet",
and an unreadable index or version file is reported and passed over (and never
overwritten), so history can be lost but can never break a build.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from trialpress import __version__, jsontext
from trialpress.changes import Change, compare, criteria_fingerprint, kinds_of
from trialpress.models import NCT_ID_RE, Trial
from trialpress.store import Store, digest, write_if_changed

log = logging.getLogger("trialpress.history")

#: Default store, relative to the current folder (or to the folder of ``mkdocs.yml``).
DEFAULT_DIR = Path(".trialpress") / "history"
INDEX = "versions.json"
#: Hex digits of a version id: 64 bits, far from any collision among one trial's versions.
ID_LENGTH = 16


def stored_form(trial: Trial) -> dict[str, Any]:
    """The trial as stored: its public JSON without the build-local ``source.path``/``index``."""
    return _local_less(trial.model_dump(mode="json"))


def _local_less(data: dict[str, Any]) -> dict[str, Any]:
    data["source"] = {k: v for k, v in data["source"].items() if k not in ("path", "index")}
    return data


def dump(data: Any) -> bytes:
    """The one serialisation of stored files: pretty, key-sorted, UTF-8, final newline."""
    return (jsontext.pretty(data, sort_keys=True) + "\n").encode()


def version_id(data: dict[str, Any]) -> str:
    """A version's id: the start of the SHA-256 of its canonical JSON (compact, key-sorted:
    the C encoder, a tenth of the cost of pretty printing every trial on every build)."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:ID_LENGTH]


@dataclass(frozen=True)
class Version:
    """One stored (or about to be stored) version of a trial."""

    id: str
    last_updated: str | None
    #: The stored form, or what makes it when first needed (an unchanged trial's current
    #: version is rarely compared, so its JSON is not made on every build).
    source: dict[str, Any] | Callable[[], dict[str, Any]] = field(repr=False, compare=False)
    criteria: str | None = field(default=None, repr=False, compare=False)
    """Its criteria fingerprint, when made before its content was let go (:meth:`released`)."""
    blob: bytes | None = field(default=None, repr=False, compare=False)
    """Its file's bytes (:func:`dump`), compressed: kept for a version still to be stored
    once its content is let go."""

    @cached_property
    def data(self) -> dict[str, Any]:
        """The version as stored."""
        return self.source() if callable(self.source) else self.source

    def content(self) -> bytes:
        """The bytes of its file in the store."""
        return zlib.decompress(self.blob) if self.blob is not None else dump(self.data)

    def __reduce__(self) -> tuple[Any, ...]:
        """Sent to a worker (a page's timeline) with its stored form made (a function that
        makes it cannot be pickled), or, once released, with what pages show of it."""
        if self.criteria is not None:
            gone = partial(_released, self.id)
            return (Version, (self.id, self.last_updated, gone, self.criteria))
        return (Version, (self.id, self.last_updated, self.data))

    @cached_property
    def fingerprint(self) -> str:
        """The criteria fingerprint of this version (see :func:`criteria_fingerprint`)."""
        if self.criteria is not None:
            return self.criteria
        return criteria_fingerprint(self.data.get("eligibility") or {})

    def released(self, reload: Callable[[str], dict[str, Any]], *, keep: bool = False) -> Version:
        """This version without its content in memory: once its changes are made, pages and
        the feed show only its id, date and criteria fingerprint. ``reload(id)`` reads its
        content back from the store if it is asked for again; ``keep``: keep its file's
        bytes, compressed, for a version still to be stored. A build that held every trial's
        stored form until it ended held about 40 MB per 1,000 trials."""
        source = partial(reload, self.id)
        if callable(self.source) and "data" not in self.__dict__:
            # never made (an unchanged trial's known version): its file is in the store
            return Version(self.id, self.last_updated, source)
        blob = zlib.compress(dump(self.data), 1) if keep else None
        return Version(self.id, self.last_updated, source, self.fingerprint, blob)


def _released(vid: str) -> dict[str, Any]:
    raise RuntimeError(f"history: the content of version {vid} was not sent with its page")


@dataclass(frozen=True)
class Step:
    """A version with the changes that led to it from the version before (none for the first)."""

    version: Version
    changes: list[Change]
    first: bool

    @property
    def date(self) -> str | None:
        """The registry's update date of this version."""
        return self.version.last_updated

    @cached_property
    def kinds(self) -> list[str]:
        """Filter kinds of this step's changes (see :data:`changes.FILTER_KINDS`)."""
        return kinds_of(self.changes)


@dataclass(frozen=True)
class Timeline:
    """A trial's versions, oldest first; the last one is the trial as built now."""

    nct_id: str
    steps: list[Step]

    @property
    def latest(self) -> Step:
        """The version this build shows."""
        return self.steps[-1]

    @property
    def changed(self) -> list[Step]:
        """Versions with changes, newest first (what the "What changed" section lists)."""
        return [s for s in reversed(self.steps) if s.changes]

    @property
    def eligibility_changed_latest(self) -> bool:
        """True when the registry's latest update changed eligibility. Versions of the same
        update date count together: a newer trialpress reading more of the same record
        stores a version of its own, with no changes."""
        date = self.latest.date
        for step in reversed(self.steps):
            if step.date != date:
                break
            if "eligibility" in step.kinds:
                return True
        return False

    @cached_property
    def criteria_since(self) -> Step:
        """The version whose criteria the current ones are: the oldest version since which the
        fingerprint has not changed."""
        current = self.latest.version.fingerprint
        since = self.latest
        for step in reversed(self.steps):
            if step.version.fingerprint != current:
                break
            since = step
        return since


@dataclass
class ChangeLog:
    """Every trial's timeline for one build, and the versions the build will store."""

    timelines: dict[str, Timeline] = field(default_factory=dict)
    #: (NCT ID, version) of the versions to append to the store.
    pending: list[tuple[str, Version]] = field(default_factory=list)

    def timeline(self, nct_id: str) -> Timeline | None:
        """One trial's timeline, if it is in this build."""
        return self.timelines.get(nct_id)

    def recent(self) -> list[tuple[str, Step]]:
        """(NCT ID, step) of every version with changes: newest registry date first, then
        by NCT ID and newest version first (a stable order, for pages and the feed)."""
        out = [(nct, step) for nct, tl in self.timelines.items() for step in tl.changed]
        out.sort(key=lambda p: p[0])
        out.sort(key=lambda p: p[1].date or "", reverse=True)
        return out


class HistoryStore:
    """The history folder of one site."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _index_path(self, nct_id: str) -> Path:
        return self.root / nct_id / INDEX

    def version_path(self, nct_id: str, vid: str) -> Path:
        """Where one version's file is."""
        return self.root / nct_id / f"{vid}.json"

    def _load_index(self, nct_id: str) -> list[dict[str, Any]] | None:
        """The stored index entries ([] when there are none), or None when unreadable."""
        path = self._index_path(nct_id)
        if not path.exists():
            return []
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["versions"]
            if data.get("nct_id") != nct_id or not isinstance(entries, list):
                raise ValueError("not this trial's index")
            for e in entries:
                if not isinstance(e, dict) or not isinstance(e.get("id"), str):
                    raise ValueError("an entry has no version id")
            return entries
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("history: %s is unreadable (%s); its history is left as it is", path, exc)
            return None

    def load(self, nct_id: str, current: Version | None = None) -> list[Version] | None:
        """A trial's stored versions, oldest first (None: the index is unreadable).

        A version file that is missing or does not match its id is passed over. When the
        latest stored version is ``current`` (same id: same content), its file is not read
        again: an unchanged trial costs its index, not its whole history."""
        entries = self._load_index(nct_id)
        if entries is None:
            return None
        versions: list[Version] = []
        for i, e in enumerate(entries):
            latest = current is not None and i == len(entries) - 1 and e["id"] == current.id
            if latest and self.version_path(nct_id, e["id"]).is_file():
                assert current is not None
                versions.append(current)
                continue
            path = self.version_path(nct_id, e["id"])
            try:
                data = json.loads(path.read_bytes())
                if not isinstance(data, dict):
                    raise ValueError("not a trial")
                if version_id(data) != e["id"]:
                    raise ValueError("content does not match its id")
            except (OSError, ValueError) as exc:
                log.warning("history: %s is unreadable (%s); version skipped", path, exc)
                continue
            versions.append(Version(e["id"], data.get("last_updated"), data))
        return versions

    def trial_ids(self) -> list[str]:
        """Every NCT ID with stored history, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if NCT_ID_RE.match(p.name))

    def changelog(
        self,
        trials: Iterable[Trial | Seen],
        memo: Store | None = None,
        digests: Mapping[str, str] | None = None,
    ) -> ChangeLog:
        """Each trial compared with its latest stored version: timelines and what to store.

        With ``memo`` (the reuse store), the version id of a trial whose JSON the last build
        saw is taken from there instead of made from its stored form; a version to store
        always has its id and content made afresh. ``digests``: the SHA-256 of each trial's
        model JSON by NCT ID, when the caller has made them (the publish stage does), so
        the trial is not dumped again. Each trial's versions are released
        (:meth:`Version.released`) once compared: the log holds no trial's content."""
        result = ChangeLog()
        ids = _VersionIds(memo)
        for item in trials:
            trial = item if isinstance(item, Seen) else Seen.of(item)
            known = digests.get(trial.nct_id) if digests is not None else None
            name, current = ids.version(trial, known)
            stored = self.load(trial.nct_id, current)
            versions = list(stored or [])
            reload = partial(self._read_version, trial.nct_id)
            if not versions or versions[-1].id != current.id:
                if callable(current.source):  # its id came from the memo: make it afresh
                    current = _current(trial)
                if not versions or versions[-1].id != current.id:
                    versions.append(current)
                    if stored is not None:
                        result.pending.append((trial.nct_id, current.released(reload, keep=True)))
            ids.seen(name, current.id)
            steps = timeline(trial.nct_id, versions).steps
            released = [replace(s, version=s.version.released(reload)) for s in steps]
            result.timelines[trial.nct_id] = Timeline(trial.nct_id, released)
        ids.save()
        return result

    def _read_version(self, nct_id: str, vid: str) -> dict[str, Any]:
        """A stored version's content, read back (a released version asked for it)."""
        data: dict[str, Any] = json.loads(self.version_path(nct_id, vid).read_bytes())
        return data

    def commit(self, changelog: ChangeLog) -> int:
        """Append the pending versions; returns how many were stored.

        Under a lock file, and re-reading each index first, so two builds sharing a
        store never lose or duplicate a version."""
        if not changelog.pending:
            return 0
        self.root.mkdir(parents=True, exist_ok=True)
        stored = 0
        with _locked(self.root / ".lock"):
            for nct_id, version in changelog.pending:
                entries = self._load_index(nct_id)
                if entries is None or (entries and entries[-1]["id"] == version.id):
                    continue
                write_if_changed(self.version_path(nct_id, version.id), version.content())
                entries.append({"id": version.id, "last_updated": version.last_updated})
                index = {"nct_id": nct_id, "versions": entries}
                write_if_changed(self._index_path(nct_id), dump(index))
                stored += 1
        return stored


@dataclass(frozen=True)
class Seen:
    """What history needs of one trial: its NCT ID, record date and model JSON, or the
    whole trial (a site build passes the JSON of its shelved trials, never making them)."""

    nct_id: str
    last_updated: str | None
    record: Trial | str
    """The trial, or its ``model_dump_json()``."""

    @classmethod
    def of(cls, trial: Trial) -> Seen:
        """What history needs of a whole trial."""
        return cls(trial.nct_id, trial.last_updated, trial)

    @property
    def json(self) -> str:
        """The trial's ``model_dump_json()``."""
        return self.record if isinstance(self.record, str) else self.record.model_dump_json()

    def stored_form(self) -> dict[str, Any]:
        """:func:`stored_form` of the trial (from its JSON: the same dict)."""
        if not isinstance(self.record, str):
            return stored_form(self.record)
        data: dict[str, Any] = json.loads(self.record)
        return _local_less(data)


def _current(trial: Seen) -> Version:
    """The trial as the version this build would store, its id made from its content."""
    data = trial.stored_form()
    return Version(version_id(data), trial.last_updated, data)


class _VersionIds:
    """Version ids of the last build's trials, by the SHA-256 of each trial's model JSON (one
    store entry): an unchanged trial then costs its JSON, not its stored form and the
    canonical JSON of it."""

    def __init__(self, store: Store | None) -> None:
        self._store = store
        self._key = digest("history-version-ids", __version__, ID_LENGTH)
        self._before: dict[str, str] = {}
        self._now: dict[str, str] = {}
        payload = store.get(self._key) if store is not None else None
        try:
            loaded = json.loads(payload) if payload is not None else {}
        except ValueError:
            loaded = {}
        if isinstance(loaded, dict):
            self._before = {k: v for k, v in loaded.items() if isinstance(v, str)}

    @staticmethod
    def _name(trial: Seen | Trial) -> str:
        text = trial.json if isinstance(trial, Seen) else trial.model_dump_json()
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def version(self, trial: Seen, name: str | None = None) -> tuple[str, Version]:
        """The trial's name here (``name``: already made by the caller) and its current
        version (its stored form made only when it is used, if its id is known)."""
        if self._store is None:
            return "", _current(trial)
        name = name or self._name(trial)
        known = self._before.get(name)
        if known is None:
            return name, _current(trial)
        return name, Version(known, trial.last_updated, trial.stored_form)

    def seen(self, name: str, version: str) -> None:
        """Record the id the build settled on for the trial ``name``."""
        if self._store is not None:
            self._now[name] = version

    def save(self) -> None:
        """Keep this build's ids (and only them) for the next build."""
        if self._store is not None:
            blob = json.dumps(self._now, sort_keys=True).encode("utf-8")
            self._store.put(self._key, blob)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def timeline(nct_id: str, versions: Sequence[Version]) -> Timeline:
    """Versions (oldest first) with the changes between each and the one before."""
    steps: list[Step] = []
    for i, version in enumerate(versions):
        changes = compare(versions[i - 1].data, version.data) if i else []
        steps.append(Step(version, changes, first=i == 0))
    return Timeline(nct_id, steps)
