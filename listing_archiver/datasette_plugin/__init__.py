"""listing-archiver's Datasette plugin: what the bundled metadata cannot do on its own.

Datasette finds it through the package's ``datasette`` entry point (pyproject.toml), so
``listing-archiver serve`` and a plain ``datasette archive.db -m …`` in the same environment
both load it. It gives the archive's canned queries two SQL functions (``word_diff`` and
``version_changes``: an edit shown as ``listing-archiver history`` prints it), and, only
where the served metadata is the archive's own (its ``source`` is ``listing-archiver``, so
any other database served from the same environment looks as Datasette made it):

- a stylesheet: compact column descriptions, so the first screen of a table shows rows;
  the hash column of ``posts`` narrowed; removed and added words coloured;
- ``posts`` led by its title rather than its 64-character hash (``posts_table``);
- client errors (a 404…) answered without the traceback box Datasette's default handler
  prints for each of them: uvicorn's access log line is all ``serve`` shows;
- the archive read through memory-mapped I/O (``MMAP_BYTES``), and a ``_facet=`` that
  repeats one of the metadata's facets counted once (``repeated_facets``);
- ``current_posts``'s facets read from the counts the archive keeps (``counted_facets``),
  and its search planned by how many posts the words match (``search``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Coroutine, Generator
from typing import Any

from markupsafe import Markup, escape
from pluggy import HookimplMarker

from listing_archiver.archive.history import FIELDS, describe_field_changes, word_diff

from .counted_facets import CountedFacet
from .names import PLUGIN, TABLE
from .posts_table import install_posts_table
from .repeated_facets import Scope, table_at, without_repeats
from .search import scope_for_broad_search, search_filter

hookimpl = HookimplMarker("datasette")  # what ``datasette.hookimpl`` is

SOURCE = "listing-archiver"  # the metadata's "source": this Datasette serves an archive
STYLESHEET = "archive.css"
NO_VISIBLE_CHANGE = "(no visible change)"  # as ``history`` says it
CHANGES_COLUMN = "changes"  # the edited-posts query's column rendered as a coloured diff
HASH_SHOWN = 12  # characters of a content hash shown as the link to its version
# Each of Datasette's connections to the archive maps the file rather than reading it page
# by page into a 2 MB cache: at a million posts (2 GB) a search or facet reads ~230,000
# rows or a million index entries per query, a read() each from the page cache otherwise
# (a third of the time, in the kernel). SQLite caps it at its build's limit (2 GB here).
MMAP_BYTES = 1 << 32

REWRITTEN_ARGS = re.compile(rb"_facet|_search|_broad")  # what asgi_wrapper may rewrite
_REMOVED = re.compile(r"\[-(.*?)-\]", re.S)
_ADDED = re.compile(r"\{\+(.*?)\+\}", re.S)


def sql_word_diff(before: str | None, after: str | None) -> str | None:
    """``word_diff(a, b)`` in SQL: null where there is nothing to compare or nothing changed."""
    if before is None or after is None or before == after:
        return None
    return word_diff(before, after)


def sql_version_changes(*values: str | None) -> str:
    """``version_changes(old title, date, author, excerpt, url, new …)``: one line per
    changed field, as ``history`` prints them between two versions."""
    count = len(FIELDS)  # SQLite checks the argument count: 2 * count
    old = dict(zip(FIELDS, values[:count], strict=True))
    new = dict(zip(FIELDS, values[count:], strict=True))
    return "\n".join(describe_field_changes(old, new)) or NO_VISIBLE_CHANGE


def changes_html(text: str) -> Markup:
    """A ``version_changes`` text as HTML: ``<del>``/``<ins>`` for the words, a line a field."""
    marked = _ADDED.sub(r"<ins>\1</ins>", _REMOVED.sub(r"<del>\1</del>", str(escape(text))))
    return Markup(marked.replace("\n", "<br>"))


def is_archive(datasette: Any) -> bool:
    """Whether this Datasette serves the archive's own metadata."""
    return bool(datasette.metadata("source") == SOURCE)


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("word_diff", 2, sql_word_diff, deterministic=True)
    conn.create_function(
        "version_changes", 2 * len(FIELDS), sql_version_changes, deterministic=True
    )


@hookimpl(specname="prepare_connection")
def map_the_archive(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    """Memory-mapped reads for the archive's connections (not Datasette's ``_internal``)."""
    if database != "_internal" and is_archive(datasette):
        conn.execute(f"pragma mmap_size = {MMAP_BYTES}")


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[Any], Any]:
    """Rewrites a table page's request before Datasette reads it, on the archive only:
    a repeated facet dropped (``repeated_facets``), a broad search's count and facets
    skipped (``search``)."""

    def wrap(app: Any) -> Any:
        async def archive_app(scope: Scope, receive: Any, send: Any) -> None:
            query = scope.get("query_string", b"")
            if (
                scope.get("type") == "http"
                and REWRITTEN_ARGS.search(query)  # most requests: nothing to look at
                and is_archive(datasette)
            ):
                found = table_at(datasette, scope.get("path", ""))
                if found is not None:
                    scope = without_repeats(datasette, scope, *found)
                    scope = await scope_for_broad_search(scope, datasette, *found)
            await app(scope, receive, send)

        return archive_app

    return wrap


@hookimpl
def register_facet_classes() -> list[type]:
    return [CountedFacet]


@hookimpl(trylast=True)  # after Datasette's own search filter: its context must not win
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    if table != TABLE or not is_archive(datasette):
        return None
    return search_filter(request, database, datasette)


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    if is_archive(datasette):
        install_posts_table(env)


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    if not is_archive(datasette):
        return []
    return [datasette.urls.static_plugins(PLUGIN, STYLESHEET)]


@hookimpl
def render_cell(
    value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    """The edited-posts query's ``changes`` coloured (a query's cells have no table), and
    ``current_posts.content_hash`` a link to the version's page in ``posts``: a view has
    no row pages, and that page shows the excerpt the table cut short, and its sightings."""
    if not isinstance(value, str) or not value or not is_archive(datasette):
        return None
    if table is None and column == CHANGES_COLUMN:
        return changes_html(value)
    if table == "current_posts" and column == "content_hash":
        href = datasette.urls.row(database, "posts", tilde_encode(value))
        return Markup('<a href="{}" title="{}">{}…</a>').format(href, value, value[:HASH_SHOWN])
    return None


def tilde_encode(value: str) -> str:
    from datasette.utils import tilde_encode as encode

    return str(encode(value))


@hookimpl(hookwrapper=True)
def handle_exception(
    datasette: Any, request: Any, exception: BaseException
) -> Generator[None, Any, None]:
    """Replaces the default handler's answer to a client error (4xx) by the same page
    without the traceback it prints. A wrapper, because Datasette awaits every handler's
    answer (printing the traceback) and only then picks the first: the default's must not
    be awaited at all."""
    outcome = yield
    if is_archive(datasette) and _client_error_status(exception):
        outcome.force_result([_quiet_error_page(datasette, request, exception)])


def _client_error_status(exception: BaseException) -> int | None:
    from datasette.utils.asgi import Base400

    return int(exception.status) if isinstance(exception, Base400) else None


def _quiet_error_page(
    datasette: Any, request: Any, exception: BaseException
) -> Callable[[], Coroutine[Any, Any, Any]]:
    """Datasette's error page (its ``error.html``, or JSON for a ``.json`` path), unlogged."""
    from datasette import Response
    from datasette.utils import add_cors_headers

    async def respond() -> Any:
        status = _client_error_status(exception)
        info = {"ok": False, "error": str(exception), "status": status, "title": None}
        headers: dict[str, str] = {}
        if datasette.cors:
            add_cors_headers(headers)
        if request.path.endswith(".json"):
            return Response.json(info, status=status, headers=headers)
        page = await datasette.render_template(
            [f"{status}.html", "error.html"], info, request=request
        )
        return Response.html(page, status=status, headers=headers)

    return respond
