"""Why a page leads to no next page, in words a user can act on (``probe``).

It mirrors ``paginate.choose_next``: either the page offered no candidate at all (none
of the places next-link detection looks at had one), or the walk refused each one, for
the reason its log gives. Small on purpose, to move beside next-link detection
wherever that lives.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from urllib.parse import urldefrag

from .paginate import origin
from .urls import http_url_problem, redact, redact_text

# What next-link detection (``parse.next_page_tiers``) looks for, after the profile's own.
LOOKED_FOR = "no rel=next link, no link saying next or older"
MAX_SHOWN = 3  # refused candidates described; the rest are counted


def no_next_reason(
    candidates: Sequence[str],
    hosts: Collection[str],
    walked: Collection[str],
    profile_next: Sequence[str] = (),
) -> str:
    """Why none of ``candidates`` (a page's next-link URLs, best first) is the next
    page, for a walk allowed on ``hosts`` that has read the pages ``walked``."""
    if not candidates:
        selectors = " or ".join(repr(selector) for selector in profile_next)
        own = f"nothing matches the profile's next selector {selectors}; " if profile_next else ""
        return f"no next link: {own}{LOOKED_FOR}"
    read = {urldefrag(url).url for url in walked}
    shown = [_refusal(url, hosts, read) for url in candidates[:MAX_SHOWN]]
    more = len(candidates) - MAX_SHOWN
    return "; ".join(shown) + (f"; and {more} more links" if more > 0 else "")


def _refusal(url: str, hosts: Collection[str], read: Collection[str]) -> str:
    if problem := http_url_problem(url):
        return f"the next link {redact_text(url)!r} is not a valid URL ({problem})"
    host = origin(url)[1]
    if host not in hosts:
        return (
            f"the next link {redact(url)} leaves {', '.join(sorted(hosts))} "
            f"(list {host} under hosts in a sources file to follow it)"
        )
    if urldefrag(url).url in read:
        return f"the next link {redact(url)} leads back to a page already read (a loop)"
    return f"the next link {redact(url)} was not followed"  # choose_next takes such a link
