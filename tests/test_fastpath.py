"""The lxml fast path reads pages exactly as the BeautifulSoup path did.

``parse_page`` parses with lxml and runs profile selectors as XPath (``scraper.select``);
BeautifulSoup and soupsieve remain the reference. Every check here compares the two on
the same text: the trees, each built-in profile's selectors on every engine fixture
(so a new profile cannot silently select something else), whole pages, text and dates
on every element of generated markup, and generated selectors.
"""

from __future__ import annotations

import html as html_lib
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import soupsieve.css_parser
from bs4 import BeautifulSoup
from bs4.builder import HTMLTreeBuilder
from bs4.element import Tag
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import listing_archiver.scraper.entry as entry_module
import listing_archiver.scraper.parse as parse_module
from listing_archiver.scraper.dates import extract_date
from listing_archiver.scraper.errors import NoEntriesError, ScraperError
from listing_archiver.scraper.parse import fast_path_supports, next_page_tiers, parse_page
from listing_archiver.scraper.profile import PROFILES, SELECTOR_FIELDS, Profile, get_profile
from listing_archiver.scraper.select import (
    _LIST_ATTRIBUTES,
    HTML_CASE_INSENSITIVE_ATTRIBUTES,
    compile_selector,
    parse_html,
    select,
    select_one,
)
from listing_archiver.scraper.text import clean_excerpt, clean_text

from .conftest import FIXTURES
from .server import html_page, papermod_entry
from .test_properties import listing_soup, profile_soup, tag_soup

ENGINE_PAGES = sorted((FIXTURES / "engines").glob("*/listing.html"))
ALL_PAGES = sorted(FIXTURES.glob("**/*.html"))
FETCHED = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
BASE = "https://example.org/blog/"
GENERATED = settings(
    deadline=None,
    max_examples=60,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _name(path: Path) -> str:
    return str(path.relative_to(FIXTURES).parent)


def soup_of(text: str) -> BeautifulSoup:
    with warnings.catch_warnings():  # XMLParsedAsHTMLWarning on odd generated input
        warnings.simplefilter("ignore")
        return BeautifulSoup(text, "lxml")


def tree_of(text: str) -> Any:
    tree, _ = parse_html(text)
    assert tree is not None
    return tree


# --- the same element in both trees ---------------------------------------------------------


def soup_path(element: Tag) -> tuple[tuple[str, int], ...]:
    """Tag names and positions among element siblings, from the top of the document."""
    steps = []
    node: Tag | None = element
    while node is not None and node.parent is not None:
        siblings = [c for c in node.parent.contents if isinstance(c, Tag)]
        steps.append((str(node.name), next(i for i, c in enumerate(siblings) if c is node)))
        node = node.parent
    return tuple(reversed(steps))


def lxml_path(element: Any) -> tuple[tuple[str, int], ...]:
    steps = []
    node = element
    while node is not None:
        parent = node.getparent()
        if parent is None:  # a root: content after </html> makes more than one
            siblings = [*reversed(list(node.itersiblings(preceding=True))), node]
            siblings += list(node.itersiblings())
        else:
            siblings = list(parent)
        siblings = [c for c in siblings if isinstance(c.tag, str)]
        steps.append((node.tag, next(i for i, c in enumerate(siblings) if c is node)))
        node = parent
    return tuple(reversed(steps))


def soup_paths(elements: list[Any]) -> list[tuple[tuple[str, int], ...]]:
    return [soup_path(e) for e in elements]


def lxml_paths(elements: list[Any]) -> list[tuple[tuple[str, int], ...]]:
    return [lxml_path(e) for e in elements]


def profile_selectors(profile: Profile) -> list[str]:
    selectors = [profile.signature] if profile.signature else []
    for field in (*SELECTOR_FIELDS, "excerpt_exclude"):
        value = getattr(profile, field)
        selectors.extend([value] if isinstance(value, str) else value)
    return selectors


# --- the fast path is used, and selects what soupsieve selects ---------------------------------


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_builtin_profile_selector_compiles_for_the_fast_path(name):
    profile = PROFILES[name]
    assert [s for s in profile_selectors(profile) if compile_selector(s) is None] == []
    assert fast_path_supports(profile)


def test_case_insensitive_attributes_are_soupsieves():
    assert HTML_CASE_INSENSITIVE_ATTRIBUTES == soupsieve.css_parser.HTML_CASE_INSENSITIVE_ATTRIBUTES


def test_the_token_list_attributes_are_beautifulsoups():
    expected = HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES
    assert {tag: set(names) for tag, names in expected.items()} == _LIST_ATTRIBUTES


def test_a_walk_of_a_profiled_site_never_imports_beautifulsoup(site, tmp_path):
    # bs4 and soupsieve take a sixth of the tool's start-up; only pages the fast path
    # cannot read (and charsets UTF-8 does not cover) need them.
    code = (
        "import sys\n"
        "from listing_archiver.cli import cli\n"
        f"cli(['scrape', {str(tmp_path / 'a.db')!r}, {site.url('/')!r}, '--delay', '0'],"
        " standalone_mode=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('bs4', 'soupsieve')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "17 new" in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize("page", ENGINE_PAGES, ids=[_name(p) for p in ENGINE_PAGES])
@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_selectors_select_what_soupsieve_selects(name, page):
    """Every selector of every profile on every engine fixture: in the whole document,
    inside each entry block (blocks paired by position), inside each excerpt."""
    profile = PROFILES[name]
    text = page.read_text("utf-8")
    soup, tree = soup_of(text), tree_of(text)
    document_selectors = [
        *([profile.signature] if profile.signature else []),
        profile.item,
        *profile.next,
        "link[rel~=next][href], a[rel~=next][href]",
        "a[href]",
        'meta[name="generator"]',
    ]
    for selector in document_selectors:
        assert lxml_paths(select(tree, selector)) == soup_paths(soup.select(selector)), selector

    soup_blocks, lxml_blocks = soup.select(profile.item), select(tree, profile.item)
    assert len(lxml_blocks) == len(soup_blocks)
    for soup_block, lxml_block in zip(soup_blocks, lxml_blocks, strict=True):
        for field in ("title", "url", "date", "author", "excerpt"):
            for selector in getattr(profile, field):
                expected = soup_block.select(selector)
                assert lxml_paths(select(lxml_block, selector)) == soup_paths(expected), selector
                first = select_one(lxml_block, selector)
                assert (first is None and not expected) or lxml_path(first) == soup_path(
                    expected[0]
                )
        for selector in profile.excerpt:
            for soup_excerpt, lxml_excerpt in zip(
                soup_block.select(selector), select(lxml_block, selector), strict=True
            ):
                for exclude in profile.excerpt_exclude:
                    assert lxml_paths(select(lxml_excerpt, exclude)) == soup_paths(
                        soup_excerpt.select(exclude)
                    ), exclude


# --- whole pages: the fast path against the BeautifulSoup path ---------------------------------


def outcome(parse: Callable[[], Any]) -> Any:
    try:
        return parse()
    except ScraperError as exc:
        return (type(exc).__name__, str(exc))


def both_ways(
    monkeypatch: pytest.MonkeyPatch, text: str, profile: Profile | None, **kwargs: Any
) -> tuple[Any, Any]:
    """parse_page as it runs, and with every page read from its BeautifulSoup tree by
    soupsieve (detection included): the parser before the fast path."""
    fast = outcome(lambda: parse_page(text, BASE, profile, fetched_at=FETCHED, **kwargs))
    with monkeypatch.context() as patch:
        patch.setattr(parse_module.PageTrees, "document", lambda self, *, fast: self.soup)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            soup = outcome(lambda: parse_page(text, BASE, profile, fetched_at=FETCHED, **kwargs))
    return fast, soup


@pytest.mark.parametrize("page", ALL_PAGES, ids=[_name(p) + "/" + p.name for p in ALL_PAGES])
def test_every_fixture_parses_the_same_on_both_paths_with_every_profile(monkeypatch, page):
    text = page.read_text("utf-8")
    for profile in [None, *PROFILES.values()]:
        fast, soup = both_ways(monkeypatch, text, profile)
        assert fast == soup, profile and profile.name


# Markup made of the profiles' own vocabulary, so that generated pages match profiles.
_CLASSES = sorted(
    {
        word
        for profile in PROFILES.values()
        for selector in profile_selectors(profile)
        for word in re.findall(r"\.([A-Za-z_][\w-]*)", selector)
    }
)
_TAGS = (
    "article", "header", "h1", "h2", "h3", "footer", "span", "a", "time", "div", "li", "ul",
    "ol", "nav", "main", "p", "img", "aside", "section", "abbr", "address", "small", "script",
    "br", "b", "em",
)  # fmt: skip
_ATTRIBUTES = st.lists(
    st.one_of(
        st.tuples(st.just("class"), st.lists(st.sampled_from(_CLASSES), max_size=3).map(" ".join)),
        st.tuples(st.just("href"), st.sampled_from(["/p/1/", "#", "", "//x.example/y", "/a#c"])),
        st.tuples(st.just("datetime"), st.sampled_from(["2024-01-02", "2024-13-45", ""])),
        st.tuples(st.just("title"), st.sampled_from(["2021-03-18 00:00:00 +0000 UTC", "", "x"])),
        st.tuples(st.just("rel"), st.sampled_from(["next", "NEXT", " next ", "prev", "bookmark"])),
        st.tuples(st.just("itemprop"), st.sampled_from(["name", "datePublished", "author"])),
        st.tuples(st.just("aria-label"), st.sampled_from(["Next", "", "Previous", "  "])),
        st.tuples(st.just("alt"), st.sampled_from(["Ann", "", " ", "<b>Bo</b> &amp; Co"])),
        st.tuples(st.just("lang"), st.sampled_from(["de", "en-US", ""])),
        st.tuples(st.just("id"), st.sampled_from(["content", "posts-list", "featured"])),
    ),
    max_size=3,
)
_TEXTS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["Next »", "Older posts", "« Newer", "Read more", "March 18, 2021", "18.03.2021",
         "5 min", "By", "»", "Ann Smith", "Continue reading", "\u00a0·\u00a0"]
    ),
)  # fmt: skip


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        tag = draw(st.sampled_from(_TAGS))
        attrs = "".join(f' {k}="{html_lib.escape(v)}"' for k, v in draw(_ATTRIBUTES))
        if tag in ("img", "br"):
            return f"<{tag}{attrs}>"
        return f"<{tag}{attrs}>{''.join(draw(st.lists(children, max_size=4)))}</{tag}>"

    return build()


_GENERATORS = ("", "Hugo 0.1", "WordPress 6.1", "Jekyll v4", "Docusaurus v3", "Ghost 5.0")
profile_vocabulary_pages = st.builds(
    lambda generator, body: (
        f'<html lang="en"><head><meta name="generator" content="{generator}"></head>'
        f"<body>{body}</body></html>"
    ),
    st.sampled_from(_GENERATORS),
    st.lists(st.recursive(_TEXTS.map(html_lib.escape), _element, max_leaves=40), max_size=6).map(
        "".join
    ),
)
any_profile = st.sampled_from([None, *PROFILES.values()])


@GENERATED
@given(st.one_of(profile_vocabulary_pages, profile_soup, listing_soup(), tag_soup), any_profile)
def test_generated_pages_parse_the_same_on_both_paths(text, profile):
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, soup = both_ways(monkeypatch, text, profile)
    assert fast == soup


@pytest.mark.parametrize(
    "overrides",
    [
        {"title": "h2:-soup-contains('A')"},  # soupsieve only
        {"item": "article:root, article.post-entry"},  # :root is left to soupsieve
        {"author": "footer > *:last-of-type"},  # *:last-of-type: cssselect cannot
        {"title": "header h2"},  # compiles: stays fast
    ],
)
def test_selectors_only_soupsieve_evaluates_fall_back_to_it(monkeypatch, overrides):
    page = html_page(
        papermod_entry("A first", "a", author="Ann"), papermod_entry("Second", "b"), next_href="/2/"
    )
    profile = get_profile("papermod").with_overrides(overrides)
    compiles = all(compile_selector(v) is not None for v in overrides.values())
    assert fast_path_supports(profile) is compiles
    fast, soup = both_ways(monkeypatch, page, None, overrides=overrides)
    assert fast == soup
    assert fast.entries[0].title == "A first"


def test_a_selector_soupsieve_rejects_is_still_its_error():
    page = html_page(papermod_entry("A", "a"))
    with pytest.raises(soupsieve.SelectorSyntaxError):
        parse_page(page, BASE, overrides={"title": "h2["})


# --- text and dates on every element -----------------------------------------------------------


@GENERATED
@given(st.one_of(profile_vocabulary_pages, tag_soup))
def test_text_and_dates_read_every_element_as_beautifulsoup_does(text):
    soup, tree = soup_of(text), parse_html(text)[0]
    soup_elements = soup.find_all(True)
    lxml_elements = [] if tree is None else list(tree.getroot().iter())
    assert soup_paths(soup_elements) == lxml_paths(lxml_elements)
    for ours, theirs in zip(lxml_elements, soup_elements, strict=True):
        assert clean_text(ours) == clean_text(theirs)
        assert clean_excerpt(ours, title="Ann", exclude=["b", ".more-link"]) == clean_excerpt(
            theirs, title="Ann", exclude=["b", ".more-link"]
        )
        assert extract_date(ours, fetched_at=FETCHED) == extract_date(theirs, fetched_at=FETCHED)
        assert entry_module._author(ours) == entry_module._author(theirs)


@GENERATED
@given(st.one_of(st.text(max_size=30), st.sampled_from(["Ann", "<b>Bo</b> &amp; Co", "a\x00b"])))
def test_markup_in_an_alt_text_reads_as_beautifulsoup_reads_it(alt):
    expected = clean_text(soup_of(alt)) if alt.strip() else None
    assert (
        entry_module._author(select_one(tree_of(f'<p><img alt="{html_lib.escape(alt)}">'), "p"))
        == expected
    )


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<div>a<!-- hidden -->b<script>no</script>c<p>d</p>e</div>", "abc d e"),
        ("<div><style>x</style><noscript>n</noscript><template>t</template>ok</div>", "ok"),
        ("<div><svg><title>s</title></svg>x<br>y<title>t</title></div>", "x y"),
        ("<div>Cafe\u0301 <?php echo 1 ?>\u00a0 ok</div>", "Café ok"),
        ("<div><span>no</span><span>space</span></div>", "nospace"),
    ],
)
def test_visible_text_of_an_lxml_element(markup, expected):
    element = select_one(tree_of(markup), "div")
    assert clean_text(element) == expected == clean_text(soup_of(markup).div)


def test_dates_on_lxml_elements_use_attributes_nested_time_and_the_page_language():
    tree = tree_of(
        '<html lang="de"><body><div id="a"><time datetime="2021-03-18T23:30:00-05:00">x</time>'
        '</div><span id="b">03/04/2021</span><span id="c"><script>May 1, 2020</script></span>'
    )
    assert extract_date(select_one(tree, "#a"), fetched_at=FETCHED) == "2021-03-18"
    assert extract_date(select_one(tree, "#b"), fetched_at=FETCHED) == "2021-04-03"  # day first
    assert extract_date(select_one(tree, "#c"), fetched_at=FETCHED) is None


# --- selector semantics where cssselect and soupsieve differ -----------------------------------

SEMANTICS_PAGE = """<html><body><main class="m">
<header class="h"><div id="blk"><h2>in header</h2><p class="a\u00a0b  c">x</p>
<a rel=" Next  " href="/1">1</a><a rel="nextish" href="/2">2</a><a href="/3" lang="en-GB">3</a>
<p class="">e</p><span title="">t</span><span>u</span></div></header>
<ol><li>1</li><li class="x">2</li><li>3</li></ol></main></body></html>"""


@pytest.mark.parametrize(
    ("selector", "scope"),
    [
        ("header h2", "#blk"),  # the header is outside the scope: soupsieve still matches
        (".m h2, p", "#blk"),  # a group: document order, no duplicates
        (":scope > h2", "#blk"),
        (":scope > :not(p):not(:has(+ a))", "#blk"),
        ("a[rel~=next]", "#blk"),  # rel compares without case; tokens as BeautifulSoup's
        ("a[rel=next]", "#blk"),
        ("a[rel^=next]", "#blk"),
        ("a[rel|=next]", "#blk"),
        ("[lang|=en]", "#blk"),
        ("a[href^=''], a[href$=''], a[href*='']", "#blk"),  # empty values match nothing
        ("a[rel!=nextish]", "#blk"),  # != also matches without the attribute
        (".b, .c", "#blk"),  # class tokens split at Unicode spaces, as BeautifulSoup does
        ("[class=''], [title='']", "#blk"),
        ("span:last-of-type, li:nth-child(2n+1), li:not(.x ~ li)", None),
        ("p:first-child + a, h2 ~ span", None),
        ("main > header > div > a[href='/2']", None),
        ("A[HREF='/1']", None),  # element and attribute names without case
    ],
)
def test_translated_selectors_keep_soupsieves_semantics(selector, scope):
    assert compile_selector(selector) is not None
    soup, tree = soup_of(SEMANTICS_PAGE), tree_of(SEMANTICS_PAGE)
    soup_scope = soup.select_one(scope) if scope else soup
    lxml_scope = select_one(tree, scope) if scope else tree
    expected = soup_scope.select(selector)
    assert lxml_paths(select(lxml_scope, selector)) == soup_paths(expected)


@pytest.mark.parametrize(
    "selector",
    [
        "*:first-of-type",
        ":root",
        "p:empty",
        "p:-soup-contains('x')",
        ":lang(en)",
        "li:nth-child(2 of .x)",
        "a::before",
        "svg|a",
        "a:is(div p)",
        "a:link",
        "input[checked='']",
        "h2[",
    ],
)
def test_selectors_cssselect_cannot_match_exactly_are_left_to_soupsieve(selector):
    assert compile_selector(selector) is None


@st.composite
def selectors_from_fixture(draw: st.DrawFn) -> tuple[int, str]:
    """A selector built from a real element's ancestry (so it usually matches): tag or
    *, a class, an attribute test, a pseudo-class, joined by descendant/child."""
    index = draw(st.integers(0, len(ENGINE_PAGES) - 1))
    elements = _FIXTURE_SOUPS[index].find_all(True)
    node = elements[draw(st.integers(0, len(elements) - 1))]
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        if node is None or node.parent is None:
            break
        compound = node.name if draw(st.booleans()) else "*"
        classes = node.get("class") or []
        if classes and draw(st.booleans()):
            compound += "." + draw(st.sampled_from(classes))
        attrs = sorted(a for a in node.attrs if re.fullmatch(r"[a-z-]+", a))
        if attrs and draw(st.integers(0, 2)) == 0:
            attr = draw(st.sampled_from(attrs))
            value = node.attrs[attr]
            value = " ".join(value) if isinstance(value, list) else value
            op = draw(st.sampled_from(["", "=", "~=", "^=", "$=", "*=", "|=", "!="]))
            if op and value and re.fullmatch(r"[\w ./:#-]*", value):
                word = (value.split() or [value])[0][: draw(st.integers(1, 8))]
                compound += f'[{attr}{op}"{value if op in ("=", "!=") else word}"]'
            else:
                compound += f"[{attr}]"
        if draw(st.integers(0, 3)) == 0:
            compound += draw(
                st.sampled_from(
                    [":first-child", ":last-child", ":nth-child(odd)", ":not(:first-child)",
                     ":has(a)", ":has(> span)", ":not(.x)", ":only-child"]
                )
            )  # fmt: skip
        parts.append(compound)
        combinator = draw(st.sampled_from([" ", " > "]))
        steps = 1 if combinator == " > " else draw(st.integers(1, 3))
        for _ in range(steps):
            node = node.parent if node.parent is not None else node
        parts.append(combinator)
    return index, "".join(reversed(parts[:-1]))


_FIXTURE_SOUPS = [soup_of(p.read_text("utf-8")) for p in ENGINE_PAGES]
_FIXTURE_TREES = [tree_of(p.read_text("utf-8")) for p in ENGINE_PAGES]


@settings(deadline=None, max_examples=150, database=None)
@given(selectors_from_fixture())
def test_generated_selectors_select_what_soupsieve_selects(case):
    index, selector = case
    soup, tree = _FIXTURE_SOUPS[index], _FIXTURE_TREES[index]
    if compile_selector(selector) is None:
        return
    assert lxml_paths(select(tree, selector)) == soup_paths(soup.select(selector))
    scopes = "article, li, header, footer"
    for soup_scope, lxml_scope in zip(soup.select(scopes), select(tree, scopes), strict=True):
        expected = soup_scope.select(selector)
        assert lxml_paths(select(lxml_scope, selector)) == soup_paths(expected)


# --- documents lxml would trip on --------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix",
    ['<?xml version="1.0" encoding="iso-8859-1"?>\n', "\ufeff", '<?xml version="1.0"?>'],
)
def test_xml_declarations_and_byte_order_marks_are_read_past(monkeypatch, prefix):
    page = prefix + html_page(papermod_entry("Café “quoted”", "a"))
    fast, soup = both_ways(monkeypatch, page, None)
    assert fast == soup
    assert fast.entries[0].title == "Café “quoted”"


def test_lone_surrogates_become_replacement_characters_not_a_truncated_page():
    page = html_page(papermod_entry("Caf\ud800", "a"), papermod_entry("Second", "b"))
    titles = [e.title for e in parse_page(page, BASE).entries]
    assert titles == ["Caf\ufffd", "Second"]
    assert [e.title for e in parse_page(page, BASE, get_profile("papermod")).entries] == titles


@pytest.mark.parametrize("text", ["", "   ", "\x00", "<!-- -->", "<?php ?>", "plain", "<html>"])
@pytest.mark.parametrize("profile", [None, "papermod"])
def test_empty_or_non_html_documents_are_no_entries_never_an_lxml_error(text, profile):
    with pytest.raises(NoEntriesError):
        parse_page(text, BASE, get_profile(profile) if profile else None)


def test_markup_after_the_closing_html_tag_is_still_read(monkeypatch):
    page = html_page(papermod_entry("First", "a")) + f"<main>{papermod_entry('After the end', 'b')}"
    fast, soup = both_ways(monkeypatch, page, None)
    assert fast == soup
    assert [e.title for e in fast.entries] == ["First", "After the end"]


# --- next links: lazy by tier ------------------------------------------------------------------


def test_next_urls_hold_the_best_tier_that_has_candidates_and_the_generator_all_tiers():
    page = html_page(
        papermod_entry("A", "a"),
        next_href="/page/2/",  # PaperMod's own nav.pagination a.next
        head='<link rel="next" href="/elsewhere/">',
    ).replace("</main>", '<a href="/older/">Older posts</a></main>')
    assert parse_page(page, BASE).next_urls == ("https://example.org/page/2/",)
    tiers = next_page_tiers(tree_of(page), BASE, get_profile("papermod"))
    assert [url for tier in tiers for url in tier] == [
        "https://example.org/page/2/",
        "https://example.org/elsewhere/",
        "https://example.org/older/",
    ]
    without_profile_link = page.replace('class="next" ', "")
    assert parse_page(without_profile_link, BASE).next_urls == ("https://example.org/elsewhere/",)
