"""A content-addressed store of build products, kept between runs (a CI cache).

Entries are keyed by a digest of what they are made of; an unchanged input then costs a
hash and a read. Each entry names its key and the SHA-256 of its payload, so a corrupt or
foreign entry is detected, made again and never published.
"""

from __future__ import annotations

import errno
import filecmp
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder and rename: never a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_MAGIC = b"trialpress-cache 1"


class Store:
    """Content-addressed entries under ``root/<key[:2]>/<key>``.

    An entry is one line ``trialpress-cache 1 <key> <sha256 of payload>`` and the payload.
    :meth:`get` returns the payload only when the header names the key asked for and the
    payload's checksum matches: a truncated, edited or foreign file is a miss (counted in
    :attr:`corrupt`) and is overwritten by the next :meth:`put`.
    """

    def __init__(self, root: Path | None) -> None:
        self.root = Path(root) if root is not None else None
        #: Keys whose entry was present but damaged or foreign in this run.
        self.corrupt: list[str] = []

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / key

    def get(self, key: str) -> bytes | None:
        """The payload stored under ``key``, if intact."""
        if self.root is None:
            return None
        try:
            blob = self._path(key).read_bytes()
        except OSError:
            return None
        header, sep, payload = blob.partition(b"\n")
        expected = b" ".join((_MAGIC, key.encode(), hashlib.sha256(payload).hexdigest().encode()))
        if not sep or header != expected:
            self.corrupt.append(key)
            return None
        return payload

    def put(self, key: str, payload: bytes) -> None:
        """Store ``payload`` under ``key`` (atomically: a reader never sees half an entry)."""
        if self.root is None:
            return
        header = b" ".join((_MAGIC, key.encode(), hashlib.sha256(payload).hexdigest().encode()))
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_if_changed(path, header + b"\n" + payload)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write atomically unless the file already holds ``data``.

    The one writer of generated files: a failed or interrupted build never leaves half a
    file, and unchanged files keep their time stamps (``mkdocs serve`` reloads less).
    """
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)
    return True


def write_chunks_if_changed(path: Path, chunks: Iterable[bytes]) -> bool:
    """:func:`write_if_changed` for a file made piece by piece (the FHIR Bundle of every
    trial: hundreds of megabytes at 10,000 trials, never held whole): written to a temporary
    file beside ``path``, which replaces it only when the bytes differ."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
        if path.is_file() and filecmp.cmp(tmp, path, shallow=False):
            Path(tmp).unlink()
            return False
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def digest(*parts: object) -> str:
    """SHA-256 of JSON-encoded parts: the one way keys are made."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def link_or_copy(src: Path, dest: Path) -> None:
    """Place ``src`` at ``dest`` as a hard link, or a copy where links cannot be made (another
    file system, a file system without them). Only for files that are replaced, never
    changed in place (see :func:`write_atomic`): the two names share one file."""
    try:
        try:
            os.link(src, dest)  # thousands of files: try first, make folders when needed
        except FileNotFoundError:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(src, dest)
        except FileExistsError:
            dest.unlink()
            os.link(src, dest)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        dest.unlink(missing_ok=True)
        shutil.copyfile(src, dest)


class PageFiles:
    """Built pages kept as files in a working folder, with a manifest of the key each was
    made from and its size and modification time: a page still in place for the same key
    is used as it is, without reading it from the store again. A file that is missing or
    whose size or time changed since it was written is made again."""

    MANIFEST = ".manifest.json"

    def __init__(self, root: Path, manifest: str = MANIFEST) -> None:
        self.root = root
        self._manifest = manifest
        self._before: dict[str, list[object]] = {}
        self._now: dict[str, list[object]] = {}
        try:
            data = json.loads((root / manifest).read_bytes())
            if isinstance(data, dict):
                self._before = data
        except (OSError, ValueError):
            pass

    def path(self, name: str, key: str) -> Path | None:
        """The file of ``name`` if it holds what ``key`` makes, else None."""
        path = self.root / name
        recorded = self._before.get(name)
        if not isinstance(recorded, list) or len(recorded) != 3 or recorded[0] != key:
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        if [st.st_size, st.st_mtime_ns] != recorded[1:]:
            return None
        self._now[name] = recorded
        return path

    def record(self, name: str, key: str) -> None:
        """Record that the file of ``name`` (just written or checked) holds what ``key``
        makes."""
        st = (self.root / name).stat()
        self._now[name] = [key, st.st_size, st.st_mtime_ns]

    def put(self, name: str, key: str, data: bytes) -> Path:
        """Write ``data`` as the page ``name`` made from ``key``; its path."""
        self.write(name, data)
        return self.adopt(name, key)

    def write(self, name: str, data: bytes) -> None:
        """Write the page ``name`` (atomically), not yet recorded: a worker process writes
        pages, the process that saves the manifest records them with :meth:`adopt`."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)

    def adopt(self, name: str, key: str) -> Path:
        """Record the page ``name``, just written, as made from ``key``; its path."""
        path = self.root / name
        st = path.stat()
        self._now[name] = [key, st.st_size, st.st_mtime_ns]
        return path

    def save(self, *, remove: bool = True) -> None:
        """Record this build's pages; remove the files of pages it no longer has (unless
        ``remove`` is False: another part of the build owns what is removed)."""
        for name in set(self._before) - set(self._now) if remove else ():
            path = self.root / name
            if self.root.resolve() in path.resolve().parents:
                path.unlink(missing_ok=True)
        blob = json.dumps(self._now, sort_keys=True).encode("utf-8")
        self.root.mkdir(parents=True, exist_ok=True)
        write_if_changed(self.root / self._manifest, blob)
