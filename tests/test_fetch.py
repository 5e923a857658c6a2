"""``trialpress fetch`` against a real HTTP server on 127.0.0.1 serving recorded responses.

The response bodies are built at test time from real studies in the shared data (never
copied into the repository). Through the CLI, delays are shortened with the environment
variables the fetcher reads. Waiting itself (rate limit, backoff, Retry-After) is tested on
a :class:`Fetcher` given an injected clock whose sleeps are recorded and return at once:
no test measures or waits out wall-clock time.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import v2_studies
from trialpress.cli import cli
from trialpress.fetch import Fetcher, FetchOptions

FAST = {"TRIALPRESS_FETCH_BACKOFF": "0.01", "TRIALPRESS_FETCH_INTERVAL": "0"}


@dataclass
class Clock:
    """A clock for the fetcher: ``sleep`` is recorded and moves the time on at once."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Reply:
    """One recorded response; ``takes`` is how long the server pretends to work on it."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    takes: float = 0.0


@dataclass
class Recorder:
    """Replies per path (served in order, the last one repeated) and the requests seen,
    each with the time on ``clock`` when it arrived."""

    routes: dict[str, list[Reply]] = field(default_factory=dict)
    seen: list[tuple[str, float]] = field(default_factory=list)
    clock: Clock = field(default_factory=Clock)
    url: str = ""
    host: str = ""

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.seen if p == path)

    def times(self, path: str) -> list[float]:
        return [t for p, t in self.seen if p == path]


def _handler(rec: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            rec.seen.append((path, rec.clock()))
            replies = rec.routes.get(path)
            if not replies:
                reply = Reply(404, b'{"message": "not found"}')
            else:
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
            rec.clock.now += reply.takes
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test asserts on the recorder instead."""

    return Handler


@contextmanager
def serve() -> Iterator[Recorder]:
    """A real HTTP server on 127.0.0.1 (random port) in a thread, for the test's duration."""
    rec = Recorder()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    port = httpd.server_address[1]
    rec.host = f"127.0.0.1:{port}"
    rec.url = f"http://{rec.host}/api/v2"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def server() -> Iterator[Recorder]:
    with serve() as rec:
        yield rec


def two_studies() -> list[tuple[str, bytes]]:
    """Two real studies as the API would send them: (NCT ID, JSON bytes)."""
    picked = v2_studies()[:2]
    return [(nct, json.dumps(study, ensure_ascii=False).encode()) for nct, study in picked]


@pytest.fixture(scope="module")
def studies(shared: Path) -> list[tuple[str, bytes]]:
    return two_studies()


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={**FAST, **(env or {})})


def fetch(server: Recorder, out: Path, *ncts: str, extra: tuple[str, ...] = ()) -> Result:
    return run("fetch", *ncts, "--out", str(out), "--base-url", server.url, *extra)


def clocked(url: str, clock: Clock, **options: Any) -> Fetcher:
    """A fetcher of ``url`` that waits on ``clock`` (options as FetchOptions takes them)."""
    return Fetcher(FetchOptions(base_url=url, **options), sleep=clock.sleep, clock=clock)


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def no_temp_files(out: Path) -> bool:
    return not [p for p in out.iterdir() if p.name.startswith(".")] if out.exists() else True


def test_success_writes_the_record_as_served(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    nct, body = studies[0]
    server.routes[f"/api/v2/studies/{nct}"] = [Reply(200, body)]
    result = fetch(server, tmp_path / "out", nct)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out" / f"{nct}.json").read_bytes() == body
    assert errors(result) == []
    assert result.stderr.startswith("Fetched 1 trial, 0 failures in ")
    assert no_temp_files(tmp_path / "out")


def test_present_records_are_skipped_unless_refresh(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    nct, body = studies[0]
    path = f"/api/v2/studies/{nct}"
    server.routes[path] = [Reply(200, body)]
    out = tmp_path / "out"
    out.mkdir()
    (out / f"{nct}.json").write_text("old", encoding="utf-8")
    result = fetch(server, out, nct)
    assert result.exit_code == 0
    assert server.count(path) == 0
    assert (out / f"{nct}.json").read_text(encoding="utf-8") == "old"
    assert "1 skipped (already present)" in result.stderr
    result = fetch(server, out, nct, extra=("--refresh",))
    assert result.exit_code == 0
    assert server.count(path) == 1
    assert (out / f"{nct}.json").read_bytes() == body


def test_404_is_a_clear_error_and_others_still_fetched(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    nct, body = studies[0]
    server.routes[f"/api/v2/studies/{nct}"] = [Reply(200, body)]
    result = fetch(server, tmp_path, "NCT99999999", nct)
    assert result.exit_code == 1
    assert errors(result) == [
        f"Error: NCT99999999: no such study on {server.host} (HTTP 404)",
    ]
    assert server.count("/api/v2/studies/NCT99999999") == 1  # a 404 is not retried
    assert (tmp_path / f"{nct}.json").read_bytes() == body
    assert not (tmp_path / "NCT99999999.json").exists()
    assert "Fetched 1 trial, 1 failure in " in result.stderr


def test_429_then_success_waits_as_told(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    nct, body = studies[0]
    path = f"/api/v2/studies/{nct}"
    server.routes[path] = [Reply(429, b"slow down", {"Retry-After": "7"}), Reply(200, body)]
    with clocked(server.url, server.clock, backoff=0.01, interval=0) as fetcher:
        outcome = fetcher.fetch_one(nct, tmp_path)
    assert outcome.error is None
    assert server.count(path) == 2
    # Retry-After honoured although the base backoff is 0.01 s
    assert server.clock.sleeps == [7.0]
    first, second = server.times(path)
    assert second - first == 7.0
    assert (tmp_path / f"{nct}.json").read_bytes() == body


def test_429_and_5xx_then_success_are_retried(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    nct, body = studies[0]
    path = f"/api/v2/studies/{nct}"
    server.routes[path] = [
        Reply(429, b"slow down"),
        Reply(500, b"oops"),
        Reply(503, b"busy"),
        Reply(200, body),
    ]
    result = fetch(server, tmp_path, nct)
    assert result.exit_code == 0, result.stderr
    assert server.count(path) == 4
    assert (tmp_path / f"{nct}.json").read_bytes() == body


def test_persistent_500_gives_up_after_the_retries(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    nct, _ = studies[0]
    path = f"/api/v2/studies/{nct}"
    server.routes[path] = [Reply(500, b"oops")]
    result = fetch(server, tmp_path, nct, extra=("--retries", "2"))
    assert result.exit_code == 1
    assert errors(result) == [
        f"Error: {nct}: {server.host} answered HTTP 500 Internal Server Error after 3 tries"
    ]
    assert server.count(path) == 3
    assert list(tmp_path.iterdir()) == []


def test_connection_refused(tmp_path: Path, studies: list[tuple[str, bytes]]) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (nct_a, _), (nct_b, _) = studies
    url = f"http://127.0.0.1:{port}/api/v2"
    result = run("fetch", nct_a, nct_b, "--out", str(tmp_path), "--base-url", url)
    assert result.exit_code == 1
    reason = f"cannot reach 127.0.0.1:{port}: connection refused"
    assert errors(result) == [f"Error: {nct_a}: {reason}", f"Error: {nct_b}: {reason}"]
    assert result.stderr.splitlines()[-1].startswith("Fetched 0 trials, 2 failures in ")
    assert list(tmp_path.iterdir()) == []
    # with the real delays: backoff from 2 s doubling (plus up to 10% jitter) over 4 retries,
    # then the second ID fails at once, with no wait and no further connection attempt
    clock = Clock()
    with clocked(url, clock, backoff=2.0, interval=0) as fetcher:
        outcomes = list(fetcher.fetch_all([nct_a, nct_b], tmp_path))
    assert [str(o.error) for o in outcomes] == [f"{nct_a}: {reason}", f"{nct_b}: {reason}"]
    assert len(clock.sleeps) == 4
    for wait, base in zip(clock.sleeps, (2.0, 4.0, 8.0, 16.0), strict=True):
        assert base <= wait <= base * 1.1


def test_base_url_from_environment(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    nct, body = studies[0]
    server.routes[f"/api/v2/studies/{nct}"] = [Reply(200, body)]
    result = run("fetch", nct, "--out", str(tmp_path), env={"TRIALPRESS_API_URL": server.url})
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / f"{nct}.json").read_bytes() == body


def test_bad_ids_and_wrong_answers_fail_without_writing(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    (nct_a, _), (nct_b, body_b) = studies
    server.routes[f"/api/v2/studies/{nct_a}"] = [Reply(200, body_b)]  # the wrong study
    server.routes["/api/v2/studies/NCT00000001"] = [Reply(200, b"<html>maintenance</html>")]
    result = fetch(server, tmp_path, "nct123", nct_a, "NCT00000001")
    assert result.exit_code == 1
    assert errors(result) == [
        "Error: nct123: not an NCT ID (expected NCT followed by 8 digits)",
        f"Error: {nct_a}: response is the study {nct_b}, not the one asked for",
        "Error: NCT00000001: response is not JSON (Expecting value: line 1 column 1 (char 0))",
    ]
    assert list(tmp_path.iterdir()) == []


def test_lower_case_id_is_accepted(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    nct, body = studies[0]
    server.routes[f"/api/v2/studies/{nct}"] = [Reply(200, body)]
    result = fetch(server, tmp_path, nct.lower())
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / f"{nct}.json").exists()


def test_requests_are_spaced_out(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    """Starts of requests are ``interval`` apart: the wait is what the last request left."""
    for nct, body in studies:
        server.routes[f"/api/v2/studies/{nct}"] = [Reply(200, body, takes=0.5)]
    with clocked(server.url, server.clock, interval=1.2) as fetcher:
        outcomes = list(fetcher.fetch_all([n for n, _ in studies], tmp_path))
    assert [o.error for o in outcomes] == [None, None]
    first, second = (t for _, t in server.seen)
    assert second - first == pytest.approx(1.2)
    assert server.clock.sleeps == [pytest.approx(0.7)]  # 1.2 s less the 0.5 s the reply took


def test_delays_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIALPRESS_FETCH_INTERVAL", raising=False)
    monkeypatch.delenv("TRIALPRESS_FETCH_BACKOFF", raising=False)
    assert (FetchOptions.from_env().interval, FetchOptions.from_env().backoff) == (1.2, 2.0)
    monkeypatch.setenv("TRIALPRESS_FETCH_INTERVAL", "0.5")
    monkeypatch.setenv("TRIALPRESS_FETCH_BACKOFF", "3")
    assert (FetchOptions.from_env().interval, FetchOptions.from_env().backoff) == (0.5, 3.0)


def test_bad_delay_in_the_environment_is_bad_usage(tmp_path: Path) -> None:
    result = run(
        "fetch", "NCT03820830", "--out", str(tmp_path), env={"TRIALPRESS_FETCH_BACKOFF": "soon"}
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: TRIALPRESS_FETCH_BACKOFF must be a number of seconds, got 'soon'"
    )
    assert list(tmp_path.iterdir()) == []


def test_quiet_fetch_prints_only_errors(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    nct, body = studies[0]
    server.routes[f"/api/v2/studies/{nct}"] = [Reply(200, body)]
    result = run(
        "--quiet", "fetch", nct, "NCT99999999", "--out", str(tmp_path), "--base-url", server.url
    )
    assert result.exit_code == 1
    assert result.stderr == f"Error: NCT99999999: no such study on {server.host} (HTTP 404)\n"
