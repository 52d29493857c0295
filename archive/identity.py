"""A post's identity across edits: ``post_key``, its canonical URL.

The content hash says *which version* of a post a row is; the post key says *which
post* it is, so an edited title or excerpt becomes a new version of the same post, and
(hash scheme 2) two entries at different keys are never one row. Canonical form:

- ``http`` and ``https`` are one: the key is always written ``https://`` (an
  identifier, not a link: ``posts.url`` keeps the URL as seen);
- the host in lower case, without a leading ``www.`` (when a dotted name remains),
  without user info and without the scheme's default port;
- the fragment dropped; tracking parameters (``utm_*``, ``fbclid``, ``gclid``) and
  session parameters (``jsessionid``, ``sid``, ``phpsessid``) removed from the query,
  in any case, other parameters kept in order; a ``;jsessionid=...`` path parameter
  removed;
- the path without a trailing slash (the root stays ``/``).

Why fold scheme and ``www.``: the same path on both is the same post on every real
site, and a listing often links with both forms (an old post written before the move
to https, a theme that hard-codes ``www.``). Why drop session ids: they name a
visitor, not a post, and would make every run's links new posts.

Other schemes (not http or https) keep theirs; ``post_key`` only ever sees http(s)
links, ``canonical_url`` also reads what a user types (``history URL``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from listing_archiver.scraper.urls import DEFAULT_PORTS, canonical_netloc

KEY_SCHEME = "https"
TRACKING_PARAMS = frozenset({"fbclid", "gclid"})
SESSION_PARAMS = frozenset({"jsessionid", "sid", "phpsessid"})
_SESSION_PATH_PARAM = re.compile(r"(?i);jsessionid=[^/;]*")
# The shape nearly every post link has, ``http(s)://host[:port][/path]`` in characters
# urlsplit leaves as they are, without ``;``, query or fragment: its key is built
# without urlsplit, canonical_netloc and urlunsplit (a property test holds it to them).
_PLAIN = re.compile(r"(https?)://([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?(/[\w.~!$&'()*+,=:@%/-]*)?")


def is_dropped_param(name: str) -> bool:
    """A query parameter that says how or as whom a visitor came, not which post."""
    lower = name.lower()
    return lower.startswith("utm_") or lower in TRACKING_PARAMS or lower in SESSION_PARAMS


def _kept(name: str) -> bool:
    return not is_dropped_param(name)


def post_key(url: str | None, fields_digest: str) -> str:
    """The canonical URL, or ``content:<fields hash>`` for an entry that has no link."""
    return canonical_url(url) if url else f"content:{fields_digest}"


def canonical_url(url: str) -> str:
    """``url`` in the canonical form of the module docstring."""
    url = url.strip()
    plain = _PLAIN.fullmatch(url)
    if plain is None:
        return _canonical_general(url)
    scheme, host, port, path = plain.groups()
    netloc = host.lower()
    if port is not None:
        number = int(port)
        if number > 65535:  # not a port: the general path raises as urlsplit does
            return _canonical_general(url)
        if number != DEFAULT_PORTS[scheme]:
            netloc = f"{netloc}:{number}"
    return f"{KEY_SCHEME}://{_without_www(netloc)}{(path or '').rstrip('/') or '/'}"


def _canonical_general(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in DEFAULT_PORTS:
        scheme = KEY_SCHEME
    netloc = _without_www(canonical_netloc(parts))
    path = _SESSION_PATH_PARAM.sub("", parts.path).rstrip("/") or "/"
    query = parts.query and urlencode(  # most post links have no query at all
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if _kept(k)]
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def _without_www(netloc: str) -> str:
    """``www.example.org[:port]`` as ``example.org[:port]``; ``www.localhost`` stays."""
    if netloc.startswith("www.") and "." in netloc[4:].partition(":")[0]:
        return netloc[4:]
    return netloc
