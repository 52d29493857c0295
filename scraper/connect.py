"""Which connection failures retrying cannot cure.

A name that does not resolve, or a host that refuses the connection, answers the same
a second later: the fetcher fails such a request at once unless the host has answered
it before (then a refusal may be a server restarting, worth the usual retries). Found
by cause, not by message: requests wraps urllib3's ``NameResolutionError`` or
``NewConnectionError``, which wraps the ``socket.gaierror`` or
``ConnectionRefusedError`` the operating system raised.
"""

from __future__ import annotations

import socket

# getaddrinfo's answers that mean "no such name": the resolver was asked and said no.
# EAI_AGAIN (a resolver that did not answer in time) is left to the retries.
_NO_SUCH_NAME = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)
HOST_NOT_FOUND, REFUSED = "host name not found", "connection refused"


def connect_failure(exc: BaseException) -> str | None:
    """``HOST_NOT_FOUND`` or ``REFUSED`` when ``exc`` was caused by a name that does not
    resolve or a refused connection; None for any other failure."""
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror) and cause.errno in _NO_SUCH_NAME:
            return HOST_NOT_FOUND
        if isinstance(cause, ConnectionRefusedError):
            return REFUSED
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it wraps: ``__cause__``, ``__context__``, exceptions among
    its ``args``, and urllib3's ``reason`` (``MaxRetryError`` keeps the real one there)."""
    found: list[BaseException] = []
    pending: list[object] = [exc]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        pending += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return found
