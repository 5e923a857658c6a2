"""Readers: one module per input format, chosen by content, never by file extension.

Each reader module exposes ``NAME``, ``detect(text) -> bool`` and
``read(text, path) -> list[Trial | RecordError]``: one entry per record in the file, so a
bad study inside a multi-study file does not hide the good ones. A reader raises
:class:`RecordError` when the file as a whole is unreadable (for example invalid JSON).
``read_paths`` expands directories and yields trials and errors in file order, so one bad
file never stops the others (as pelican's readers do).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from trialpress import __version__, heap
from trialpress.corpus import Shelved
from trialpress.errors import RecordError
from trialpress.executor import default_jobs, run_tasks
from trialpress.facts import extract_facts
from trialpress.models import ReadWarning, Trial
from trialpress.progress import NULL, Reporter
from trialpress.stopping import checkpoint
from trialpress.store import Store, digest

T = TypeVar("T")

_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")

#: Files larger than this are refused before reading: no real record comes close.
MAX_RECORD_BYTES = 64 * 1024 * 1024


class Reader(Protocol):
    """What a reader module provides."""

    NAME: str

    def detect(self, text: str) -> bool: ...

    def read(self, text: str, path: str) -> list[Trial | RecordError]: ...


def _readers() -> list[Reader]:
    from trialpress.readers import ctgov_json, ctgov_xml, registry_text

    # The most specific signature first: a registry page whose title starts with "[" (for
    # example "[18F]FDG PET ...") or "<" must not be taken for JSON or XML.
    return [registry_text, ctgov_xml, ctgov_json]


def decode(data: bytes, path: str, warnings: list[ReadWarning] | None = None) -> str:
    """Bytes to text: UTF-8 (with or without BOM); line ends normalised to LF.

    Text that is not UTF-8 is refused, unless the caller passes ``warnings``: then it is
    read as Windows-1252 (Latin-1's superset, what old exports use) and a ``not-utf8``
    warning names the first bad byte, so the record still builds and the user knows.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise RecordError("UTF-16 text; save the record as UTF-8", path, 1)
    if b"\x00" in data[:4096]:
        raise RecordError("binary file, not a trial record", path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        where = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        if warnings is None:
            raise RecordError(
                f"not UTF-8 text ({where}); save the record as UTF-8", path, line
            ) from None
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        warnings.append(
            ReadWarning(
                code="not-utf8",
                message=f"not UTF-8 ({where}): read as Windows-1252; check accented letters",
                line=line,
            )
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect_format(text: str) -> Reader | None:
    """The reader whose ``detect`` accepts this text, if any."""
    return next((r for r in _readers() if r.detect(text)), None)


def read_text(text: str, path: str) -> list[Trial | RecordError]:
    """Read all records in ``text`` (already decoded); raises RecordError if none can be."""
    if not text.strip():
        raise RecordError("empty file", path)
    # decode() never yields these, but a caller's str can (surrogateescape): they could not
    # be written out as UTF-8 later, so refuse them here with the line.
    bad = _LONE_SURROGATE_RE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise RecordError("text is not valid Unicode (a lone surrogate code point)", path, line)
    reader = detect_format(text)
    if reader is None:
        raise RecordError(
            "not a recognised trial record (expected registry page text, "
            "ClinicalTrials.gov API v2 JSON or legacy ClinicalTrials.gov XML)",
            path,
            1,
        )
    results = reader.read(text, path)
    for result in results:
        if isinstance(result, Trial):
            # One post-read step for every reader, so every caller gets the facts.
            result.eligibility.facts = extract_facts(result.eligibility)
    return results


def _load(p: Path) -> bytes:
    """The bytes of one record file; RecordError naming the file when it cannot be read."""
    try:
        if p.exists() and not p.is_file() and not p.is_dir():
            # A FIFO or device (/dev/zero) would block or never end.
            raise RecordError("not a regular file", p)
        size = p.stat().st_size
        if size > MAX_RECORD_BYTES:
            raise RecordError(f"file is {size} bytes, more than the {MAX_RECORD_BYTES} allowed", p)
        return p.read_bytes()
    except FileNotFoundError:
        raise RecordError("no such file", p) from None
    except IsADirectoryError:
        raise RecordError("is a directory", p) from None
    except PermissionError:
        raise RecordError("permission denied", p) from None
    except OSError as exc:
        raise RecordError(f"cannot read file: {exc.strerror or exc}", p) from None


def _parse(data: bytes, p: Path) -> list[Trial | RecordError]:
    warnings: list[ReadWarning] = []
    results = read_text(decode(data, str(p), warnings), str(p))
    for result in results:
        if isinstance(result, Trial):
            result.warnings[:0] = warnings
    return results


def read_file(path: str | Path, store: Store | None = None) -> list[Trial | RecordError]:
    """Read one file; raises RecordError naming the file when it cannot be read at all.

    With a ``store``, a file whose bytes (and path, and trialpress version) were read before
    costs a hash: its trials come back from their stored JSON. Files with a record error
    are always read again, so the error is reported every time.
    """
    p = Path(path)
    data = _load(p)
    key = _record_key(p, data)
    stored = _stored(store, key)
    return stored if stored is not None else _parse_and_store(data, p, store, key)


def _record_key(p: Path, data: bytes) -> str:
    return digest("record", __version__, str(p), hashlib.sha256(data).hexdigest())


def _stored(store: Store | None, key: str) -> list[Trial | RecordError] | None:
    cached = store.get(key) if store is not None else None
    if cached is None:
        return None
    return [Trial.model_validate_json(t) for t in json.loads(cached)]


def _parse_and_store(
    data: bytes, p: Path, store: Store | None, key: str
) -> list[Trial | RecordError]:
    results = _parse(data, p)
    if store is not None and all(isinstance(r, Trial) for r in results):
        blob = json.dumps([r.model_dump_json() for r in results if isinstance(r, Trial)])
        store.put(key, blob.encode("utf-8"))
    return results


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, plus every file under named directories (hidden ones skipped), sorted."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found: list[Path] = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(root) / f for f in files if not f.startswith("."))
            out.extend(sorted(found))
        else:
            out.append(p)
    return out


def read_paths(paths: Iterable[str | Path]) -> Iterator[Trial | RecordError]:
    """Every trial, or the error that stopped a record, file by file (directories expanded)."""
    for p in expand_paths(paths):
        try:
            yield from read_file(p)
        except RecordError as exc:
            yield exc


def read_records(
    paths: Sequence[str | Path],
    reporter: Reporter = NULL,
    on_result: Callable[[Trial | RecordError], None] | None = None,
    store: Store | None = None,
    *,
    jobs: int | None = 1,
    executor: str | None = None,
) -> tuple[list[Trial], list[RecordError]]:
    """Every trial and every record error under ``paths``, in file order, one progress step
    per file; ``on_result`` sees each as it comes (the CLI prints errors at once). A stop
    signal ends the loop between files (:func:`trialpress.stopping.checkpoint`).

    Files the ``store`` does not have are parsed on ``jobs`` worker processes (None: all
    cores) or the Dask cluster ``executor``, in batches of :data:`READ_BATCH` (fewer files
    are read here); the results are the same."""
    return _read_all(paths, reporter, on_result, store, jobs, executor, _whole)


def read_shelved(
    paths: Sequence[str | Path],
    reporter: Reporter = NULL,
    on_result: Callable[[Trial | RecordError], None] | None = None,
    store: Store | None = None,
    *,
    jobs: int | None = 1,
    executor: str | None = None,
) -> tuple[list[Shelved], list[RecordError]]:
    """:func:`read_records`, each trial shelved as it is read (its summary and compressed
    JSON, :class:`~trialpress.corpus.Shelved`): what a site build keeps, so that it never
    holds every whole trial at once (about 140 MB per 1,000 trials)."""
    return _read_all(paths, reporter, on_result, store, jobs, executor, Shelved.of)


def _whole(trial: Trial, text: str | None = None) -> Trial:
    return trial


def _read_all(
    paths: Sequence[str | Path],
    reporter: Reporter,
    on_result: Callable[[Trial | RecordError], None] | None,
    store: Store | None,
    jobs: int | None,
    executor: str | None,
    keep: Callable[[Trial, str | None], T],
) -> tuple[list[T], list[RecordError]]:
    """The read loop of :func:`read_records`; each trial is kept as ``keep(trial, its JSON
    when at hand)`` makes it."""
    files = expand_paths(paths)
    stage = reporter.stage("Reading records", len(files))
    trials: list[T] = []
    errors: list[RecordError] = []
    done: dict[int, list[Trial | RecordError]] = {}
    texts: dict[int, list[str | RecordError]] = {}
    todo: list[tuple[int, Path]] = []
    emitted = 0

    def emit() -> None:  # in file order, as far as files are done
        nonlocal emitted
        while emitted in done:
            results, sent = done.pop(emitted), texts.pop(emitted, None)
            for n, result in enumerate(results):
                if isinstance(result, RecordError):
                    errors.append(result)
                else:
                    text = sent[n] if sent is not None else None
                    trials.append(keep(result, text if isinstance(text, str) else None))
                if on_result is not None:
                    on_result(result)
            stage.advance()
            emitted += 1

    parallel = executor is not None or ((jobs or default_jobs()) > 1 and len(files) > READ_BATCH)
    # Stored records are validated into trials that live until the build ends: no
    # collector passes over them meanwhile (see trialpress.heap).
    with heap.long_lived():
        for i, path in enumerate(files):
            checkpoint()
            try:
                if not parallel:
                    done[i] = read_file(path, store)
                else:
                    key = None if store is None else _record_key(path, _load(path))
                    stored = None if key is None else _stored(store, key)
                    if stored is None:
                        todo.append((i, path))
                        continue
                    done[i] = stored
            except RecordError as exc:
                done[i] = [exc]
            emit()
        batches = [todo[n : n + READ_BATCH] for n in range(0, len(todo), READ_BATCH)]
        root = store.root.absolute() if store is not None and store.root is not None else None
        with run_tasks(
            _read_batch,
            [([(str(p), str(p.absolute())) for _, p in batch], root) for batch in batches],
            jobs=jobs,
            address=executor,
            preload=["trialpress.readers"],
        ) as outcomes:
            for n, outcome in outcomes:
                for (i, _), results in zip(batches[n], outcome.result(), strict=True):
                    texts[i] = results
                    done[i] = [
                        Trial.model_validate_json(r) if isinstance(r, str) else r for r in results
                    ]
                emit()
                checkpoint()
    return trials, errors


#: Files per task when records are parsed in worker processes.
READ_BATCH = 50


def _read_batch(paths: list[tuple[str, str]], store: Path | None) -> list[list[str | RecordError]]:
    """Parse files (each as named, and its absolute path) in a worker; each file's trials
    come back as JSON (validating JSON is several times cheaper than parsing a record),
    stored for the next build as usual. Records name their files as the user did."""
    out: list[list[str | RecordError]] = []
    for named, absolute in paths:
        p = Path(named)
        try:
            try:
                data = _load(Path(absolute))
            except RecordError as exc:
                raise RecordError(exc.message, named, exc.line) from None
            results = _parse_and_store(data, p, Store(store), _record_key(p, data))
        except RecordError as exc:
            results = [exc]
        out.append([r.model_dump_json() if isinstance(r, Trial) else r for r in results])
    return out
