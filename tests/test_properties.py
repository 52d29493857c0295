"""Properties of the content hash and of the parser, checked on generated inputs (Hypothesis).

The hash must see through what listings vary without changing a post (whitespace, Unicode
normal form, the ellipsis a listing appends to a cut excerpt) and must see any real edit;
every form of one link is one post, and two posts' links never hash alike (scheme 2).
The parser reads HTML that a site controls: whatever the markup, it may only fail with a
``ParseError`` and may only hand out http(s) URLs.
"""

from __future__ import annotations

import html
import json
import re
import sys
import unicodedata
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from listing_archiver.archive.hashing import content_hash, normalise
from listing_archiver.archive.identity import _canonical_general, canonical_url
from listing_archiver.scraper.errors import ParseError
from listing_archiver.scraper.parse import parse_page
from listing_archiver.scraper.records import Entry
from listing_archiver.scraper.urls import absolute_http_url

from .server import html_page, papermod_entry

BASE = "https://example.org/"
FIELDS = ("title", "date", "author", "excerpt")

# Each property runs quickly; together they stay well under 20 s. No example database:
# nothing is written into the checkout.
FAST = settings(deadline=None, max_examples=150, database=None)
SOUP = settings(
    deadline=None,
    max_examples=120,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- text strategies -------------------------------------------------------------------------

# Every character Python's ``\s`` matches that a listing might carry between words: ASCII
# spacing, no-break spaces, the typographic spaces, line and paragraph separators.
WHITESPACE = (
    " \t\n\r\x0b\x0c\x85\u00a0\u1680\u2000\u2002\u2003\u2007\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
ELLIPSES = ("...", "....", "…", "[...]", "[…]", "[ … ]")
ELLIPSIS_END = re.compile(r"(?:\.{3,}|…|\[\s*(?:\.{3}|…)\s*\])$")

# Visible characters: letters, marks, digits, punctuation, symbols (never whitespace).
visible = st.characters(categories=("L", "M", "N", "P", "S"))
words = st.lists(st.text(visible, min_size=1, max_size=8), max_size=6)
space_run = st.text(st.sampled_from(WHITESPACE), min_size=1, max_size=4)
# Any text a parser can hand over: every code point but lone surrogates (not text at all;
# see the JSON-LD test at the end for where the parser lets one through).
any_char = st.characters(codec="utf-8")
any_text = st.text(
    st.one_of(visible, any_char, st.sampled_from(WHITESPACE), st.sampled_from(".…[]"))
)
optional_text = st.none() | any_text


@st.composite
def spaced(draw: st.DrawFn) -> tuple[str | None, str]:
    """One field's text written plainly (None when empty), and the same words with any
    whitespace between them and around them."""
    ws = draw(words)
    plain = " ".join(ws) or None
    gaps = [draw(space_run) for _ in ws[1:]]
    variant = "".join(w + g for w, g in zip(ws, [*gaps, ""], strict=False))
    lead = draw(st.text(st.sampled_from(WHITESPACE), max_size=3))
    trail = draw(st.text(st.sampled_from(WHITESPACE), max_size=3))
    return plain, lead + variant + trail


def entry(**fields: str | None) -> Entry:
    values = dict.fromkeys(FIELDS) | fields
    return Entry(url=None, **values)  # type: ignore[arg-type]


entries = st.builds(
    Entry,
    title=optional_text,
    url=st.none(),
    date=optional_text,
    author=optional_text,
    excerpt=optional_text,
)


# --- normalise ---------------------------------------------------------------------------------


def _ends_in_ellipsis(text: str) -> bool:
    return bool(ELLIPSIS_END.search(text))


@FAST
@given(any_text)
@example("Great read… […]")
@example("So it goes... ...")
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


@FAST
@given(any_text)
def test_normalise_is_idempotent_when_its_result_does_not_end_in_an_ellipsis(text):
    once = normalise(text)
    if not _ends_in_ellipsis(once):
        assert normalise(once) == once


# Scheme 1 as its docstring states it; normalise() matches the same ellipses reversed.
SCHEME_1_ELLIPSES = re.compile(r"(?:\s*(?:\.{3,}|…|\[\s*(?:\.{3,}|…)\s*\]))+$")
ellipsis_text = st.lists(
    st.sampled_from(["a", "b.", " ", "..", "...", "....", "…", "[", "]", "[...]", "[ … ]", "\n"]),
    max_size=12,
).map("".join)


@FAST
@given(st.one_of(any_text, ellipsis_text))
@example("cut… […]")
@example("a. ...")
@example("x [ .... ] . … ")
def test_normalise_strips_exactly_what_the_scheme_1_expression_matches(text):
    collapsed = " ".join(unicodedata.normalize("NFC", text).split())
    assert normalise(text) == SCHEME_1_ELLIPSES.sub("", collapsed)


@FAST
@given(any_text)
def test_normalise_leaves_no_edge_whitespace_no_whitespace_runs_and_nfc_text(text):
    once = normalise(text)
    assert once == once.strip()
    assert not re.search(r"\s\s|[^\S ]", once)
    assert unicodedata.is_normalized("NFC", once)


# --- content_hash: what must not change it ----------------------------------------------------


@FAST
@given(spaced(), spaced(), spaced(), spaced())
def test_content_hash_ignores_whitespace_variants_in_every_field(title, date, author, excerpt):
    plain = entry(title=title[0], date=date[0], author=author[0], excerpt=excerpt[0])
    varied = entry(title=title[1], date=date[1], author=author[1], excerpt=excerpt[1])
    assert content_hash(varied) == content_hash(plain)


@FAST
@given(entries)
@example(entry(title="Café Åland", author="Zoë", excerpt="naïve ﬁx Å"))
def test_content_hash_is_the_same_for_nfc_and_nfd_of_the_same_text(post):
    def form(name: str) -> Entry:
        return entry(
            **{
                f: getattr(post, f) and unicodedata.normalize(name, getattr(post, f))
                for f in FIELDS
            }
        )

    assert content_hash(form("NFD")) == content_hash(form("NFC")) == content_hash(post)


@st.composite
def cut_text(draw: st.DrawFn, *, own_ellipsis: bool) -> str:
    """Text a listing may cut; with ``own_ellipsis`` it may end in an ellipsis itself."""
    text = draw(any_text if own_ellipsis else st.text(visible | st.just(" ")))
    if own_ellipsis:
        return text
    stripped = text.rstrip()
    return stripped if stripped and stripped[-1] not in ".…]" else stripped + "x"


ellipsis_variants = st.tuples(st.sampled_from(["", " ", "\u00a0", "\t"]), st.sampled_from(ELLIPSES))


@FAST
@given(st.sampled_from(FIELDS), cut_text(own_ellipsis=False), ellipsis_variants)
def test_content_hash_ignores_which_trailing_ellipsis_a_listing_appends(field, text, variant):
    gap, mark = variant
    assert content_hash(entry(**{field: text + gap + mark})) == content_hash(entry(**{field: text}))


@FAST
@given(st.sampled_from(FIELDS), cut_text(own_ellipsis=True), ellipsis_variants)
@example("excerpt", "Great read…", (" ", "[…]"))
def test_content_hash_ignores_an_appended_ellipsis_even_after_the_texts_own(field, text, variant):
    gap, mark = variant
    # "Wait." cut with "..." and no gap reads "Wait....": the text's dot and the mark's
    # are one run, which no reader can split (hypothesis found "." + "...").
    assume(gap or not (text.endswith(".") and mark.startswith(".")))
    assert content_hash(entry(**{field: text + gap + mark})) == content_hash(entry(**{field: text}))


# --- content_hash: what must change it ---------------------------------------------------------

alnum = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


@FAST
@given(entries, st.sampled_from(FIELDS), st.integers(min_value=0), alnum, st.booleans())
@example(entry(title="Hello", excerpt="An excerpt ..."), "excerpt", 3, "X", False)
def test_content_hash_changes_when_a_character_of_any_field_really_changes(
    post, field, where, char, insert
):
    old = getattr(post, field) or ""
    at = where % (len(old) + 1)
    new = old[:at] + char + old[at + (0 if insert else 1) :]
    # A letter or digit replacing its own canonical equivalent (KELVIN SIGN by "K") is
    # the same text, not an edit.
    if unicodedata.normalize("NFC", new) != unicodedata.normalize("NFC", old):
        assert content_hash(entry(**{**_fields(post), field: new})) != content_hash(post)


@FAST
@given(
    st.sampled_from(range(len(FIELDS) - 1)),
    st.text(alnum, min_size=1, max_size=5),
    st.text(alnum, min_size=1, max_size=5),
)
def test_content_hash_changes_when_text_moves_to_the_next_field(index, kept, moved):
    here, there = FIELDS[index], FIELDS[index + 1]
    before = entry(**{here: kept + moved, there: "z"})
    after = entry(**{here: kept, there: moved + "z"})
    assert content_hash(before) != content_hash(after)


def _fields(post: Entry) -> dict[str, str | None]:
    return {f: getattr(post, f) for f in FIELDS}


# --- content_hash, scheme 2: a post is its URL -----------------------------------------------

host_label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
hosts = st.lists(host_label, min_size=2, max_size=3).map(".".join)
path_char = st.sampled_from("abcXYZ019-._~!$&'()*+,=:@%é")
segment = st.text(path_char, min_size=1, max_size=6)
paths = st.lists(segment, max_size=3).map(lambda parts: "/" + "/".join(parts))
ports = st.none() | st.sampled_from([80, 443, 8080]) | st.integers(1, 65535)


@st.composite
def plain_urls(draw: st.DrawFn) -> str:
    """Links in the shape canonical_url reads without urlsplit, upper case and www. too."""
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(hosts)
    host = ("www." if draw(st.booleans()) else "") + host
    host = host.upper() if draw(st.booleans()) else host
    port = draw(ports)
    netloc = host if port is None else f"{host}:{port}"
    path = draw(st.none() | paths)
    slash = "/" if path and draw(st.booleans()) else ""
    return f"{scheme}://{netloc}{path or ''}{slash}"


@FAST
@given(plain_urls())
@example("http://www.example.org:80")
@example("https://WWW.A.B:443/x/")
@example("http://www.localhost.x:0080/")
def test_canonical_url_shortcut_gives_the_general_answer(url):
    assert canonical_url(url) == _canonical_general(url)


@st.composite
def url_forms(draw: st.DrawFn, host: str, path: str) -> str:
    """One link to ``host`` + ``path`` as a listing may write it."""
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    netloc = draw(st.sampled_from([host, f"www.{host}", host.upper()]))
    port = {"http": ":80", "https": ":443", "HTTPS": ""}[scheme] if draw(st.booleans()) else ""
    session = draw(st.sampled_from(["", ";jsessionid=0AF3", ";JSESSIONID=x"]))
    params = draw(
        st.lists(
            st.sampled_from(["utm_source=rss", "UTM_Medium=x", "fbclid=1", "sid=9", "PHPSESSID=a"]),
            max_size=3,
        )
    )
    query = "?" + "&".join(params) if params else ""
    fragment = draw(st.sampled_from(["", "#top", "#comments"]))
    slash = "/" if draw(st.booleans()) else ""
    return f"{scheme}://{netloc}{port}{path}{slash}{session}{query}{fragment}"


@FAST
@given(entries, hosts, paths, st.data())
def test_content_hash_is_the_same_for_every_form_of_one_link(post, host, path, data):
    one, other = (data.draw(url_forms(host, path)) for _ in range(2))
    assert content_hash(replace(post, url=one)) == content_hash(replace(post, url=other))


@FAST
@given(entries, st.one_of(st.none(), plain_urls()), plain_urls())
def test_identical_fields_at_two_posts_urls_never_share_a_hash(post, url_a, url_b):
    keys = {canonical_url(url_a) if url_a else None, canonical_url(url_b)}
    if len(keys) == 2:
        assert content_hash(replace(post, url=url_a)) != content_hash(replace(post, url=url_b))


# --- parse_page on arbitrary markup --------------------------------------------------------------

TAGS = (
    "article", "h2", "h3", "a", "time", "div", "p", "span", "header", "footer", "main",
    "nav", "ul", "ol", "li", "section", "abbr", "img", "br", "meta", "link",
)  # fmt: skip
VOID = frozenset({"img", "br", "meta", "link"})
# Generic class words only: none of them makes a built-in profile recognise the page.
CLASSES = (
    "post", "entry", "entry-title", "post-title", "title", "summary", "excerpt", "hentry",
    "h-entry", "p-name", "u-url", "dt-published", "p-author", "p-summary", "author", "byline",
    "date", "published", "next", "pagination", "nav-links", "card", "read-more", "meta",
    "tags", "sr-only", "hidden", "sidebar", "featured",
)  # fmt: skip
ODD_HREFS = (
    "", " ", "#", "#top", "?page=2", "/page/2/", "../up/", "post/1", "//cdn.example/x",
    "http://example.org/a", "https://other.example/b?x=1#y", "HTTPS://EXAMPLE.ORG/C",
    "javascript:alert(1)", "mailto:a@example.org", "tel:+123", "data:text/html,hi",
    "ftp://files.example/x", "http://a:99999/", "http://a:port/", "http://[::1]:8080/",
    " /padded/ ", "\t/tabbed\n", "%zz", "/a b/", "?", "/ünïcode/ñ",
)  # fmt: skip
SCHEMA_TYPES = (
    "http://schema.org/BlogPosting", "https://schema.org/Article", "https://schema.org/Blog",
    "https://schema.org/JobPosting", "https://schema.org/Person", "schema.org/NewsArticle",
)  # fmt: skip


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


MALFORMED_HOSTS = ("http://[::1", "//[", "http://\u2100/")  # an unclosed IPv6 bracket; a/c
hrefs = st.one_of(st.sampled_from(ODD_HREFS), st.text(max_size=20))
# URLs in JSON-LD reach only the generic extractor: any string, malformed hosts included.
json_hrefs = st.one_of(st.sampled_from(ODD_HREFS + MALFORMED_HOSTS), st.text(max_size=20))
# JSON may escape a lone surrogate, which HTML cannot hold: the parser must not pass it on.
json_strings = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["Half \ud800 a pair", "\udfff", "BlogPosting", "#a", "2024-01-02T10:00Z"]),
)
# hrefs a built-in profile reads: relative or http(s) (see the profile URL test below).
web_hrefs = st.one_of(
    st.sampled_from([h for h in ODD_HREFS if ":" not in h or h.lower().startswith("http")]),
    st.text(st.sampled_from("abcxyz019/-_.?=&%#~ "), max_size=15),
)
attr_text = st.text(max_size=20)
attributes = st.lists(
    st.one_of(
        st.tuples(st.just("class"), st.lists(st.sampled_from(CLASSES), max_size=3).map(" ".join)),
        st.tuples(st.just("href"), hrefs),
        st.tuples(st.just("datetime"), st.sampled_from(["2024-01-02", "2024-13-45", "", "x"])),
        st.tuples(st.just("title"), st.sampled_from(["2021-03-18 00:00:00 +0000 UTC", ""])),
        st.tuples(st.just("rel"), st.sampled_from(["next", "prev", "bookmark", "author", ""])),
        st.tuples(st.just("itemprop"), st.sampled_from(["headline", "name", "url", "author"])),
        st.tuples(st.just("itemscope"), st.just("")),
        st.tuples(st.just("itemtype"), st.sampled_from(SCHEMA_TYPES)),
        st.tuples(st.just("role"), st.sampled_from(["navigation", "main", "article"])),
        st.tuples(st.sampled_from(["id", "aria-label", "content", "name", "src"]), attr_text),
    ),
    max_size=4,
)
texts = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["Next »", "Older posts", "« Newer", "Read more", "March 18, 2021", "…"]),
)


def render_attributes(pairs: list[tuple[str, str]], raw: bool) -> str:
    """Attributes quoted and escaped, or (tag soup) pasted in quotes as they come."""
    return "".join(f' {name}="{value if raw else html.escape(value)}"' for name, value in pairs)


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        tag = draw(st.sampled_from(TAGS))
        attrs = render_attributes(draw(attributes), raw=draw(st.booleans()))
        if tag in VOID:
            return f"<{tag}{attrs}>"
        inner = "".join(draw(st.lists(children, max_size=4)))
        close = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", f"</{tag}>", ""]))  # tag soup
        return f"<{tag}{attrs}>{inner}{close}"

    return build()


def text_node(escaped: bool) -> st.SearchStrategy[str]:
    return texts.map(html.escape) if escaped else texts


soup = st.recursive(st.one_of(text_node(True), text_node(False)), element, max_leaves=25)
tag_soup = soup.map(lambda body: f"<html><body>{body}</body></html>")


@st.composite
def listing_soup(draw: st.DrawFn) -> str:
    """Soup shaped like a listing the generic extractor reads: repeated blocks (article,
    div, li...) that each hold a heading with a link, soup inside and all around them."""
    block = draw(st.sampled_from(["article", "div", "li", "section"]))
    heading = draw(st.sampled_from(["h2", "h3", "div", "a"]))
    container = draw(st.sampled_from(["main", "div", "ul", "section", "nav", "footer"]))
    # plain blocks, microformats2 h-entries, or schema.org microdata items
    marks, name = draw(
        st.sampled_from(
            [
                ("", ""),
                (' class="h-entry"', ' class="p-name u-url"'),
                (' itemscope itemtype="https://schema.org/BlogPosting"', ' itemprop="headline"'),
            ]
        )
    )
    shared = render_attributes(draw(attributes), raw=False)
    items = []
    for _ in range(draw(st.integers(min_value=2, max_value=5))):
        attrs = shared if draw(st.booleans()) else render_attributes(draw(attributes), raw=False)
        attrs += marks if draw(st.integers(0, 4)) else ""
        title = draw(texts)
        link = f'<a{name} href="{html.escape(draw(hrefs))}">{html.escape(title)}</a>'
        inner = link if heading == "a" else f"<{heading}>{link}</{heading}>"
        extra = "".join(draw(st.lists(soup, max_size=3)))
        items.append(f"<{block}{attrs}>{inner}{extra}</{block}>")
    around = draw(st.lists(soup, max_size=2))
    body = f"<{container}>{''.join(items)}</{container}>"
    return f"<html><body>{''.join(around[:1])}{body}{''.join(around[1:])}</body></html>"


# A PaperMod page (Hugo generator, article.post-entry) whose entries hold arbitrary markup,
# so the profile path reads soup too.
profile_soup = st.lists(
    st.tuples(
        st.recursive(text_node(True), element, max_leaves=8),
        web_hrefs,
        st.sampled_from(["Ann", "", "5 min", "<b>x</b>"]),
    ),
    min_size=1,
    max_size=4,
).map(
    lambda items: html_page(
        *[
            papermod_entry(title, "x", author=author).replace("/post/x/", html.escape(href))
            for title, href, author in items
        ],
        next_href=items[0][1],
    )
)

json_keys = st.sampled_from(
    [
        "@type", "@id", "@graph", "@value", "headline", "name", "url", "author",
        "datePublished", "description", "itemListElement", "item", "mainEntity",
        "mainEntityOfPage", "blogPost",
    ]
)  # fmt: skip
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        json_strings,
        json_hrefs,
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_keys, inner, max_size=5),
    max_leaves=20,
)


def jsonld_page(docs: list[object]) -> str:
    scripts = "".join(
        '<script type="application/ld+json">' + json.dumps(doc).replace("</", "<\\/") + "</script>"
        for doc in docs
    )
    return f"<html><head>{scripts}</head><body><p>x</p></body></html>"


json_posts = st.fixed_dictionaries(
    {"@type": st.sampled_from(["BlogPosting", "NewsArticle", "Article", "JobPosting", "Thing"])},
    optional={
        key: st.one_of(json_values, json_hrefs, json_strings)
        for key in (
            "headline", "name", "url", "@id", "mainEntityOfPage", "author",
            "datePublished", "description",
        )
    },
)  # fmt: skip
json_listings = st.one_of(
    st.lists(json_posts, min_size=2, max_size=4),
    st.lists(json_posts, min_size=2, max_size=4).map(lambda p: {"@graph": p}),
    st.lists(json_posts, min_size=2, max_size=4).map(
        lambda p: {"@type": "ItemList", "itemListElement": [{"item": x} for x in p]}
    ),
    st.lists(json_posts, min_size=2, max_size=4).map(lambda p: {"@type": "Blog", "blogPost": p}),
)
jsonld_soup = st.lists(st.one_of(json_listings, json_values), min_size=1, max_size=3).map(
    jsonld_page
)
any_html = st.one_of(tag_soup, listing_soup(), profile_soup, jsonld_soup)


def parse_or_parse_error(markup: str):
    """``parse_page``'s answer, or None when it raised a ParseError. Anything else raised
    fails the test with the markup that caused it."""
    try:
        return parse_page(markup, BASE)
    except ParseError:
        return None


@SOUP
@given(any_html)
@example("")
@example("<html")
@example("<<<>>>&&&;")
@example("\x00\ud7ff\ufffe")
@example(html_page(papermod_entry("T", "t"), next_href="/page/2/"))
def test_parse_page_on_arbitrary_html_raises_nothing_but_parse_errors(markup):
    parse_or_parse_error(markup)


@SOUP
@given(any_html)
@example(html_page(papermod_entry("T", "t"), next_href="/page/2/"))
def test_entries_parsed_from_arbitrary_html_have_http_urls_and_storable_text(markup):
    parsed = parse_or_parse_error(markup)
    for found in parsed.entries if parsed else ():
        assert found.url is None or is_http_url(found.url), found
        for name in FIELDS:
            (getattr(found, name) or "").encode("utf-8")  # no lone surrogate: SQLite takes it
        content_hash(found)


# --- links and JSON-LD a site controls, on the smallest pages that show them ---------------------


def _generic_page(href: str, next_href: str = "/page/2/") -> str:
    articles = "".join(
        f'<article><h2><a href="{href if i == 1 else f"/post/{i}/"}">Post number {i}</a></h2>'
        f'<time datetime="2024-01-0{i}">Jan {i}</time><p>Excerpt {i}.</p></article>'
        for i in (1, 2, 3)
    )
    return f'<html><body><main>{articles}<a rel="next" href="{next_href}">Next</a></main></body>'


def _jsonld_page(url: str, headline: str = "A") -> str:
    """Two JSON-LD posts (json.dumps escapes every non-ASCII character as \\uXXXX)."""
    posts = [{"@type": "BlogPosting", "headline": headline, "url": url}]
    posts.append({"@type": "BlogPosting", "headline": "B", "url": "/b/"})
    return f'<script type="application/ld+json">{json.dumps({"@graph": posts})}</script>'


MALFORMED_LINK_PAGES = {
    "profile entry link": lambda href: html_page(
        papermod_entry("T", "t").replace("/post/t/", href)
    ),
    "profile next link": lambda href: html_page(papermod_entry("T", "t"), next_href=href),
    "generic entry link": _generic_page,
    "generic next link": lambda href: _generic_page("/post/1/", next_href=href),
    "json-ld url": _jsonld_page,
}


def _assert_parses_or_parse_error(markup: str) -> None:
    parsed = parse_or_parse_error(markup)
    for found in parsed.entries if parsed else ():
        assert found.url is None or is_http_url(found.url)


@pytest.mark.parametrize(
    ("where", "kept"),
    [
        ("generic entry link", [("Post number 2", "post/2/"), ("Post number 3", "post/3/")]),
        ("json-ld url", [("A", None), ("B", "b/")]),  # the post stays, without a URL
    ],
)
def test_the_generic_extractor_ignores_a_link_whose_host_urllib_refuses(where, kept):
    for href in MALFORMED_HOSTS:
        parsed = parse_page(MALFORMED_LINK_PAGES[where](href), BASE)
        found = [(e.title, e.url) for e in parsed.entries]
        assert [(title, path and BASE + path) for title, path in kept] == [
            pair for pair in found if pair[0] in {title for title, _ in kept}
        ], href
        assert all(url is None or is_http_url(url) for _, url in found), href


@pytest.mark.parametrize("where", ["profile entry link", "profile next link", "generic next link"])
def test_a_link_whose_host_urllib_refuses_is_never_more_than_a_parse_error(where):
    for href in MALFORMED_HOSTS:
        _assert_parses_or_parse_error(MALFORMED_LINK_PAGES[where](href))


def test_a_profile_entry_whose_link_is_not_http_gets_no_url():
    hrefs = ("javascript:alert(1)", "mailto:a@example.org", "data:,hi", "ftp://f/x", "http:")
    found = {
        href: [e.url for e in parse_page(page, BASE).entries]
        for href in hrefs
        for page in [html_page(papermod_entry("Title", "t").replace("/post/t/", href))]
    }
    assert found == {href: [None] for href in hrefs}


def test_a_deeply_nested_json_ld_value_is_never_more_than_a_parse_error():
    depth = sys.getrecursionlimit() - 150
    headline = "[" * depth + '"Deep"' + "]" * depth
    doc = f'{{"@graph": [{{"@type": "BlogPosting", "headline": {headline}, "url": "/a/"}},'
    doc += ' {"@type": "BlogPosting", "headline": "B", "url": "/b/"}]}'
    assert json.loads(doc)  # the page's JSON itself is readable at this depth
    _assert_parses_or_parse_error(f'<script type="application/ld+json">{doc}</script>')


def test_a_lone_surrogate_escaped_in_json_ld_never_reaches_an_entry():
    parsed = parse_page(_jsonld_page("/a/", headline="Half \ud800 a pair"), BASE)
    assert [found.title for found in parsed.entries] == ["Half \ufffd a pair", "B"]
    for found in parsed.entries:
        content_hash(found)  # hashable, hence storable: UTF-8 all through


# --- absolute_http_url: its shortcut for plain links is urljoin's answer ---------------------


def urljoin_reference(href: str, page_url: str) -> str | None:
    """absolute_http_url without its shortcut: urljoin, then the same checks."""
    href = href.strip()
    if not href or href == "#":
        return None
    try:
        url = urljoin(page_url, href)
        parts = urlsplit(url)
        parts.port  # noqa: B018
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


link_text = st.lists(
    st.sampled_from(
        ["http", "https", "HTTP", "ftp", ":", "//", "/", ".", "..", "a", "É", "é", "-", "_", "~",
         "%2F", "?", "#", ";", "@", "u:p@", "[", "]", " ", "\t", "80", ":99999", ":8080", "=&"]
    ),
    max_size=10,
).map("".join)  # fmt: skip
page_urls = st.sampled_from(
    ["http://example.com/page/2/", "https://Example.COM:8443/blog/", "http://u:p@h.test/a/b",
     "http://h.test:99999/", "ftp://h.test/", "http://[::1]:8080/p", "https://h.test"]
)  # fmt: skip


@settings(FAST, max_examples=1000)
@given(link_text, page_urls)
@example("/posts/a-b_c~d/", "http://127.0.0.1:8000/page/2/")
@example("https://host:65536/x", "http://h.test/")
@example("//other.test/x", "https://h.test/")
@example("/./x/../y", "http://h.test/a/")
def test_plain_links_resolve_exactly_as_urljoin_resolves_them(href, page_url):
    assert absolute_http_url(href, page_url) == urljoin_reference(href, page_url)
