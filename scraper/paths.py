"""Selectors for learned elements: how the learner names an item block, or a field's
element relative to its item, in the selector language the lxml fast path compiles.

Classes that vary along a list (digits, BEM modifiers, per-post categories) are left
out, so one selector reads every item of the list and the pages after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .select import LxmlDocument, LxmlElement, compile_selector, select

CSS_IDENT = re.compile(r"^-?[_a-zA-Z][_a-zA-Z0-9-]*$")
VARYING_PREFIXES = ("is-", "has-", "category-", "tag-", "format-", "status-", "type-")


def step(element: LxmlElement, *, classes: bool = True) -> str:
    """An element as one selector step: its tag and its classes that do not vary along
    a list (no digits, modifiers or per-post categories)."""
    tag = str(element.tag)
    if not classes:
        return tag
    kept = sorted(
        c
        for c in str(element.get("class") or "").split()
        if CSS_IDENT.match(c)
        and not any(ch.isdigit() for ch in c)
        and "--" not in c
        and not c.startswith(VARYING_PREFIXES)
    )
    return ".".join([tag, *kept])


def path_key(element: LxmlElement) -> tuple[str, ...]:
    return tuple(step(e) for e in (element, *element.iterancestors()))


def relative(element: LxmlElement, item: LxmlElement) -> list[str]:
    """Selectors that find ``element`` from ``item``: the full child path, with and
    without classes, the element's own step, and its parent's step above it."""
    chain = []
    node = element
    while node is not None and node is not item:
        chain.append(node)
        node = node.getparent()
    chain.reverse()
    if not chain:
        return []
    full = [step(e) for e in chain]
    bare = [step(e, classes=False) for e in chain]
    found = [":scope > " + " > ".join(full), ":scope > " + " > ".join(bare), full[-1]]
    if len(full) > 1:
        found.append(f"{full[-2]} > {full[-1]}")
    # The n-th of its kind, where the same step repeats in one parent (meta paragraphs).
    nth = [f"{s}:nth-of-type({nth_of_type(e)})" for s, e in zip(bare, chain, strict=True)]
    found += [":scope > " + " > ".join(nth), ":scope > " + " > ".join([*full[:-1], nth[-1]])]
    return [s for s in dict.fromkeys(found) if compile_selector(s) is not None]


def nth_of_type(element: LxmlElement) -> int:
    return 1 + sum(1 for s in element.itersiblings(preceding=True) if s.tag == element.tag)


def item_selector(document: LxmlDocument, items: Sequence[LxmlElement]) -> str | None:
    """The shortest selector that selects exactly the items: a child path of one to
    four steps (with classes, bare, or with the classes every item shares even where
    they hold digits, such as a grid's ``col-lg-3``), alone or under their nearest
    common ancestor that a step of its own (an id, classes) names uniquely; else None."""
    wanted = set(items)
    paths = []
    for depth in (1, 2, 3, 4):
        for mode in ("classes", "bare", "shared"):
            steps = []
            for level in range(depth):
                row = [up(i, level) for i in items]
                if mode == "shared":
                    kinds = {shared_step(row)}
                else:
                    kinds = {step(e, classes=mode == "classes") for e in row}
                if len(kinds) != 1:
                    break
                steps.append(kinds.pop())
            if len(steps) == depth:
                paths.append(" > ".join(reversed(steps)))
    anchors = [a for a in common_ancestors(items) if len(select(document, a)) == 1]
    options = [*paths, *(f"{a} {p}" for a in anchors[:2] for p in paths)]
    for selector in sorted(dict.fromkeys(options), key=len):
        if compile_selector(selector) is not None and set(select(document, selector)) == wanted:
            return selector
    return None


def shared_step(elements: Sequence[LxmlElement]) -> str:
    """The elements' tag (``*`` where they differ) and the classes they all hold."""
    tags = {str(e.tag) for e in elements}
    shared = set(str(elements[0].get("class") or "").split())
    for element in elements[1:]:
        shared &= set(str(element.get("class") or "").split())
    kept = sorted(c for c in shared if CSS_IDENT.match(c))
    return ".".join([tags.pop() if len(tags) == 1 else "*", *kept])


def common_ancestors(items: Sequence[LxmlElement]) -> list[str]:
    """Steps naming the ancestors all items share, nearest first: ``#id`` where there is
    one, else the tag and classes."""
    shared = set(items[0].iterancestors())
    for item in items[1:]:
        shared &= set(item.iterancestors())
    steps = []
    for ancestor in items[0].iterancestors():
        if ancestor in shared and ancestor.tag not in ("html", "body"):
            ident = str(ancestor.get("id") or "")
            steps.append(f"#{ident}" if CSS_IDENT.match(ident) else step(ancestor))
    return [s for s in steps if "." in s or s.startswith("#")]


def up(element: LxmlElement, levels: int) -> LxmlElement:
    for _ in range(levels):
        element = element.getparent() if element.getparent() is not None else element
    return element
