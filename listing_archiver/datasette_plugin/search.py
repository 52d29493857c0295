"""Search on ``current_posts``, planned by how many posts the words match.

Datasette's own search adds ``rowid in (select rowid from the FTS table where … match
…)`` to each of the page's queries (rows, count, every facet), and SQLite runs each one
from the list of matches: a seek into ``posts`` per match. For a word in a few posts that
is the best plan. For a word in 230,000 of a million posts it is five passes of 230,000
seeks, 1.7 s a page. So the plugin searches ``current_posts`` itself (the metadata names
no ``fts_table``, and the ``filters_from_request`` hook below adds the clause):

- It first counts the matches in the full-text index alone, which holds current versions
  only (``archive.current``), so that count *is* the page's count: about 9 ms for those
  230,000.
- Up to ``broad_search`` matches (plugin setting, default ``BROAD_SEARCH``) the clause is
  Datasette's, and the page is Datasette's page: count, facets, any sort.
- Above it the clause reads ``+rowid in (…)``: SQLite then keeps the matches as a set
  (~30 ms for 230,000) and walks the page's own index (the date order, or a filter's
  source, author, year) checking each row against it, stopping at the page's last row.
- A broad search with no filter besides it also skips the count and the facets
  (``_nocount=1&_nofacet=1&_broad=1``, added by the ASGI wrapper before Datasette reads
  the request, and decided again on each request): both would read every match. The
  count from the index is in the page's heading instead, with what narrows the search.
  Filtered, the count and facets come back: they read only the filter's rows.

``_search_<column>`` (title, excerpt) and ``_searchmode=raw`` work as in Datasette.
"""

from __future__ import annotations

import sqlite3
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from listing_archiver.archive.current import FTS_TABLE

from .names import PLUGIN, TABLE

BROAD_SEARCH = 20_000  # matches above which a search is "broad" (see the module docstring)
SEARCH_ARG = "_search"
MATCHES = "listing_archiver.search_matches"  # the scope key the wrapper leaves its count in
MARK = "_broad"  # in a request: the plugin added the arguments of ADDED
ADDED = ("_nocount", "_nofacet", MARK)
# Datasette's own arguments start with "_" and do not filter (``_sort``, ``_size``…),
# but for these.
UNDERSCORED_FILTERS = frozenset({"_where"})


def broad_search(datasette: Any) -> int:
    """The ``broad_search`` plugin setting (metadata ``plugins``), or ``BROAD_SEARCH``."""
    config = datasette.plugin_config(PLUGIN) or {}
    value = config.get("broad_search", BROAD_SEARCH)
    return value if isinstance(value, int) and value >= 0 else BROAD_SEARCH


def _match(raw: bool, param: str) -> str:
    return f":{param}" if raw else f"escape_fts(:{param})"


async def count_matches(database: Any, search: str, raw: bool) -> int | None:
    """How many current posts ``search`` matches, from the full-text index alone; None
    when the index refuses the query (raw syntax): Datasette then reports the error."""
    from datasette.database import QueryInterrupted

    try:
        rows = await database.execute(
            f"select count(*) from {FTS_TABLE} where {FTS_TABLE} match {_match(raw, 'search')}",
            {"search": search},
        )
    except (sqlite3.Error, QueryInterrupted):
        return None
    return int(rows.first()[0])


def _raw(pairs: list[tuple[str, str]], metadata: dict[str, Any]) -> bool:
    mode = dict(pairs).get("_searchmode") or metadata.get("searchmode")
    return mode == "raw"


def _is_filter(key: str) -> bool:
    return not key.startswith("_") or key in UNDERSCORED_FILTERS or key.startswith(f"{SEARCH_ARG}_")


async def scope_for_broad_search(
    scope: MutableMapping[str, Any], datasette: Any, database: Any, table: str
) -> MutableMapping[str, Any]:
    """``scope`` with ``_nocount=1&_nofacet=1`` added (and ``_broad=1``, saying the
    plugin added them) when it asks ``current_posts`` for a broad search and nothing else
    narrows it, and the count it found left in the scope for the filter hook.

    Datasette carries the page's arguments into its links and its search form, so a
    request may come back with ours and another search or a filter: what ``_broad=1``
    came with is dropped and decided again."""
    query = scope.get("query_string", b"").decode("latin-1")
    pairs = parse_qsl(query, keep_blank_values=True)
    changed = any(key == MARK for key, _ in pairs)
    if changed:
        pairs = [(key, value) for key, value in pairs if key not in ADDED]
    search = dict(pairs).get(SEARCH_ARG, "")
    if table == TABLE and search and not any(_is_filter(key) for key, _ in pairs):
        metadata = datasette.table_metadata(database.name, table) or {}
        matches = await count_matches(database, search, _raw(pairs, metadata))
        if matches is not None:
            scope = {**scope, MATCHES: matches}
            if matches > broad_search(datasette):
                pairs += [(key, "1") for key in ADDED]
                changed = True
    if not changed:
        return scope
    return {**scope, "query_string": urlencode(pairs).encode("latin-1")}


def search_filter(request: Any, database: str, datasette: Any) -> Any:
    """The ``filters_from_request`` hook's answer for ``current_posts``: a coroutine
    function Datasette awaits, giving the search clause, its params and description."""
    from datasette.filters import FilterArguments

    async def filter_arguments() -> Any:
        context: dict[str, Any] = {"supports_search": True}
        pairs = [
            (key, value) for key in request.args for value in request.args.getlist(key) if value
        ]
        metadata = datasette.table_metadata(database, TABLE) or {}
        raw = _raw(pairs, metadata)
        where: list[str] = []
        params: dict[str, str] = {}
        described: list[str] = []
        for number, (key, value) in enumerate(pairs):
            if key == SEARCH_ARG:
                clause, description = await _everywhere(request, database, datasette, value, raw)
                context["search"] = value
            elif key.startswith(f"{SEARCH_ARG}_"):
                column = key.removeprefix(f"{SEARCH_ARG}_")
                if column not in ("title", "excerpt"):
                    from datasette.utils.asgi import BadRequest

                    raise BadRequest("Cannot search by that column")
                clause = f"rowid in (select rowid from {FTS_TABLE} where {column} match %s)"
                description = f'{column} matches "{value}"'
            else:
                continue
            param = f"archive_search_{number}"
            where.append(clause % _match(raw, param))
            params[param] = value
            described.append(description)
        return FilterArguments(
            where, params=params, human_descriptions=described, extra_context=context
        )

    return filter_arguments


async def _everywhere(
    request: Any, database: str, datasette: Any, search: str, raw: bool
) -> tuple[str, str]:
    """The clause (``%s`` for the match expression) and description of ``_search``."""
    matches = request.scope.get(MATCHES)
    if matches is None:
        matches = await count_matches(datasette.get_database(database), search, raw)
    description = f'search matches "{search}"'
    if matches is None or matches <= broad_search(datasette):
        return f"rowid in (select rowid from {FTS_TABLE} where {FTS_TABLE} match %s)", description
    if request.args.get(MARK):
        description += (
            f" ({matches:,} posts: too many to count by source, author and year;"
            " a filter or another word narrows them)"
        )
    return f"+rowid in (select rowid from {FTS_TABLE} where {FTS_TABLE} match %s)", description
