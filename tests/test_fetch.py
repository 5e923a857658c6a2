"""``trialpress fetch`` against a real HTTP server on 127.0.0.1 serving recorded responses.

The response bodies are built at test time from real studies in the shared data (never
copied into the repository). Delays are shortened through the environment variables the
fetcher reads, so every test goes through the same code path as a real download.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import v2_studies
from trialpress.cli import cli

FAST = {"TRIALPRESS_FETCH_BACKOFF": "0.01", "TRIALPRESS_FETCH_INTERVAL": "0"}


@dataclass
class Reply:
    """One recorded response."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Recorder:
    """Replies per path (served in order, the last one repeated) and the requests seen."""

    routes: dict[str, list[Reply]] = field(default_factory=dict)
    seen: list[tuple[str, float]] = field(default_factory=list)
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
            rec.seen.append((path, time.monotonic()))
            replies = rec.routes.get(path)
            if not replies:
                reply = Reply(404, b'{"message": "not found"}')
            else:
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
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
    server.routes[path] = [Reply(429, b"slow down", {"Retry-After": "1"}), Reply(200, body)]
    result = fetch(server, tmp_path, nct)
    assert result.exit_code == 0, result.stderr
    assert server.count(path) == 2
    first, second = server.times(path)
    assert second - first >= 0.9  # Retry-After honoured although the base backoff is 0.01 s
    assert (tmp_path / f"{nct}.json").read_bytes() == body


def test_500_then_success_is_retried(
    server: Recorder, studies: list[tuple[str, bytes]], tmp_path: Path
) -> None:
    nct, body = studies[0]
    path = f"/api/v2/studies/{nct}"
    server.routes[path] = [Reply(500, b"oops"), Reply(503, b"busy"), Reply(200, body)]
    result = fetch(server, tmp_path, nct)
    assert result.exit_code == 0, result.stderr
    assert server.count(path) == 3
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
    started = time.monotonic()
    result = run("fetch", nct_a, nct_b, "--out", str(tmp_path), "--base-url", url)
    assert result.exit_code == 1
    reason = f"cannot reach 127.0.0.1:{port}: connection refused"
    assert errors(result) == [f"Error: {nct_a}: {reason}", f"Error: {nct_b}: {reason}"]
    assert result.stderr.splitlines()[-1].startswith("Fetched 0 trials, 2 failures in ")
    assert list(tmp_path.iterdir()) == []
    # retried with backoff (0.01 s doubling, 4 retries), then the second ID fails at once
    assert time.monotonic() - started < 5


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
    for nct, body in studies:
        server.routes[f"/api/v2/studies/{nct}"] = [Reply(200, body)]
    result = fetch(server, tmp_path, *(n for n, _ in studies))
    assert result.exit_code == 0, result.stderr
    # default polite interval overridden to 0.5 s below; check the gap is kept
    result = run(
        "fetch",
        *(n for n, _ in studies),
        "--refresh",
        "--out",
        str(tmp_path),
        "--base-url",
        server.url,
        env={"TRIALPRESS_FETCH_INTERVAL": "0.5"},
    )
    assert result.exit_code == 0, result.stderr
    times = sorted(t for _, t in server.seen[-2:])
    assert times[1] - times[0] >= 0.45


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
