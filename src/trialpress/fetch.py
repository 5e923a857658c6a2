"""Download ClinicalTrials.gov API v2 study records, politely and safely.

One :class:`Fetcher` holds one HTTP connection pool. For each NCT ID it waits out the rate
limit, requests ``<base>/studies/<NCT>``, retries with exponential backoff (honouring
``Retry-After``) on HTTP 429, 5xx and connection errors, checks that the answer is that
study, and writes it to ``<out>/<NCT>.json`` through a temporary file and a rename, so a
record on disk is always complete. Every failure is a :class:`FetchError` naming the NCT ID.

Waiting goes through injectable ``sleep``/``clock`` functions and the delays come from
:class:`FetchOptions` (environment ``TRIALPRESS_FETCH_BACKOFF`` / ``TRIALPRESS_FETCH_INTERVAL``),
so tests run the real code path against a local server on a clock that only records waits.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from trialpress import __version__
from trialpress.errors import FetchError, RecordError

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
NCT_RE = re.compile(r"^NCT\d{8}$")
#: HTTP statuses worth another try: rate limiting and server-side trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchOptions:
    """How to talk to the registry.

    ``interval`` spaces requests out (ClinicalTrials.gov asks for about 50 a minute at most);
    ``backoff`` is the first retry delay, doubled on each further retry up to ``max_wait``,
    which also caps a server's ``Retry-After``.
    """

    base_url: str = DEFAULT_BASE_URL
    timeout: float = 30.0
    retries: int = 4
    backoff: float = 2.0
    max_wait: float = 60.0
    interval: float = 1.2

    @classmethod
    def from_env(cls, *, base_url: str | None = None, **kwargs: Any) -> FetchOptions:
        """Options with the base URL and delays taken from the environment when set."""
        url = base_url or os.environ.get("TRIALPRESS_API_URL") or DEFAULT_BASE_URL
        defaults = cls()
        backoff = _env_seconds("TRIALPRESS_FETCH_BACKOFF", defaults.backoff)
        interval = _env_seconds("TRIALPRESS_FETCH_INTERVAL", defaults.interval)
        return cls(base_url=url.rstrip("/"), backoff=backoff, interval=interval, **kwargs)


def _env_seconds(name: str, default: float) -> float:
    """A delay from the environment, or the default when unset."""
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise FetchError(f"{name} must be a number of seconds, got {raw!r}") from None


@dataclass(frozen=True)
class Outcome:
    """What happened to one NCT ID: written, skipped (already present) or failed."""

    nct_id: str
    path: Path | None = None
    skipped: bool = False
    error: FetchError | None = None


def check_nct_id(raw: str) -> str:
    """The NCT ID in canonical form (upper case), or a FetchError saying what is wrong."""
    nct = raw.strip().upper()
    if not NCT_RE.match(nct):
        raise FetchError("not an NCT ID (expected NCT followed by 8 digits)", raw)
    return nct


def _reason(exc: httpx.TransportError) -> str:
    """A short lower-case reason: ``connection refused``, ``timed out``, ..."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        cause = cause.__cause__ or cause.__context__
    text = str(exc) or type(exc).__name__
    match = re.search(r"\[Errno [-\d]+\] (.+)$", text)
    return (match.group(1) if match else text).lower()


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait (delta-seconds or an HTTP date), if it said."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def check_study(body: bytes, nct: str) -> None:
    """Raise FetchError unless ``body`` is the API v2 JSON of study ``nct``."""
    try:
        text = body.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FetchError(f"response is not JSON ({exc})", nct) from None
    try:
        got = data["protocolSection"]["identificationModule"]["nctId"]
    except (KeyError, TypeError):
        raise FetchError("response is not an API v2 study record", nct) from None
    if got != nct:
        raise FetchError(f"response is the study {got}, not the one asked for", nct)
    from trialpress.readers import ctgov_json

    try:
        results = ctgov_json.read(text, f"{nct}.json")
    except RecordError as exc:
        raise FetchError(f"response is not a readable study: {exc.message}", nct) from None
    problems = [r for r in results if isinstance(r, RecordError)]
    if problems:
        raise FetchError(f"response is not a readable study: {problems[0].message}", nct)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Fetcher:
    """Downloads studies one after another through one HTTP client."""

    def __init__(
        self,
        options: FetchOptions | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ):
        self.options = options or FetchOptions()
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None
        #: Set once the registry could not be reached even after retries: the remaining IDs
        #: fail at once with the same reason instead of each waiting through the backoff.
        self._unreachable: str | None = None
        self._host = httpx.URL(self.options.base_url).netloc.decode("ascii") or "the registry"
        self._client = httpx.Client(
            timeout=self.options.timeout,
            transport=transport,
            headers={
                "Accept": "application/json",
                "User-Agent": f"trialpress/{__version__}",
            },
            follow_redirects=True,
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _wait_turn(self) -> None:
        """Keep at least ``interval`` seconds between the starts of two requests."""
        if self._last_request is not None:
            left = self.options.interval - (self._clock() - self._last_request)
            if left > 0:
                self._sleep(left)
        self._last_request = self._clock()

    def _backoff(self, attempt: int, asked: float | None) -> float:
        """Exponential backoff with a little jitter; a server's Retry-After wins if longer."""
        delay = self.options.backoff * (2**attempt) * (1 + random.random() / 10)
        if asked is not None:
            delay = max(delay, asked)
        return float(min(delay, self.options.max_wait))

    def download(self, nct: str) -> bytes:
        """The study's JSON bytes as the registry sent them (checked to be that study)."""
        if self._unreachable is not None:
            raise FetchError(self._unreachable, nct)
        url = f"{self.options.base_url}/studies/{nct}"
        attempt = 0
        while True:
            self._wait_turn()
            try:
                response = self._client.get(url)
            except httpx.TransportError as exc:
                if attempt < self.options.retries:
                    self._sleep(self._backoff(attempt, None))
                    attempt += 1
                    continue
                self._unreachable = f"cannot reach {self._host}: {_reason(exc)}"
                raise FetchError(self._unreachable, nct) from None
            status = response.status_code
            if status == 200:
                check_study(response.content, nct)
                return response.content
            if status in RETRY_STATUSES and attempt < self.options.retries:
                self._sleep(self._backoff(attempt, _retry_after(response)))
                attempt += 1
                continue
            raise FetchError(self._http_error(response, attempt), nct)

    def _http_error(self, response: httpx.Response, attempt: int) -> str:
        status = response.status_code
        if status == 404:
            return f"no such study on {self._host} (HTTP 404)"
        tries = f" after {attempt + 1} tries" if attempt else ""
        if status == 429:
            return f"rate limited by {self._host} (HTTP 429){tries}; try again later"
        phrase = response.reason_phrase or "error"
        return f"{self._host} answered HTTP {status} {phrase}{tries}"

    def fetch_one(self, raw_id: str, out_dir: str | Path, *, refresh: bool = False) -> Outcome:
        """Download one study into ``out_dir`` unless it is there already."""
        try:
            nct = check_nct_id(raw_id)
        except FetchError as exc:
            return Outcome(raw_id, error=exc)
        path = Path(out_dir) / f"{nct}.json"
        if path.exists() and not refresh:
            return Outcome(nct, path, skipped=True)
        try:
            body = self.download(nct)
            write_atomic(path, body)
        except FetchError as exc:
            return Outcome(nct, error=exc)
        except OSError as exc:
            return Outcome(nct, error=FetchError(f"cannot write: {exc.strerror or exc}", path))
        return Outcome(nct, path)

    def fetch_all(
        self, nct_ids: Iterable[str], out_dir: str | Path, *, refresh: bool = False
    ) -> Iterator[Outcome]:
        """One outcome per ID, in order; a failure never stops the others."""
        for raw in nct_ids:
            yield self.fetch_one(raw, out_dir, refresh=refresh)
