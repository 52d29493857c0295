"""A post's identity across edits: ``post_key``, its canonical URL.

The content hash says *which version* of a post a row is; the post key says *which
post* it is, so an edited title or excerpt becomes a new version of the same post.
Canonical form: scheme and host lower case, default port dropped, fragment dropped,
tracking parameters (``utm_*``, ``fbclid``, ``gclid``) removed, other parameters kept
in order, and the path without a trailing slash (the root stays ``/``).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scraper.urls import canonical_netloc

TRACKING_PARAMS = frozenset({"fbclid", "gclid"})


def is_tracking(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in TRACKING_PARAMS


def post_key(url: str | None, content_hash: str) -> str:
    """The canonical URL, or ``content:<hash>`` for an entry that has no link."""
    return canonical_url(url) if url else f"content:{content_hash}"


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    netloc = canonical_netloc(parts)
    path = parts.path.rstrip("/") or "/"
    query = parts.query and urlencode(  # most post links have no query at all
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking(k)]
    )
    return urlunsplit((scheme, netloc, path, query, ""))
