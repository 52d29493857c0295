"""robots.txt, as RFC 9309 has it, parsed by protego (Scrapy's parser).

Each origin's robots.txt is fetched once per run, through the run's ``Fetcher`` (so it
is retried, size-capped and paced like any page), and what came back decides:

    2xx                     parse it; an empty file allows everything
    4xx (404, 401, 403 …)   "unavailable": everything is allowed
    5xx after the retries,  "unreachable": nothing on that origin is crawled this run
                            (a network failure is raised as the TransportError it is:
                            the site is down, robots.txt has nothing to do with it)
    408/429 after retries,
    network failure, body
    too large, anything else

A host that does not resolve or refuses the connection is asked once (``fetch``), and
``check`` raises ``ConnectFailed`` naming the page asked about, not robots.txt: the page
would have met the same dead host.

408 and 429 are 4xx, but the fetcher retries them because the server is asking us to
wait, not saying there is no robots.txt; when they persist they are treated like 5xx.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from .errors import ConnectFailed, FetchError, HTTPStatusError, RobotsDisallowed, TransportError
from .fetch import Fetcher
from .urls import canonical_netloc, redact

log = logging.getLogger(__name__)

# RFC 9309 2.2.1: the product token is made of letters, "_" and "-".
_PRODUCT_TOKEN = re.compile(r"[A-Za-z_-]+")
# 4xx statuses the fetcher retries: when they persist, the server is busy, not robots-less.
_UNREACHABLE_4XX = frozenset({408, 429})


def robots_url(url: str) -> str:
    """``scheme://host[:port]/robots.txt`` for any URL on that origin.

    Scheme and host are lowercased, user info is dropped, and a default port (80 for
    http, 443 for https) is left out, so every spelling of an origin gives one string.
    """
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.hostname:
        raise ValueError(f"not an absolute URL: {url!r}")
    return f"{parts.scheme.lower()}://{canonical_netloc(parts)}/robots.txt"


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against.

    ``"listing-archiver/0.1.0 (+https://...)"`` gives ``"listing-archiver"``. Matching
    the token rather than the whole header keeps a group such as ``User-agent: github``
    from applying to us just because the header holds a github.com URL.
    """
    text = user_agent.strip()
    match = _PRODUCT_TOKEN.match(text)
    return match.group(0) if match else text


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt says.

    ``parser`` is None when everything is allowed (no robots.txt, or an empty one).
    ``unreachable`` is set, to the one-line reason, when robots.txt could not be had:
    then nothing is allowed.
    """

    robots_url: str
    parser: Protego | None = None
    unreachable: str | None = None
    down: TransportError | None = field(default=None, compare=False)  # the host did not answer

    def allows(self, url: str, user_agent: str) -> bool:
        if self.unreachable is not None:
            return False
        if self.parser is None:
            return True
        return self.parser.can_fetch(url, agent_token(user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        return self.parser.crawl_delay(agent_token(user_agent))

    def refusal(self, url: str, user_agent: str) -> str | None:
        """Why ``url`` may not be fetched, or None when it may."""
        if self.allows(url, user_agent):
            return None
        if self.unreachable is not None:
            return (
                f"robots.txt could not be fetched ({self.unreachable}); not crawling, per RFC 9309"
            )
        return f"robots.txt ({self.robots_url}) disallows it for {agent_token(user_agent)}"


class RobotsCache:
    """robots.txt fetched once per host per run (one instance per run).

    Safe to share between worker threads: a hit only takes a short lock, and fetches
    are made one at a time, so the fetcher is never used by two threads at once and
    threads asking about the same new origin wait for the one fetch.
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._rules: dict[str, RobotsRules] = {}
        self._lock = threading.Lock()  # guards _rules
        self._fetch_lock = threading.Lock()  # one robots.txt fetch at a time

    def rules_for(self, url: str) -> RobotsRules:
        """The rules for ``url``'s origin (scheme, host, port), fetched on first use."""
        key = robots_url(url)
        with self._lock:
            rules = self._rules.get(key)
        if rules is not None:
            return rules
        with self._fetch_lock:
            with self._lock:
                rules = self._rules.get(key)
            if rules is None:  # no other thread fetched it while we waited
                rules = self._fetch(key)
                with self._lock:
                    self._rules[key] = rules
        return rules

    def check(self, url: str, user_agent: str) -> None:
        """Raise ``RobotsDisallowed`` unless robots.txt lets ``user_agent`` fetch ``url``."""
        rules = self.rules_for(url)
        if isinstance(rules.down, ConnectFailed):  # the page would meet the same dead host:
            raise ConnectFailed(url, rules.down.reason, host=rules.down.host)  # name the page
        if rules.down is not None:  # a dead site, not a robots.txt matter: say so plainly
            raise TransportError(rules.down.url, rules.down.reason)
        reason = rules.refusal(url, user_agent)
        if reason is not None:
            raise RobotsDisallowed(url, reason)

    def crawl_delay(self, url: str, user_agent: str) -> float | None:
        """The ``Crawl-delay`` (seconds) ``url``'s origin asks of ``user_agent``, if any."""
        return self.rules_for(url).crawl_delay(user_agent)

    def _fetch(self, url: str) -> RobotsRules:
        try:
            page = self.fetcher.get(url, accept_any=True)
        except HTTPStatusError as exc:
            if 400 <= exc.status < 500 and exc.status not in _UNREACHABLE_4XX:
                log.info("%s: no robots.txt (HTTP %d); everything allowed", redact(url), exc.status)
                return RobotsRules(url)
            return self._unreachable(url, exc)
        except FetchError as exc:  # transport failure, too large, too many redirects …
            return self._unreachable(url, exc)
        if not 200 <= page.status < 300:  # e.g. a 3xx with no Location to follow
            return self._unreachable(url, FetchError(url, f"HTTP {page.status}"))
        if not page.text.strip():
            return RobotsRules(url)
        return RobotsRules(url, parser=Protego.parse(page.text))

    @staticmethod
    def _unreachable(url: str, exc: FetchError) -> RobotsRules:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        # A dead host fails the walk with its own message (see check): no warning here.
        level = logging.INFO if isinstance(exc, ConnectFailed) else logging.WARNING
        log.log(level, "%s could not be fetched (%s); not crawling that host", redact(url), message)
        down = exc if isinstance(exc, TransportError) else None
        return RobotsRules(url, unreachable=message, down=down)
