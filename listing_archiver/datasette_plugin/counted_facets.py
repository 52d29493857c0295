"""``current_posts``'s facets read from the counts the archive keeps, when they can be.

Datasette counts a column facet with a ``group by`` over the page's rows. On the
unfiltered table that is every current post, three facets a page view (source, author,
year): at a million posts each reads a million index entries, 80-170 ms. The archive
keeps those counts (``archive.facet_counts``, triggers in the page's transaction), so
the metadata lists these facets as ``{"counted": "author"}``: this facet type answers
the unfiltered table from the kept counts, and any other page (filtered, searched) as
Datasette's column facet does, counting its own rows. Same values, same order, same
links either way; the tests compare them with Datasette's own column facet.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import suppress
from typing import Any

from datasette.facets import ColumnFacet
from datasette.utils import path_with_added_args, path_with_removed_args

from listing_archiver.archive.facet_counts import COUNTED_COLUMNS, TOP_VALUES_SQL

from .names import TABLE

TYPE = "counted"
SHOWN_TYPE = "column"
# The SQL Datasette hands a facet for the table's own page (``select <its columns> from
# current_posts``): every row, no filter, since a filter or search ends it with ``where``.
_UNFILTERED = re.compile(rf"select .+ from \[?{TABLE}\]?\s*", re.S)


class CountedFacet(ColumnFacet):  # type: ignore[misc]  # Datasette is untyped
    """A column facet (``{"counted": "author"}`` in the metadata) whose counts for the
    unfiltered ``current_posts`` come from ``current_facet_counts``."""

    type = TYPE

    async def suggest(self) -> list[Any]:
        return []  # Datasette's column facet suggests the same columns already

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] | None = None
        timed_out: list[str] = []
        if self._unfiltered():
            with suppress(sqlite3.OperationalError):  # an archive served before m012
                results = await self._kept_counts()
        if results is None:
            results, timed_out = await super().facet_results()
        for facet in results:  # shown as what it is, a column facet ("author", not
            facet["type"] = SHOWN_TYPE  # "author (counted)" as the template would say)
        return results, timed_out

    async def _kept_counts(self) -> list[dict[str, Any]]:
        results = []
        size = self.get_facet_size()
        for config in self.get_configs():
            column = config["config"].get("column") or config["config"]["simple"]
            rows = list(
                await self.ds.execute(
                    self.database, TOP_VALUES_SQL, {"column": column, "limit": size + 1}
                )
            )
            values = [
                {
                    "value": value,
                    "label": value,
                    "count": count,
                    "toggle_url": self.ds.absolute_url(
                        self.request,
                        self.ds.urls.path(path_with_added_args(self.request, {column: value})),
                    ),
                    "selected": False,  # a selected value filters the table: not here
                }
                for value, count in rows[:size]
            ]
            results.append(
                {
                    "name": column,
                    "hideable": config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(
                        path_with_removed_args(self.request, {f"_facet_{TYPE}": column})
                    ),
                    "results": values,
                    "truncated": len(rows) > size,
                }
            )
        return results

    def _unfiltered(self) -> bool:
        """The unfiltered table, faceted only by columns the archive counts."""
        columns = {
            config["config"].get("column") or config["config"]["simple"]
            for config in self.get_configs()
        }
        return (
            self.table == TABLE
            and not self.params
            and _UNFILTERED.fullmatch(self.sql) is not None
            and columns <= set(COUNTED_COLUMNS)
        )
