"""HTML documents on lxml, and CSS selectors on them with soupsieve's semantics.

The profile path of ``parse_page`` reads a page once with lxml's HTML parser (the same
libxml2 parser BeautifulSoup's "lxml" builder drives, so the same tree) and evaluates
profile selectors as XPath: each selector string is compiled once, by cssselect's parser
and a translator that follows soupsieve where cssselect differs:

- A selector matches an element when the *whole* selector matches it in the document:
  ``block.select_one("header h2")`` finds an ``h2`` inside ``block`` whose ``header``
  ancestor may be outside it. Combinators are therefore compiled right to left, as
  conditions on reverse axes (``descendant::h2[ancestor::header]``), not as a path
  walked down from the scope (which would confine ``header`` to the block).
- ``:scope`` is the element selected from (the root element for a document), at the
  start of a selector or not.
- Attribute values: ``=``, ``~=``, ``|=``, ``^=``, ``$=``, ``*=``, ``!=`` as soupsieve
  defines them (an empty ``^=``/``$=``/``*=``/``~=`` value matches nothing; ``!=``
  matches elements without the attribute); the attributes HTML compares without case
  (``rel``, ``type``, ``lang``...) compared in ASCII lower case; BeautifulSoup's
  multi-valued attributes (``class``, and ``rel`` on links...) read as their tokens
  joined by single spaces, since that is the value soupsieve sees.

Anything the translator cannot express exactly is refused (``compile_selector`` returns
None) rather than approximated: pseudo-classes other than the structural ones, ``:has``,
``:not``, ``:is``/``:where`` and ``:scope``; namespaces; ``*:first-of-type`` and other
``-of-type`` on ``*``; ``:nth-child(An+B of S)``; ``:root``, ``:empty``, ``:contains``,
``:lang``...; a test of a boolean attribute's value (``[checked=""]``). A profile using
one is read by BeautifulSoup and soupsieve instead (see ``parse.fast_path_supports``),
so such a selector costs speed, never correctness.

One known difference remains: class (and other multi-valued attribute) tokens are split
at ASCII and Unicode spaces, as BeautifulSoup splits them, except at the control
characters Python also counts as whitespace (vertical tab, form feed, U+001C-U+001F),
which XPath 1.0 cannot name.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from string import ascii_lowercase, ascii_uppercase
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard

from cssselect import GenericTranslator, HTMLTranslator, SelectorError
from cssselect.parser import (
    Attrib,
    CombinedSelector,
    Function,
    Negation,
    Pseudo,
    Tree,
    ascii_lower,
    parse,
)
from cssselect.xpath import ExpressionError, XPathExpr
from lxml import etree  # type: ignore[import-untyped]

if TYPE_CHECKING:  # bs4 is imported only by pages that need it: a profile walk does not
    from bs4.element import Tag

# lxml ships no type information: its elements and trees are Any at this boundary.
LxmlElement: TypeAlias = Any
LxmlDocument: TypeAlias = Any  # an lxml ElementTree: selecting from it searches the page

# soupsieve compares these attributes' values without (ASCII) case in HTML documents.
HTML_CASE_INSENSITIVE_ATTRIBUTES = frozenset(
    (
        "accept", "accept-charset", "align", "alink", "axis", "bgcolor", "charset",
        "checked", "clear", "codetype", "color", "compact", "declare", "defer", "dir",
        "direction", "disabled", "enctype", "face", "frame", "hreflang", "http-equiv",
        "lang", "language", "link", "media", "method", "multiple", "nohref", "noresize",
        "noshade", "nowrap", "readonly", "rel", "rev", "rules", "scope", "scrolling",
        "selected", "shape", "target", "text", "type", "valign", "valuetype", "vlink",
    )
)  # fmt: skip
# Attributes BeautifulSoup splits into tokens, per element ("*": every element).
# HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES, copied so that the fast path does not
# import bs4 (tests/test_fastpath.py checks the copy against it).
_LIST_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "accesskey", "dropzone"},
    "a": {"rel", "rev"},
    "link": {"rel", "rev"},
    "td": {"headers"},
    "th": {"headers"},
    "form": {"accept-charset"},
    "object": {"archive"},
    "area": {"rel"},
    "icon": {"sizes"},
    "iframe": {"sandbox"},
    "output": {"for"},
}
# Whitespace BeautifulSoup splits tokens at (Python's \s) that XPath can name, besides
# the four normalize-space() handles.
_UNICODE_SPACES = (
    "\x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
_SPACES = " " * len(_UNICODE_SPACES)


def _tokens(value: str) -> str:
    """The XPath string ``value`` (an attribute) as BeautifulSoup's tokens joined by spaces."""
    return f"normalize-space(translate({value}, '{_UNICODE_SPACES}', '{_SPACES}'))"


_CSS_SPACE = re.compile(r"[ \t\r\n\f]")  # what separates words for ~= in soupsieve
# HTML boolean attributes written bare (<input checked>) have their own name as value in
# libxml2's tree, "" in BeautifulSoup's: tests of their value are left to soupsieve.
_BOOLEAN_ATTRIBUTES = frozenset(
    ("checked", "compact", "declare", "defer", "disabled", "ismap", "multiple", "nohref",
     "noresize", "noshade", "nowrap", "readonly", "selected")
)  # fmt: skip

_STRUCTURAL = frozenset(
    ("first-child", "last-child", "only-child", "first-of-type", "last-of-type", "only-of-type")
)
_NTH = frozenset(("nth-child", "nth-last-child", "nth-of-type", "nth-last-of-type"))
# Combinators as conditions on the element they lead to: "A > B" is B[parent::A].
_REVERSE_AXES = {
    " ": "ancestor::",
    ">": "parent::",
    "+": "preceding-sibling::*[1]/self::",
    "~": "preceding-sibling::",
}


def _literal(value: str) -> str:
    return GenericTranslator.xpath_literal(value)


class _Translator(HTMLTranslator):
    """cssselect's HTML translator, narrowed and corrected to soupsieve's semantics."""

    def match(self, tree: Tree) -> XPathExpr:
        """The element test (name and condition) for elements ``tree`` matches."""
        if isinstance(tree, CombinedSelector):
            right = self.match(tree.subselector)
            left = self.match(tree.selector)
            return right.add_condition(f"{_REVERSE_AXES[tree.combinator]}{left}")
        expr = self.xpath(tree)
        if expr.path:  # every combinator is handled above; be sure
            raise ExpressionError("unexpected path in a compound selector")
        return expr

    def xpath_negation(self, negation: Negation) -> XPathExpr:
        xpath = self.xpath(negation.selector)
        inner = self.match(negation.subselector)
        inner.add_name_test()
        return xpath.add_condition(f"not({inner.condition})" if inner.condition else "0")

    def xpath_pseudo(self, pseudo: Pseudo) -> XPathExpr:
        if pseudo.ident.lower() not in _STRUCTURAL | {"scope"}:
            raise ExpressionError(f":{pseudo.ident} is left to soupsieve")
        return super().xpath_pseudo(pseudo)

    def xpath_function(self, function: Function) -> XPathExpr:
        if function.name.lower() not in _NTH:
            raise ExpressionError(f":{function.name}() is left to soupsieve")
        return super().xpath_function(function)

    def xpath_scope_pseudo(self, xpath: XPathExpr) -> XPathExpr:
        return xpath.add_condition("count(. | $scope) = 1")

    def xpath_element(self, selector: Any) -> XPathExpr:
        if selector.namespace:
            raise ExpressionError("namespaces are left to soupsieve")
        return super().xpath_element(selector)

    def xpath_attrib(self, selector: Attrib) -> XPathExpr:
        xpath = self.xpath(selector.selector)
        name = selector.attrib.lower()
        if selector.namespace or not re.fullmatch(r"[a-z_][a-z0-9_.-]*", name):
            raise ExpressionError("this attribute name is left to soupsieve")
        attr = f"@{name}"
        if selector.operator == "exists":
            return xpath.add_condition(attr)
        if name in _BOOLEAN_ATTRIBUTES:
            raise ExpressionError("values of boolean attributes are left to soupsieve")
        value = str(selector.value.value if selector.value is not None else "")
        if selector.flag == "i" or (
            selector.flag is None and name in HTML_CASE_INSENSITIVE_ATTRIBUTES
        ):
            value = ascii_lower(value)
            fold = True
        else:
            fold = False

        def test(raw: str) -> str:
            text = raw
            if fold:
                text = f"translate({text}, '{ascii_uppercase}', '{ascii_lowercase}')"
            return _value_test(selector.operator, text, value)

        tags = {tag for tag, names in _LIST_ATTRIBUTES.items() if name in names}
        if "*" in tags or xpath.element in tags:
            condition = test(_tokens(attr))
        elif not tags or xpath.element != "*":
            condition = test(attr)
        else:  # split on some elements only, and this selector names no element
            is_list = " or ".join(f"self::{tag}" for tag in sorted(tags))
            condition = (
                f"(({is_list}) and {test(_tokens(attr))}) or (not({is_list}) and {test(attr)})"
            )
        if selector.operator == "!=":
            return xpath.add_condition(f"not({attr}) or not({condition})")
        return xpath.add_condition(f"{attr} and ({condition})")

    def xpath_class(self, class_selector: Any) -> XPathExpr:
        xpath = self.xpath(class_selector.selector)
        name = class_selector.class_name
        token = _literal(f" {name} ")
        ascii_split = f"contains(concat(' ', normalize-space(@class), ' '), {token})"
        unicode_split = f"contains(concat(' ', {_tokens('@class')}, ' '), {token})"
        # The substring test first rejects most elements without building a string; the
        # split at Unicode spaces is tried only when the split at ASCII ones fails.
        return xpath.add_condition(
            f"contains(@class, {_literal(name)}) and ({ascii_split} or {unicode_split})"
        )


def _value_test(operator: str, text: str, value: str) -> str:
    """An attribute value test on the string expression ``text``, as soupsieve's."""
    lit = _literal(value)
    if operator in ("=", "!="):
        return f"{text} = {lit}"
    if operator == "~=":
        if not value or _CSS_SPACE.search(value):
            return "0"
        return f"contains(concat(' ', normalize-space({text}), ' '), {_literal(f' {value} ')})"
    if operator == "|=":
        return f"({text} = {lit} or starts-with({text}, {_literal(value + '-')}))"
    if not value:  # ^= $= *= with nothing to look for
        return "0"
    if operator == "^=":
        return f"starts-with({text}, {lit})"
    if operator == "$=":
        return f"substring({text}, string-length({text}) - {len(value) - 1}) = {lit}"
    if operator == "*=":
        return f"contains({text}, {lit})"
    raise ExpressionError(f"unknown attribute operator {operator}")


_TRANSLATOR = _Translator()


@dataclass(frozen=True)
class CompiledSelector:
    """One CSS selector (group) as XPath, in the forms ``select`` and ``select_one``
    use: the descendants of an element, or the whole document (from any element in it),
    each for all matches or only the first."""

    css: str
    within: Callable[..., list[LxmlElement]]
    first_within: Callable[..., list[LxmlElement]]
    anywhere: Callable[..., list[LxmlElement]]
    first_anywhere: Callable[..., list[LxmlElement]]
    uses_scope: bool  # needs the $scope variable: the element selected from


def _xpath(expression: str) -> Callable[..., list[LxmlElement]]:
    # Without the EXSLT regular expression functions: unused, and registered per call.
    return etree.XPath(expression, regexp=False)  # type: ignore[no-any-return]


@lru_cache(maxsize=4096)
def compile_selector(css: str) -> CompiledSelector | None:
    """``css`` compiled for lxml, or None when only soupsieve can evaluate it exactly
    (or it is not a selector at all; soupsieve then says why)."""
    try:
        tests = []
        for selector in parse(css):
            if selector.pseudo_element:
                return None
            tests.append(str(_TRANSLATOR.match(selector.parsed_tree)))
        within = " | ".join(f"descendant::{test}" for test in tests)
        anywhere = " | ".join(f"/descendant::{test}" for test in tests)
        return CompiledSelector(
            css=css,
            within=_xpath(within),
            first_within=_xpath(f"({within})[1]"),
            anywhere=_xpath(anywhere),
            first_anywhere=_xpath(f"({anywhere})[1]"),
            uses_scope="$scope" in within,
        )
    except (SelectorError, etree.XPathError, ValueError, TypeError, KeyError):
        return None


def is_lxml(node: object) -> TypeGuard[LxmlElement | LxmlDocument]:
    """An lxml element or document (the fast path's tree) rather than BeautifulSoup's.
    Asked this way round so that telling them apart needs no bs4 import."""
    return isinstance(node, etree._Element | etree._ElementTree)


def select(scope: Tag | LxmlElement | LxmlDocument, css: str) -> list[Any]:
    """Elements matching ``css`` inside ``scope`` (never ``scope`` itself), in document
    order: soupsieve on a BeautifulSoup tag, compiled XPath on lxml. Selecting from an
    lxml ElementTree searches the whole document, as selecting from a BeautifulSoup does."""
    if not is_lxml(scope):
        return list(scope.select(css))
    return _evaluate(scope, css, first=False)


def select_one(scope: Tag | LxmlElement | LxmlDocument, css: str) -> Any | None:
    """The first element ``select`` would give, or None."""
    if not is_lxml(scope):
        return scope.select_one(css)
    found = _evaluate(scope, css, first=True)
    return found[0] if found else None


def _compiled(css: str) -> CompiledSelector:
    compiled = compile_selector(css)
    if compiled is None:
        raise UnsupportedSelector(css)
    return compiled


def _evaluate(scope: LxmlElement | LxmlDocument, css: str, *, first: bool) -> list[Any]:
    compiled = _compiled(css)
    if isinstance(scope, etree._ElementTree):
        context = scope.getroot()
        if context is None:
            return []
        xpath = compiled.first_anywhere if first else compiled.anywhere
    else:
        context = scope
        xpath = compiled.first_within if first else compiled.within
    return xpath(context, scope=context) if compiled.uses_scope else xpath(context)


class UnsupportedSelector(ValueError):
    """A selector the lxml fast path does not evaluate: use the BeautifulSoup tree."""

    def __init__(self, css: str) -> None:
        super().__init__(f"selector {css!r} is evaluated by soupsieve only")
        self.css = css


# --- documents ------------------------------------------------------------------------------

_PARSERS = threading.local()  # an lxml parser is not to be shared between threads


def _parser() -> Any:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        # Comments and processing instructions are never visible text, and not elements:
        # dropping them changes no selector's result and no text. No ID table: nothing
        # here uses XPath's id(). The text is decoded already: its UTF-8 is read as such,
        # whatever a <meta charset> or an XML declaration in it says.
        parser = etree.HTMLParser(
            remove_comments=True, remove_pis=True, collect_ids=False, encoding="utf-8"
        )
        _PARSERS.parser = parser
    return parser


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_html(html: str) -> tuple[LxmlDocument | None, str]:
    """``html`` as an lxml ElementTree (None when there is no document at all), and the
    text it was read from: ``html`` itself, or, when it holds lone surrogates (which no
    encoding carries, and at which lxml would silently stop reading a ``str``), with
    them replaced by U+FFFD, so that a second reading (BeautifulSoup) sees the same.

    The tree is the one BeautifulSoup's lxml builder makes from the same text. Markup
    after ``</html>`` becomes a second root element: search the document (the
    ElementTree), not the root element's subtree. lxml's own errors never escape."""
    try:
        data = html.encode("utf-8")
    except UnicodeEncodeError:
        html = _SURROGATE.sub("\ufffd", html)
        data = html.encode("utf-8")
    try:
        root = etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError):
        return None, html
    return (root.getroottree() if root is not None else None), html
