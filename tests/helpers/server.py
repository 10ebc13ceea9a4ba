"""A local HTTP server on 127.0.0.1 that plays scripted answers and faults, for fetch tests.

Each path is given a list of answers, played in turn (the last one again once they run out);
every request is recorded with its time, path and headers, so tests can check politeness.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before answering (past a client's timeout)
    cut: bool = False  # announce the whole body, send half, close: a truncated answer


@dataclass
class Request:
    at: float  # time.monotonic()
    path: str
    headers: dict[str, str]


class Script:
    def __init__(self) -> None:
        self.answers: dict[str, list[Answer]] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()

    def next(self, path: str) -> Answer:
        with self.lock:
            queue = self.answers.get(path) or self.answers.get(path.split("?")[0]) or []
            if not queue:
                return Answer(404, b"not here")
            return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script.requests.append(Request(time.monotonic(), self.path, dict(self.headers)))
            answer = script.next(self.path)
            if answer.hang:
                time.sleep(answer.hang)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if answer.cut:
                self.wfile.write(answer.body[: len(answer.body) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the tests read `script.requests`

    return Handler


@contextmanager
def serving() -> Iterator[tuple[str, Script]]:
    """A running server: its base URL (http://127.0.0.1:PORT) and its script."""
    script = Script()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
