"""``posts`` led by its title, not its hash.

Datasette puts a table's primary key first, as the link to each row; for ``posts`` that is
a 64-character content hash, which took 40% of the width and said nothing to a reader.
Datasette looks for a table's rows template under ``_table-<database>-<table>.html`` before
its own ``_table.html``; this answers that name for ``posts`` (in any database: the name
comes from the file) with a template that moves the ``title`` column first and then hands
over to Datasette's own ``_table.html``: the link to each row stays, one column later
(narrowed by the plugin's stylesheet)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, TemplateNotFound

LEAD_COLUMN = "title"
TEMPLATE_NAME = re.compile(r"_table-.+-posts\.html")
REORDER = "listing_archiver_lead_column"  # the template global doing the work
TEMPLATE = (
    "{%- set display_columns, display_rows = "
    f"{REORDER}(display_columns, display_rows) -%}}\n"
    '{% include "default:_table.html" %}\n'
)


def lead_column(columns: list[dict[str, Any]], rows: list[Any]) -> tuple[list[Any], list[Any]]:
    """``columns`` and each row's cells with ``LEAD_COLUMN`` moved first (unchanged if absent,
    as when ``?_col=`` leaves it out). A row is Datasette's ``Row``: rebuilt as one."""
    names = [column["name"] for column in columns]
    if LEAD_COLUMN not in names:
        return columns, rows
    lead = names.index(LEAD_COLUMN)
    order = [lead, *(i for i in range(len(names)) if i != lead)]
    reordered = []
    for row in rows:
        cells = list(row)
        reordered.append(type(row)([cells[i] for i in order]))
    return [columns[i] for i in order], reordered


class PostsTableLoader(BaseLoader):
    """Answers ``_table-<database>-posts.html`` with ``TEMPLATE``; lists no template (as
    Datasette asks its loaders to at startup): the name is only ever asked for."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if not TEMPLATE_NAME.fullmatch(template):
            raise TemplateNotFound(template)
        return TEMPLATE, None, lambda: True

    def list_templates(self) -> list[str]:
        return []


def install_posts_table(env: Environment) -> None:
    """Puts the ``posts`` template ahead of every other template source of ``env``."""
    loaders: list[BaseLoader] = [PostsTableLoader()]
    if env.loader is not None:
        loaders.append(env.loader)
    env.loader = ChoiceLoader(loaders)
    env.globals[REORDER] = lead_column
