"""URL helpers shared by the scraper: a site's host key, and URLs fit to show."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import lru_cache
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import idna

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_PUNCTUATION = frozenset("-._")  # besides letters and digits, in a host name
MAX_HOST_LENGTH = 253  # characters of a DNS name in text form, without a final dot (RFC 1035)
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


def http_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched as written, or None when it can.

    The one check for every URL the tool is given (command line, sources file) and every
    next link it would follow. It refuses up front what urllib, requests or urllib3 would
    otherwise refuse in the middle of a walk, each in its own way (a ``ValueError`` from
    ``SplitResult.port``, an ``InvalidURL``, a ``LocationParseError`` when connecting):
    a scheme other than http(s), no host, an unclosed IPv6 bracket, a host no DNS name or
    IP address can be (a bad character, a label or the whole name too long), a port that
    is not a number from 1 to 65535 (port 0 would silently become 80), control characters,
    surrounding spaces. Spaces in the path are allowed:
    requests percent-encodes them, as browsers do."""
    if url != url.strip():
        return "it starts or ends with a space"
    control = next((ch for ch in url if unicodedata.category(ch) == "Cc"), None)
    if control is not None:
        return f"it holds the control character {control!r}"
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "Invalid IPv6 URL", or a host NFKC turns into a separator
        return "an unclosed [ or a stray ] in the host" if "IPv6" in str(exc) else str(exc)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return "the scheme must be http or https, as in https://example.org/"
    return _netloc_problem(parts.netloc.rpartition("@")[2])


def _netloc_problem(host_port: str) -> str | None:
    """What is wrong with ``host[:port]`` (user info already cut off), if anything."""
    if host_port.startswith("["):
        host, _, rest = host_port.partition("]")
        if rest and not rest.startswith(":"):
            return f"{rest!r} follows the IPv6 address"
        host, port = host + "]", rest[1:] if rest else None
    else:
        host, colon, port_text = host_port.partition(":")
        port = port_text if colon else None
    return _host_problem(host) or _port_problem(port)


def _host_problem(host: str) -> str | None:
    if not host:
        return "no host"
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return f"{host!r} is not an IPv6 address"
        return None
    odd = next((ch for ch in host if not (ch.isalnum() or ch in _HOST_PUNCTUATION)), None)
    if odd is not None:
        return f"the host {host!r} holds {odd!r}, which no host name can"
    try:  # as requests encodes a non-ASCII name, then as urllib3 checks its labels
        ascii_host = host if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
        ascii_host.encode("idna")
    except (UnicodeError, ValueError) as exc:  # idna.IDNAError is a UnicodeError
        reason = " ".join(str(exc).split())  # one line, whatever the codec wrote
        return f"the host {host!r} is not a valid host name ({reason})"
    if len(ascii_host.rstrip(".")) > MAX_HOST_LENGTH:  # each label passed, the whole did not:
        # the resolver refuses it, and the walk would fail as a "host name not found"
        return f"the host is {len(ascii_host)} characters long; a host name has at most 253"
    return None


def _port_problem(port: str | None) -> str | None:
    if not port:  # none, or "host:" with nothing after: the scheme's default
        return None
    if not (port.isascii() and port.isdigit()):
        return f"the port {port!r} is not a number"
    if not 1 <= int(port) <= 65535:
        return f"the port {port} is not between 1 and 65535"
    return None


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
