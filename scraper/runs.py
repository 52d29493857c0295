"""Posts laid out as runs of siblings: a heading, then its byline and body as the
heading's next siblings, several posts in one shared block (an Eleventy or Jekyll
listing that prints full posts into one ``<article>``). No element holds one post, so
the learner and the profile's reader make one: each item (the heading) and the
siblings after it, up to the next item, are moved into a ``<div class="la-run">`` in
its place, on lxml trees. The learner does it on a copy of the page; a profile with
``item_run`` does it on the page it reads (only its own, already parsed, tree).
"""

from __future__ import annotations

from collections.abc import Sequence

from .select import LxmlElement

RUN_CLASS = "la-run"


def wrap_runs(items: Sequence[LxmlElement]) -> list[LxmlElement]:
    """Each item with the siblings after it, up to the next item, moved into a new
    ``div.la-run`` where the item was; the new blocks, in order."""
    wanted = {id(item) for item in items}
    wrappers = []
    for item in items:
        if item.getparent() is None:
            continue
        run = [item]
        sibling = item.getnext()
        while sibling is not None and id(sibling) not in wanted:
            run.append(sibling)
            sibling = sibling.getnext()
        wrapper = item.makeelement("div", {"class": RUN_CLASS})
        item.addprevious(wrapper)
        for element in run:
            wrapper.append(element)
        wrappers.append(wrapper)
    return wrappers


def is_run(items: Sequence[LxmlElement]) -> bool:
    """Whether the items are headings side by side in one parent, each followed by
    siblings of its own: the posts are runs, not blocks."""
    parents = {id(item.getparent()) for item in items}
    if len(parents) != 1 or any(str(item.tag) not in HEADINGS for item in items):
        return False
    wanted = {id(item) for item in items}
    followed = sum(1 for item in items if (n := item.getnext()) is not None and id(n) not in wanted)
    return followed >= len(items) - 1


HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
