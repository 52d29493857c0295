"""Why a page leads to no next page, in words a user can act on (``probe``).

It mirrors ``paginate.choose_next``: the page offered candidates and the walk refused
each one, for the reason its log gives. A page that offered none is explained by
``nextpage.why_no_next_link``, beside the detection it describes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from urllib.parse import urldefrag

from .paginate import origin
from .urls import http_url_problem, redact, redact_text

MAX_SHOWN = 3  # refused candidates described; the rest are counted


def no_next_reason(
    candidates: Sequence[str], hosts: Collection[str], walked: Collection[str]
) -> str:
    """Why none of ``candidates`` (a page's next-link URLs, best first) is the next
    page, for a walk allowed on ``hosts`` that has read the pages ``walked``. (A page
    without candidates is ``nextpage.why_no_next_link``'s to explain.)"""
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
