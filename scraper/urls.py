"""URL helpers shared by the scraper: a site's host key, and URLs fit to show."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
SECRET_PARAM = re.compile(r"(?i)(token|key|secret|password|passwd|pwd|auth|session|sig)")
SECRET_IN_TEXT = re.compile(
    r"(?i)(//[^/\s:@]+:[^/\s@]+@)|([?&][\w.-]*(?:token|key|secret|password|passwd|pwd|auth"
    r"|session|sig)[\w.-]*=)[^&\s\"']+"
)


def canonical_netloc(parts: SplitResult) -> str:
    """``host[:port]`` as every spelling of an origin agrees on: host lower case, IPv6
    in brackets, user info and the scheme's default port left out. ``parts.port``
    raises ``ValueError`` for a port that is not a number in range."""
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    port = parts.port
    return host if port in (None, DEFAULT_PORTS.get(parts.scheme.lower())) else f"{host}:{port}"


def host_key(url: str) -> str:
    """``host[:port]``, lower case, without any ``user:password@``: names a site for
    politeness, grouping and default source names."""
    return urlsplit(url).netloc.rsplit("@", 1)[-1].lower()


# Links in the two shapes nearly every listing uses, ``https://host[:port]/path`` and
# ``/path``, in characters ``urljoin`` keeps as they are; ``urljoin`` parses base and
# link and rebuilds them, several times the cost of this check, for every entry.
_PLAIN_ABSOLUTE = re.compile(
    r"(https?)://[A-Za-z0-9.-]+(?::([0-9]{1,5}))?(?:/[\w.~!$&'()*+,=:@%/-]*)?"
)
_PLAIN_PATH = re.compile(r"/[\w.~!$&'()*+,=:@%-][\w.~!$&'()*+,=:@%/-]*|/")


def absolute_http_url(href: str | None, page_url: str) -> str | None:
    """An http(s) URL with a host, resolved against the page; None for "#", javascript:,
    mailto:, a bare "http:", or a host urllib refuses (an unclosed IPv6 bracket): the page's
    markup is the site's, and one bad link must not fail the page."""
    href = (href or "").strip()
    if not href or href == "#":
        return None
    if "/." not in href:  # no dot segments for urljoin to resolve
        if match := _PLAIN_ABSOLUTE.fullmatch(href):
            port = match.group(2)
            return href if port is None or int(port) <= 65535 else None
        if _PLAIN_PATH.fullmatch(href) and (origin := _http_origin(page_url)):
            return origin + href
    try:
        url = urljoin(page_url, href)
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


@lru_cache(maxsize=64)
def _http_origin(page_url: str) -> str | None:
    """``scheme://netloc`` of an http(s) page URL with a valid host, as ``urljoin``
    writes it in front of a root-relative path; None otherwise."""
    try:
        parts = urlsplit(page_url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def redact(url: str) -> str:
    """``url`` fit for a log or an error message: user:password and the values of
    secret-looking query parameters (token, api_key, ...) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = "&".join(
        f"{k}=***" if SECRET_PARAM.search(k) else (f"{k}={v}" if v or "=" in pair else k)
        for pair in parts.query.split("&")
        if pair
        for k, _, v in [pair.partition("=")]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """The same redaction for URLs inside free text (third-party log lines)."""
    return SECRET_IN_TEXT.sub(lambda m: "//***@" if m.group(1) else f"{m.group(2)}***", text)
