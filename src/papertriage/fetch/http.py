"""HTTP GET for the fetch command: polite to the services, patient with the network, cached.

The standard library's client (urllib) is enough here: one GET at a time, to a handful of hosts,
with a timeout on every request; what a fetch needs beyond it (retries with backoff, honouring
Retry-After, a delay between requests to one host, a disk cache with revalidation) is written
here, about as long as wiring a client library to do it, and costs no dependency nor its import.

- Every request carries a User-Agent naming papertriage and its version.
- A host may ask for a delay between requests (arXiv asks for 3 s): `Client.delays`.
- Retried, with exponential backoff and jitter, at most RETRIES times and MAX_WAIT seconds in
  all: 429, 502, 503, 504 and a connection reset; Retry-After (seconds) is honoured.
- Not retried, and a FetchError naming the URL and what to do: refused connections, unknown
  hosts, timeouts, other HTTP errors, a body cut off before its Content-Length.
- Responses are kept in the cache directory by URL (body and validators): within FRESH_SECONDS
  the cache answers without asking; after, an ETag or Last-Modified makes the request
  conditional and a 304 answers from the cache. `refresh` skips the cache.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import http.client
import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from papertriage import __version__
from papertriage.errors import ExitCode, PapertriageError
from papertriage.output.files import keep_cache_file

USER_AGENT = f"papertriage/{__version__} (literature triage; Python urllib)"
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
RETRIES = 4  # attempts after the first
MAX_WAIT = 60.0  # seconds of waiting between attempts, at most, in all
BACKOFF = 1.0  # seconds before the first retry; doubled each time, plus up to as much jitter
FRESH_SECONDS = 600  # a cached response this young answers without a request
DEFAULT_TIMEOUT = 30.0


class FetchError(PapertriageError):
    """A service could not be reached or did not answer usefully."""

    exit_code = ExitCode.NETWORK


@dataclass
class Client:
    """GETs with the rules above. `sleep` and `clock` are time.sleep and time.monotonic,
    replaceable in tests."""

    cache_dir: Path | None
    timeout: float = DEFAULT_TIMEOUT
    refresh: bool = False
    delays: Mapping[str, float] = field(default_factory=dict)  # host -> seconds between requests
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = 0  # made (not answered from the cache), for reports and tests
    _last: dict[str, float] = field(default_factory=dict)  # host -> when its last request ended

    def get(self, url: str) -> bytes:
        """The body of the answer to a GET of `url`, from the cache when it may answer."""
        cached = None if self.refresh else self._cached(url)
        if cached is not None and time.time() - cached.fetched < FRESH_SECONDS:
            return cached.body
        headers = {"User-Agent": USER_AGENT}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached is not None and cached.modified:
            headers["If-Modified-Since"] = cached.modified
        status, body, answer = self._with_retries(url, headers)
        if status == 304 and cached is not None:
            self._keep(url, cached.body, cached.etag, cached.modified)
            return cached.body
        self._keep(url, body, answer.get("ETag"), answer.get("Last-Modified"))
        return body

    # -- requests ------------------------------------------------------------------------------

    def _with_retries(
        self, url: str, headers: dict[str, str]
    ) -> tuple[int, bytes, Mapping[str, str]]:
        waited = 0.0
        for attempt in range(RETRIES + 1):
            outcome = self._once(url, headers)
            if not isinstance(outcome, _Retry):
                return outcome
            pause = outcome.retry_after
            if pause is None:
                pause = BACKOFF * 2**attempt
                pause += random.uniform(0, pause)  # jitter: clients that failed together spread
            if attempt == RETRIES or waited + pause > MAX_WAIT:
                raise FetchError(
                    f"{url}: {outcome.reason}, still after {attempt + 1} "
                    f"attempt{'s' if attempt else ''}",
                    hint="the service is busy or down; try again later",
                )
            self.sleep(pause)
            waited += pause
        raise AssertionError("unreachable")

    def _once(
        self, url: str, headers: dict[str, str]
    ) -> tuple[int, bytes, Mapping[str, str]] | _Retry:
        self._wait_for_host(url)
        request = urllib.request.Request(url, headers=headers)
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                body = answer.read()
                return answer.status, body, dict(answer.headers.items())
        except urllib.error.HTTPError as error:
            error.close()  # it holds the connection's socket
            if error.code == 304:
                return 304, b"", dict(error.headers.items())
            if error.code in RETRIED_STATUSES:
                return _Retry(f"HTTP {error.code}", _retry_after(error.headers.get("Retry-After")))
            raise FetchError(
                f"{url}: HTTP {error.code} {error.reason}", hint=_hint_for(error.code)
            ) from None
        except http.client.IncompleteRead as error:
            raise FetchError(
                f"{url}: the answer was cut off ({len(error.partial)} bytes of "
                f"{len(error.partial) + (error.expected or 0)})",
                hint="the connection broke; try again",
            ) from None
        except (ConnectionResetError, http.client.RemoteDisconnected):
            return _Retry("the connection was reset", None)
        except TimeoutError:
            raise self._timed_out(url) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise self._timed_out(url) from None
            raise FetchError(f"{url}: {_reason(error.reason)}", hint=_network_hint(error)) from None
        finally:
            self._last[_host(url)] = self.clock()

    def _timed_out(self, url: str) -> FetchError:
        return FetchError(
            f"{url}: no answer within {self.timeout:g} s",
            hint="try again later, or give more time with --timeout SECONDS",
        )

    def _wait_for_host(self, url: str) -> None:
        host = _host(url)
        delay = self.delays.get(host, 0.0)
        last = self._last.get(host)
        if delay and last is not None:
            remaining = delay - (self.clock() - last)
            if remaining > 0:
                self.sleep(remaining)

    # -- the cache -----------------------------------------------------------------------------

    def _paths(self, url: str) -> tuple[Path, Path] | None:
        if self.cache_dir is None:
            return None
        name = hashlib.sha256(url.encode()).hexdigest()[:32]
        folder = self.cache_dir / "http"
        return folder / f"{name}.json", folder / f"{name}.body"

    def _cached(self, url: str) -> _Cached | None:
        paths = self._paths(url)
        if paths is None:
            return None
        try:
            meta = json.loads(paths[0].read_text(encoding="utf-8"))
            if meta.get("url") != url:
                return None
            body = paths[1].read_bytes()
            return _Cached(body, float(meta["fetched"]), meta.get("etag"), meta.get("modified"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _keep(self, url: str, body: bytes, etag: str | None, modified: str | None) -> None:
        paths = self._paths(url)
        if paths is None:
            return
        meta = {"url": url, "fetched": time.time(), "etag": etag, "modified": modified}
        # The body first: a meta file always names a whole body (none kept: asked again).
        if keep_cache_file(paths[1], body):
            keep_cache_file(paths[0], json.dumps(meta).encode())


@dataclass(frozen=True)
class _Cached:
    body: bytes
    fetched: float  # time.time() of the last answer
    etag: str | None
    modified: str | None


@dataclass(frozen=True)
class _Retry:
    reason: str
    retry_after: float | None


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date (None when absent or unreadable)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    return None


def _reason(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(reason, socket.gaierror):
        return "the host name could not be resolved"
    return str(reason)


def _network_hint(error: urllib.error.URLError) -> str:
    if isinstance(error.reason, socket.gaierror):
        return "check the network connection, or the address in $PAPERTRIAGE_* if you set one"
    if isinstance(error.reason, ConnectionRefusedError):
        return "nothing answers at that address; check it, or try again later"
    return "check the network connection and try again"


def _hint_for(status: int) -> str:
    if status == 404:
        return "check the category, date or address"
    if status in (401, 403):
        return "the service refused the request"
    return "try again later"
