"""The scraper's exceptions, each named for what went wrong and carrying its context.

    ScraperError
    ├── FetchError                 a page could not be had (carries ``url``)
    │   ├── HTTPStatusError        the server answered with an error status (``status``)
    │   ├── TransportError         connection refused/reset, timeout, broken or empty body
    │   │   └── ConnectFailed      the host name does not resolve, or the host refused
    │   ├── ResponseTooLarge       the body exceeded the size cap; never held in memory
    │   └── NotHTML                the answer is not an HTML page (an image, a PDF...)
    ├── ParseError                 the page was had but could not be read as a listing
    │   ├── NoEntriesError         the profile found no entries: the layout likely changed
    │   ├── LayoutDrift            a field the source nearly always had went missing
    │   └── NoProfileMatch         no built-in profile recognises the page
    ├── RobotsDisallowed           robots.txt forbids the URL, or could not be had
    ├── InvalidURL                 a URL given to the tool cannot be fetched as written
    └── Cancelled                  the run was stopped (a signal): not the site's fault
    UnknownProfileError            no profile by that name (a usage error)

``HTTPStatusError.retryable`` and ``TransportError`` drive the retry policy in ``fetch``;
``ConnectFailed`` is retried only on a host that has answered before.
``Cancelled`` is no ``FetchError``, so nothing that handles a failed fetch (retries,
robots.txt's "unreachable") can mistake a stop for a fault of the site.
"""

from __future__ import annotations

from .urls import redact, redact_text


class ScraperError(Exception):
    """Base class: everything the scraper raises on purpose."""


class FetchError(ScraperError):
    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"GET {redact(url)}: {message}")
        self.url = url
        self.reason = message


class HTTPStatusError(FetchError):
    def __init__(
        self,
        url: str,
        status: int,
        reason: str = "",
        *,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(url, f"HTTP {status} {reason}".rstrip())
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


class TransportError(FetchError):
    """Connection-level failure; worth another attempt (but see ``ConnectFailed``)."""


class ConnectFailed(TransportError):
    """No connection could be opened: the host name does not resolve, or the host
    refused. On a host that never answered, retrying cannot help (a dead host is dead),
    so ``fetch`` fails at once. The message names ``url``, the page the user asked for,
    even when a request on its behalf (robots.txt) is what met the dead host; ``host``
    is the ``host:port`` that did not answer."""

    def __init__(self, url: str, reason: str, *, host: str) -> None:
        ScraperError.__init__(self, f"cannot connect to {redact(url)} ({reason})")
        self.url = url
        self.reason = reason
        self.host = host


class ResponseTooLarge(FetchError):
    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url, f"response larger than {limit:,} bytes; refused")
        self.limit = limit


class NotHTML(FetchError):
    def __init__(self, url: str, content_type: str) -> None:
        super().__init__(url, f"not an HTML page (Content-Type: {content_type}); skipped")


class ParseError(ScraperError):
    def __init__(self, url: str, message: str) -> None:
        super().__init__(f"{redact(url)}: {message}")
        self.url = url


class NoEntriesError(ParseError):
    """``hint`` says what to do next where the parser could see it: which selector
    matched nothing, and which profile the page does match."""

    def __init__(self, url: str, profile: str, hint: str | None = None) -> None:
        if profile.startswith("generic"):
            message = (
                "no entries found: no built-in profile recognises this page and the generic "
                "extractor found no repeated entries (name a profile, or give the source its "
                "own selectors, item and title, under [source.selectors] in a sources file)"
            )
        else:
            message = f"profile {profile!r} found no entries" + (
                f": {hint}" if hint else "; the site's layout may have changed"
            )
        super().__init__(url, message)
        self.profile = profile


class LayoutDrift(ParseError):
    """Raised by the job, which knows the archive: the page was not archived."""

    def __init__(self, url: str, problems: list[str]) -> None:
        super().__init__(
            url,
            "layout drift, page not archived: "
            + "; ".join(problems)
            + " (fix the profile or selectors; --accept-drift archives it anyway)",
        )


class NoProfileMatch(ParseError):
    pass


class RobotsDisallowed(ScraperError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{redact(url)}: {reason} (override with --ignore-robots)")
        self.url = url


class InvalidURL(ScraperError):
    """A start URL (command line or sources file) that no request could be made to:
    a usage or config error, reported before anything is fetched or opened."""

    def __init__(self, url: str, problem: str) -> None:
        # repr: a URL holding a newline or a control character still prints on one line
        super().__init__(f"{redact_text(url)!r} is not a valid http(s) URL: {problem}")
        self.url = url
        self.problem = problem


class UnknownProfileError(ScraperError):
    pass


class Cancelled(ScraperError):
    """The run was cancelled (``scraper.cancel``); the message says why, e.g.
    "interrupted by SIGINT"."""
