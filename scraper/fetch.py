"""HTTP fetching: one keep-alive session, bounded retries, politeness, size cap, decoding.

Every default lives in ``FetchSettings``; the retry policy is data (``RETRY_STATUSES``,
``attempts``, backoff bounds) handed to tenacity, which is always told when to stop.
"""

from __future__ import annotations

import codecs
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from listing_archiver import PROJECT_URL, __version__

from .cancel import CancellableAdapter, Cancellation, abortable
from .connect import connect_failure
from .deadlines import DEADLINES
from .errors import (
    ConnectFailed,
    FetchError,
    HTTPStatusError,
    NotHTML,
    ResponseTooLarge,
    TransportError,
)
from .urls import host_key, http_url_problem, redact

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = f"listing-archiver/{__version__} (+{PROJECT_URL})"
# Transient statuses worth another attempt; every other 4xx/5xx fails at once.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
CHUNK_SIZE = 64 * 1024
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(frozen=True, kw_only=True)
class FetchSettings:
    """Fetch defaults. A server that accepts and then stalls costs at most
    attempts * read_timeout + the backoff waits: 4 * 20 + (1 + 2 + 4 + 3 jitter) = 90 s;
    one that trickles a byte at a time, attempts * body_timeout + backoff = 110 s."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0  # seconds to open the connection
    read_timeout: float = 20.0  # longest silence tolerated between bytes
    max_bytes: int = 10 * 1024 * 1024  # a larger body is refused while streaming
    body_timeout: float = 25.0  # longest a body may take to arrive, however it trickles
    delay: float = 1.0  # politeness pause between two requests to one host
    attempts: int = 4  # the first request + 3 retries (1 for a dead host: see connect.py)
    backoff_initial: float = 1.0  # first backoff wait; doubles each retry
    backoff_max: float = 8.0  # longest backoff wait
    backoff_jitter: float = 1.0  # random extra seconds added to each backoff wait
    retry_after_cap: float = 60.0  # a longer Retry-After is cut to this
    max_redirects: int = 10  # a longer chain is a loop in all but name
    hosts: frozenset[str] | None = None  # redirects may only go to these hosts (None: any)


@dataclass(frozen=True)
class FetchedPage:
    """A fetched HTML page, decoded. ``url`` is the final URL after redirects.
    A 304 answer to a conditional request has ``status == 304`` and no text."""

    url: str
    status: int
    text: str
    encoding: str | None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("Last-Modified")


class Pacer:
    """Spaces requests to each host (``host:port``), across every fetcher and thread
    that shares it. A host's robots.txt ``Crawl-delay`` can raise its minimum delay.
    ``sleep`` is what waits: a run passes its ``Cancellation.sleep``, so a 30 s
    Crawl-delay does not hold up a Ctrl-C."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_allowed: dict[str, float] = {}
        self._min_delay: dict[str, float] = {}

    def raise_delay(self, host: str, seconds: float) -> None:
        with self._lock:
            self._min_delay[host] = max(seconds, self._min_delay.get(host, 0.0))

    def delay_for(self, host: str, configured: float) -> float:
        return max(configured, self._min_delay.get(host, 0.0))

    def wait(self, host: str, configured: float) -> None:
        """Block until ``host`` may be asked again, and book the next slot."""
        delay = self.delay_for(host, configured)
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_allowed.get(host, now))
            self._next_allowed[host] = start + delay
        if start > now:
            self._sleep(start - now)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


# UTF-32 LE's BOM begins with UTF-16 LE's, so four prefixes cover all five.
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str | None]:
    """Decode by HTTP charset, else BOM, else ``<meta charset>``, else detection.

    UnicodeDammit tries exactly that order; unlike ``requests.Response.text`` it never
    falls back to ISO-8859-1 just because a ``text/html`` header names no charset. The
    common case, UTF-8 said and true with no BOM to strip, is decoded directly: what
    UnicodeDammit would give, without importing bs4 or sniffing.
    """
    http_charset = None
    if content_type:
        message = Message()
        message["content-type"] = content_type
        http_charset = message.get_content_charset()
    if http_charset in ("utf-8", "utf8") and not body.startswith(_BOMS):
        try:
            return body.decode(http_charset), http_charset
        except UnicodeDecodeError:
            pass  # mislabelled: UnicodeDammit goes on to the BOM, <meta> and detection
    from bs4.dammit import UnicodeDammit

    dammit = UnicodeDammit(
        body, known_definite_encodings=[http_charset] if http_charset else [], is_html=True
    )
    if dammit.unicode_markup is None:  # nothing decoded cleanly: keep what we can
        return body.decode("utf-8", errors="replace"), None
    return dammit.unicode_markup, dammit.original_encoding


def _is_html(content_type: str | None) -> bool:
    """HTML, XHTML, or unlabelled (many small servers send no type): worth parsing."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media in HTML_TYPES


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, HTTPStatusError):
        return exc.retryable
    return isinstance(exc, TransportError)


class Fetcher:
    """GETs pages politely. One instance per walk (or per host): it owns the session
    and remembers when each host was last asked, so the delay holds across pages.

    ``cancel`` stops it wherever it is: each wait (backoff, ``Retry-After``, the pacer
    it makes) is a ``Cancellation.sleep``, and a read in flight has its socket shut
    down; either way ``Cancelled`` is raised, never retried. A ``pacer`` handed in
    should wait with the same cancellation."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        session: requests.Session | None = None,
        pacer: Pacer | None = None,
        cancel: Cancellation | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self.cancel = cancel or Cancellation()
        self.session = session or requests.Session()
        adapter = CancellableAdapter()
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, adapter)
        self.session.headers["User-Agent"] = self.settings.user_agent
        self.session.headers["Accept"] = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
        self.pacer = pacer or Pacer(self.cancel.sleep)
        self._backoff = wait_exponential_jitter(
            multiplier=self.settings.backoff_initial,
            max=self.settings.backoff_max,
            jitter=self.settings.backoff_jitter,
        )
        # Hosts (host:port) that have answered this fetcher: only there is a refused
        # connection worth retrying. Sets are safe to add to from the prefetch thread.
        self._answered: set[str] = set()
        # One policy for every request: tenacity keeps each call's state per thread,
        # so the prefetching thread and the walk may both use it.
        self._retrying = Retrying(
            stop=stop_after_attempt(self.settings.attempts),
            wait=self._wait,
            retry=retry_if_exception(self._is_retryable),
            sleep=self.cancel.sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )

    def get(
        self, url: str, headers: Mapping[str, str] | None = None, *, accept_any: bool = False
    ) -> FetchedPage:
        """Fetch ``url``, retrying transient failures; raise a ``FetchError`` otherwise.
        ``headers`` go with this request only (``If-None-Match``, ``If-Modified-Since``).
        Only HTML is accepted unless ``accept_any`` (robots.txt is plain text)."""
        return self._retrying(self._get_abortable, url, dict(headers or {}), accept_any)

    def close(self) -> None:
        self.session.close()

    def _is_retryable(self, exc: BaseException) -> bool:
        """The retry policy, with one exception: a name that does not resolve or a host
        that refuses is failed at once unless that host has answered before."""
        if isinstance(exc, ConnectFailed):
            return exc.host in self._answered
        return _is_retryable(exc)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, HTTPStatusError) and exc.retry_after is not None:
            return min(exc.retry_after, self.settings.retry_after_cap)
        return float(self._backoff(state))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s; retrying in %.1f s (attempt %d)", exc, wait, state.attempt_number + 1)

    def _get_abortable(self, url: str, headers: dict[str, str], accept_any: bool) -> FetchedPage:
        """One attempt, its socket shut down on a cancel; the failure that a shut
        socket causes is reported as the ``Cancelled`` it is, so it is not retried."""
        with abortable(self.cancel):
            try:
                return self._get_once(url, headers, accept_any)
            except FetchError:
                self.cancel.check()
                raise

    def _get_once(self, url: str, headers: dict[str, str], accept_any: bool) -> FetchedPage:
        response = self._follow(url, headers)
        with response:
            if response.status_code >= 400:
                raise HTTPStatusError(
                    url,
                    response.status_code,
                    response.reason or "",
                    retryable=response.status_code in RETRY_STATUSES,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                )
            if response.status_code == 304:
                return FetchedPage(response.url, 304, "", None, dict(response.headers))
            content_type = response.headers.get("Content-Type")
            if not accept_any and not _is_html(content_type):
                raise NotHTML(url, content_type or "")
            body = self._read_capped(url, response)
        if not body.strip() and not accept_any:  # an empty robots.txt is fine; a page is not
            raise TransportError(url, "empty response body")  # a hiccup: worth a retry
        text, encoding = decode_html(body, content_type)
        return FetchedPage(
            url=response.url,
            status=response.status_code,
            text=text,
            encoding=encoding,
            headers=dict(response.headers),
        )

    def _follow(self, url: str, headers: dict[str, str]) -> requests.Response:
        """GET ``url``, following redirects here rather than in requests, so a redirect
        off the allowed hosts, to a non-http scheme, or round in a loop is refused
        before anything is asked of its target."""
        seen = {url}
        current = url
        for _ in range(self.settings.max_redirects + 1):
            response = self._request(url, current, headers)
            if not response.is_redirect:
                return response
            target = urljoin(current, response.headers.get("Location", ""))
            response.close()  # requests parsed that Location already: see _request
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https"):
                raise FetchError(url, f"redirect to a non-http URL {redact(target)} refused")
            if problem := http_url_problem(target):
                raise FetchError(url, f"redirect to {redact(target)} refused: {problem}")
            if (
                self.settings.hosts is not None
                and (parts.hostname or "") not in self.settings.hosts
            ):
                raise FetchError(url, f"redirect to another host ({redact(target)}) not followed")
            if target in seen:
                raise FetchError(url, f"redirect loop ({redact(current)} -> {redact(target)})")
            seen.add(target)
            current = target
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects")

    def _request(self, url: str, current: str, headers: dict[str, str]) -> requests.Response:
        self.pacer.wait(host_key(current), self.settings.delay)
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        log.debug("GET %s", redact(current))
        try:
            response = self.session.get(
                current, headers=headers, timeout=timeout, stream=True, allow_redirects=False
            )
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ) as exc:
            raise FetchError(url, "not a fetchable URL") from exc
        except requests.RequestException as exc:
            if (reason := connect_failure(exc)) is not None:
                raise ConnectFailed(url, reason, host=host_key(current)) from exc
            raise TransportError(url, _describe(exc)) from exc
        except ValueError as exc:  # requests parses a redirect's Location even when not
            # following it, and urllib refuses some ("Invalid IPv6 URL"): the site's fault
            raise FetchError(url, f"malformed URL in a redirect ({exc}); not followed") from exc
        self._answered.add(host_key(current))
        return response

    def _read_capped(self, url: str, response: requests.Response) -> bytes:
        """Read the (decompressed) body, refusing it as soon as it passes the cap."""
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise ResponseTooLarge(url, limit)
        chunks: list[bytes] = []
        size = 0
        watchdog = _Watchdog(response, self.settings.body_timeout)
        try:
            for chunk in response.iter_content(CHUNK_SIZE):
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLarge(url, limit)
                chunks.append(chunk)
        except requests.RequestException as exc:
            if not watchdog.fired:
                raise TransportError(url, _describe(exc)) from exc
        finally:
            watchdog.cancel()
        if watchdog.fired:  # cut off: whatever arrived is not the whole page
            raise TransportError(
                url, f"the page took longer than {self.settings.body_timeout:g} s to arrive"
            )
        return b"".join(chunks)


class _Watchdog:
    """Cuts a body read off at a deadline. ``read_timeout`` bounds only the silence
    between bytes, and a buffered read blocks until its whole chunk has come, so a
    server dripping a byte at a time would keep it reading for ever: shutting the socket
    down is what wakes a blocked read."""

    def __init__(self, response: requests.Response, seconds: float) -> None:
        self.fired = False
        self._response = response
        self._token = DEADLINES.arm(seconds, self._cut)

    def _cut(self) -> None:
        self.fired = True
        sock = getattr(getattr(self._response.raw, "connection", None), "sock", None)
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
            else:
                self._response.close()
        except OSError:
            pass  # already closed: the read has ended anyway

    def cancel(self) -> None:
        DEADLINES.disarm(self._token)


def _describe(exc: requests.RequestException) -> str:
    """A one-line reason for a transport failure, without urllib3's nested reprs."""
    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, requests.ReadTimeout) or "Read timed out" in str(exc):
        return "timed out waiting for the server"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection broke while reading the body"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "Connection refused" in text:
            return "connection refused"
        if "reset" in text.lower():
            return "connection reset"
        if "Name or service not known" in text or "nodename nor servname" in text:
            return "host name not found"
        return "connection failed"
    return type(exc).__name__
