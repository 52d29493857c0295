"""The generic extractor: entries of a page no profile recognises, by strategy, against
hand-written goldens (fixtures/generic/<case>.expected.json), with the noise around a
listing (navigation, sidebars, footers, pinned teasers, site intros) left out."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

import pytest
from bs4 import BeautifulSoup

from listing_archiver.scraper.errors import NoEntriesError
from listing_archiver.scraper.generic import extract_generic
from listing_archiver.scraper.parse import parse_page

from .conftest import FIXTURES

GENERIC = FIXTURES / "generic"
# case: (the URL the page is read as, the strategy that must read it)
CASES = {
    "json-ld-itemlist": ("https://rivertonledger.example/local/page/2/", "json-ld"),
    "microdata": ("https://hannahcooks.example/page/3/", "microdata"),
    "h-entry": ("https://jamie.example/page/2/", "h-entry"),
    "articles": ("https://priya.example/", "articles"),
    "siblings": ("https://tide.example/changelog/", "siblings"),
}
POST_PAGE_URL = "https://priya.example/2024/03/container-queries-in-practice/"
SITE = "https://blog.example.net"
BASE = f"{SITE}/news/"


def _html(case: str) -> str:
    return (GENERIC / f"{case}.html").read_text("utf-8")


def _golden(case: str) -> list[dict[str, str | None]]:
    return json.loads((GENERIC / f"{case}.expected.json").read_text("utf-8"))


def _extract(html: str, url: str = BASE) -> tuple[str, list[dict[str, str | None]]]:
    name, entries = extract_generic(BeautifulSoup(html, "lxml"), url)
    return name, [asdict(e) for e in entries]


def _page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head><title>t</title>{head}</head><body>{body}</body></html>"


def _ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def _urls(entries: list[dict[str, str | None]]) -> list[str | None]:
    return [e["url"] for e in entries]


def _titles(entries: list[dict[str, str | None]]) -> list[str | None]:
    return [e["title"] for e in entries]


# --- the fixtures ------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES))
def test_fixture_page_extracts_exactly_its_golden_with_the_expected_strategy(case):
    url, strategy = CASES[case]
    name, entries = _extract(_html(case), url)
    assert name == f"generic:{strategy}"
    assert entries == _golden(case)


# Pages whose list a learned profile reads as well as the generic extractor: the tie
# goes to the learned profile, which reads the pages after it through the fast path.
LEARNED_CASES = {"siblings", "json-ld-itemlist"}


@pytest.mark.parametrize("case", sorted(set(CASES) - LEARNED_CASES))
def test_parse_page_reports_generic_and_the_strategy_as_the_profile(case):
    url, strategy = CASES[case]
    page = parse_page(_html(case), url)
    assert page.profile == f"generic:{strategy}"
    assert [asdict(e) for e in page.entries] == _golden(case)


@pytest.mark.parametrize("case", sorted(LEARNED_CASES))
def test_a_list_the_learner_reads_as_well_is_read_by_a_learned_profile_to_the_same_golden(case):
    """The changelog's cards (two summary paragraphs joined, a release dated in a meta
    line where the others have a <time>) and the news list whose JSON-LD repeats it
    ("By Dev Patel and Lena Hoff" read as two authors): the golden is unchanged."""
    url, _ = CASES[case]
    page = parse_page(_html(case), url)
    assert page.profile == "learned"
    assert [asdict(e) for e in page.entries] == _golden(case)


def test_parse_page_on_a_generic_page_still_finds_the_next_page():
    url, _ = CASES["json-ld-itemlist"]
    page = parse_page(_html("json-ld-itemlist"), url)
    assert page.next_urls[0] == "https://rivertonledger.example/local/page/3/"


def test_post_page_golden_is_empty_its_further_reading_list_is_not_a_listing():
    html = _html("post-page")
    assert html.count('<li><a href="https://') == 4  # enough links for the siblings heuristic
    assert _golden("post-page") == []
    assert _extract(html, POST_PAGE_URL) == ("generic", [])


def test_post_page_through_parse_page_is_a_no_entries_error():
    with pytest.raises(NoEntriesError) as caught:
        parse_page(_html("post-page"), POST_PAGE_URL)
    assert caught.value.profile == "generic"


def test_post_page_is_recognised_by_its_canonical_url_when_fetched_elsewhere():
    assert _extract(_html("post-page"), "http://127.0.0.1:8000/cq/") == ("generic", [])


# --- noise -------------------------------------------------------------------------------


def test_site_intro_pinned_teaser_sidebar_and_footer_articles_are_not_entries():
    _, entries = _extract(_html("articles"), CASES["articles"][0])
    titles = _titles(entries)
    assert "Hi, I’m Priya." not in titles  # the home intro
    assert "Get new posts by email" not in titles  # footer
    assert "Subgrid finally clicked for me" not in titles  # sidebar "Popular"
    # The pinned teaser repeats the first post: one entry, with the list's own excerpt.
    assert titles.count("Container queries in practice") == 1
    assert not entries[0]["excerpt"].startswith("My most-read post")


def test_larger_popular_links_list_in_the_sidebar_does_not_win_over_the_cards():
    html = _html("siblings")
    assert html.count('<li><a href="/help/') == 8  # more members than the 6 cards
    _, entries = _extract(html, CASES["siblings"][0])
    assert all("/changelog/" in url for url in _urls(entries))


def test_microdata_and_h_entry_items_in_a_sidebar_are_skipped():
    _, microdata = _extract(_html("microdata"), CASES["microdata"][0])
    assert "The only brownie recipe you need" not in _titles(microdata)
    _, h_entries = _extract(_html("h-entry"), CASES["h-entry"][0])
    assert "Tiny servers, tiny bills" not in _titles(h_entries)


def test_blocks_in_nav_header_footer_and_aside_are_never_entries():
    cards = "".join(
        f'<div class="item"><h3><a href="/x/{n}">Menu-ish item number {n}</a></h3></div>'
        for n in range(4)
    )
    for wrapper in ("nav", "header", "footer", "aside"):
        html = _page(f"<{wrapper}>{cards}</{wrapper}>")
        assert _extract(html) == ("generic", []), wrapper


@pytest.mark.parametrize(
    "marker",
    [
        'class="featured-posts"',
        'class="widget-area"',
        'id="sidebar"',
        'class="breadcrumbs"',
        'role="navigation"',
        'class="hero"',
        'class="site-intro"',
        'class="about-box"',
        'class="home-info"',
        'class="pagination"',
    ],
)
def test_blocks_inside_promotional_or_navigation_containers_are_skipped(marker):
    noise = "".join(
        f'<article><h2><a href="/noise/{n}">Noise {n}</a></h2></article>' for n in range(3)
    )
    posts = "".join(
        f'<article><h2><a href="/post/{n}">Post {n}</a></h2></article>' for n in range(2)
    )
    name, entries = _extract(_page(f"<div {marker}>{noise}</div><main>{posts}</main>"))
    assert name == "generic:articles"
    assert _urls(entries) == [f"{SITE}/post/{n}" for n in range(2)]


def test_a_layout_class_naming_a_sidebar_the_page_has_does_not_hide_the_posts():
    posts = "".join(
        f'<article><h2><a href="/post/{n}">Post {n}</a></h2></article>' for n in range(2)
    )
    name, entries = _extract(_page(f'<main class="site-main has-sidebar">{posts}</main>'))
    assert (name, len(entries)) == ("generic:articles", 2)


def test_the_page_wrapper_around_main_is_layout_not_noise_whatever_its_classes():
    posts = "".join(
        f'<article><h2><a href="/post/{n}">Post {n}</a></h2></article>' for n in range(2)
    )
    html = _page(f'<div class="site sticky-footer hero-layout"><main>{posts}</main></div>')
    assert _extract(html)[0] == "generic:articles"


def test_teaser_unlike_the_list_loses_its_url_to_the_lists_own_copy():
    teaser = (
        '<article class="lead-story"><h2><a href="/p/b">B, big</a></h2><p>Teaser.</p></article>'
    )
    posts = "".join(
        f'<article class="post"><h2><a href="/p/{s}">{s.upper()}</a></h2><p>About {s}.</p>'
        "</article>"
        for s in "abc"
    )
    _, entries = _extract(_page(f"<main>{teaser}{posts}</main>"))
    assert _titles(entries) == ["A", "B", "C"]
    assert entries[1]["excerpt"] == "About b."


def test_entries_with_the_same_url_are_kept_once_the_first_winning():
    posts = "".join(
        f'<article><h2><a href="/p/{u}">{t}</a></h2></article>'
        for t, u in [("First", "1"), ("Second", "2"), ("First again", "1")]
    )
    _, entries = _extract(_page(f"<main>{posts}</main>"))
    assert _titles(entries) == ["First", "Second"]


# --- JSON-LD -----------------------------------------------------------------------------


def _posting(n: int, **fields: object) -> dict[str, object]:
    return {"@type": "BlogPosting", "headline": f"Post {n}", "url": f"/p/{n}", **fields}


def test_malformed_json_ld_is_skipped_and_the_valid_block_still_read():
    broken = (
        '<script type="application/ld+json">{"@type": "ItemList", "itemListElement": [</script>'
    )
    good = _ld({"@type": "ItemList", "itemListElement": [_posting(1), _posting(2)]})
    name, entries = _extract(_page("<p>x</p>", head=broken + good))
    assert name == "generic:json-ld"
    assert _titles(entries) == ["Post 1", "Post 2"]


def test_only_malformed_json_ld_falls_through_to_the_markup():
    broken = '<script type="application/ld+json">{"@type": "BlogPosting",}</script>'
    posts = "".join(f'<article><h2><a href="/p/{n}">P{n}</a></h2></article>' for n in range(2))
    assert _extract(_page(posts, head=broken))[0] == "generic:articles"


@pytest.mark.parametrize(
    "data",
    [
        [_posting(1), _posting(2)],
        {"@context": "https://schema.org", "@graph": [_posting(1), _posting(2)]},
        {"@type": "Blog", "blogPost": [_posting(1), _posting(2)]},
        {
            "@type": "CollectionPage",
            "mainEntity": {
                "@type": "ItemList",
                "itemListElement": [
                    {"@type": "ListItem", "position": 1, "item": _posting(1)},
                    {"@type": "ListItem", "position": 2, "item": _posting(2)},
                ],
            },
        },
    ],
    ids=["top-level-list", "graph", "blog-blogPost", "collection-itemlist-listitem"],
)
def test_json_ld_posts_are_found_wherever_listings_nest_them(data):
    name, entries = _extract(_page("", head=_ld(data)))
    assert name == "generic:json-ld"
    assert _urls(entries) == [f"{SITE}/p/1", f"{SITE}/p/2"]


def test_json_ld_references_by_id_resolve_to_their_nodes():
    graph = {
        "@graph": [
            {"@type": "ItemList", "itemListElement": [{"@id": "#a"}, {"@id": "#b"}]},
            {**_posting(1), "@id": "#a", "author": {"@id": "#ann"}},
            {**_posting(2), "@id": "#b", "author": [{"@id": "#ann"}, "Bo Li"]},
            {"@type": "Person", "@id": "#ann", "name": "Ann Ode"},
        ]
    }
    _, entries = _extract(_page("", head=_ld(graph)))
    assert [e["author"] for e in entries] == ["Ann Ode", "Ann Ode, Bo Li"]


def test_json_ld_fields_are_cleaned_and_the_written_day_kept():
    item = _posting(
        1,
        headline="Caf\u0065\u0301 &amp; bar\n  reviews",
        datePublished="2024-02-29T23:30:00-08:00",
        author="  Ann  ",
        description="Line one.\n\n   Line two.",
    )
    item["@type"] = ["Article", "NewsArticle"]
    _, entries = _extract(_page("", head=_ld([item, _posting(2)])))
    assert entries[0] == {
        "title": "Caf\u00e9 & bar reviews",
        "url": f"{SITE}/p/1",
        "date": "2024-02-29",
        "author": "Ann",
        "excerpt": "Line one. Line two.",
    }


def test_json_ld_date_written_as_prose_is_read_as_the_page_shows_it():
    data = [_posting(1, datePublished="March 5, 2024"), _posting(2, datePublished="soon")]
    _, entries = _extract(_page("", head=_ld(data)))
    assert [e["date"] for e in entries] == ["2024-03-05", None]


def test_json_ld_single_posting_about_another_page_is_not_a_listing_of_one():
    lone = _ld(_posting(9, url="https://elsewhere.example/featured"))
    posts = "".join(f'<article><h2><a href="/p/{n}">P{n}</a></h2></article>' for n in range(2))
    name, entries = _extract(_page(posts, head=lone))
    assert name == "generic:articles"
    assert len(entries) == 2


def test_json_ld_posting_without_a_url_describes_the_page_and_siblings_stay_unread():
    lone = _ld({"@type": "BlogPosting", "headline": "Just this post"})
    links = "".join(f'<li><a href="/r/{n}">Further reading number {n}</a></li>' for n in range(4))
    html = _page(f"<article><h1>Just this post</h1><ul>{links}</ul></article>", head=lone)
    assert _extract(html) == ("generic", [])
    assert _extract(html.replace(lone, ""))[0] == "generic:siblings"


def test_page_level_posting_on_a_listing_does_not_hide_its_marked_up_posts():
    lone = _ld({"@type": "BlogPosting", "headline": "My blog", "url": BASE})
    posts = "".join(f'<article><h2><a href="/p/{n}">P{n}</a></h2></article>' for n in range(2))
    assert _extract(_page(posts, head=lone))[0] == "generic:articles"


def test_json_ld_non_post_types_and_job_postings_are_not_entries():
    data = [
        {"@type": "WebSite", "name": "Site", "url": "/"},
        {"@type": "JobPosting", "title": "Engineer", "url": "/jobs/1"},
        {"@type": "JobPosting", "title": "Designer", "url": "/jobs/2"},
    ]
    assert _extract(_page("", head=_ld(data))) == ("generic", [])


def test_json_ld_url_that_is_not_http_is_dropped():
    data = [_posting(1, url="javascript:void(0)"), _posting(2), _posting(3)]
    _, entries = _extract(_page("", head=_ld(data)))
    assert _urls(entries) == [None, f"{SITE}/p/2", f"{SITE}/p/3"]


# --- microdata, h-entry ------------------------------------------------------------------


def test_microdata_nested_items_keep_their_own_properties():
    item = (
        '<div itemscope itemtype="https://schema.org/NewsArticle">'
        '<div itemprop="author" itemscope itemtype="https://schema.org/Person">'
        '<a itemprop="url" href="/people/ann"><span itemprop="name">Ann</span></a></div>'
        '<h2 itemprop="name"><a href="/story/{n}">Story {n}</a></h2></div>'
    )
    _, entries = _extract(_page(item.format(n=1) + item.format(n=2)))
    assert [(e["title"], e["url"], e["author"]) for e in entries] == [
        ("Story 1", f"{SITE}/story/1", "Ann"),
        ("Story 2", f"{SITE}/story/2", "Ann"),
    ]


def test_h_entry_reply_context_does_not_lend_its_name_or_url():
    _, entries = _extract(_html("h-entry"), CASES["h-entry"][0])
    assert entries[1]["title"] == "Re: Why RSS still matters"
    assert entries[1]["url"] == "https://jamie.example/2024/02/re-why-rss/"
    assert "Sara Lind" not in [e["author"] for e in entries]


def test_h_entry_note_without_a_name_has_no_title_but_is_kept():
    _, entries = _extract(_html("h-entry"), CASES["h-entry"][0])
    note = entries[2]
    assert note["title"] is None and note["url"].endswith("/notes/2024/02/09/1/")


# --- articles, siblings ------------------------------------------------------------------


def test_nested_articles_yield_the_inner_posts_not_the_wrapper():
    posts = "".join(
        f'<article class="post"><h2><a href="/p/{n}">Post {n}</a></h2></article>' for n in range(2)
    )
    name, entries = _extract(_page(f'<article class="page">{posts}</article>'))
    assert (name, _titles(entries)) == ("generic:articles", ["Post 0", "Post 1"])


def test_a_linked_kicker_heading_loses_to_the_title_heading():
    post = (
        '<article><h4><a href="/category/css">CSS</a></h4>'
        '<h2><a href="/p/{n}">The real title {n}</a></h2></article>'
    )
    _, entries = _extract(_page(f"<main>{post.format(n=1)}{post.format(n=2)}</main>"))
    assert _titles(entries) == ["The real title 1", "The real title 2"]
    assert _urls(entries) == [f"{SITE}/p/1", f"{SITE}/p/2"]


def test_articles_without_linked_headings_are_not_a_listing():
    posts = "<article><h2>Untitled</h2><p>Body.</p></article>" * 3
    assert _extract(_page(f"<main>{posts}</main>")) == ("generic", [])


def test_fewer_than_three_sibling_blocks_are_not_a_listing():
    cards = "".join(
        f'<div class="card"><h3><a href="/c/{n}">Card number {n}</a></h3></div>' for n in range(2)
    )
    assert _extract(_page(f"<main>{cards}</main>")) == ("generic", [])


def test_short_link_lists_like_tags_are_not_titles():
    tags = "".join(f'<li><a href="/tag/{t}">{t}</a></li>' for t in ["css", "html", "a11y", "js"])
    assert _extract(_page(f"<main><ul>{tags}</ul></main>")) == ("generic", [])


def test_cards_in_rows_of_a_grid_are_one_list_and_the_rows_are_not_entries():
    def card(n: int) -> str:
        return f'<div class="card"><h3><a href="/c/{n}">Card {n}</a></h3><p>Text {n}.</p></div>'

    rows = "".join(
        f'<div class="row">{card(3 * r)}{card(3 * r + 1)}{card(3 * r + 2)}</div>' for r in range(4)
    )
    name, entries = _extract(_page(f"<main>{rows}</main>"))
    assert name == "generic:siblings"
    assert _titles(entries) == [f"Card {n}" for n in range(12)]
    assert entries[0]["excerpt"] == "Text 0."


def test_sibling_date_is_read_from_date_like_text_and_left_out_of_the_excerpt():
    _, entries = _extract(_html("siblings"), CASES["siblings"][0])
    recipes = entries[2]
    assert recipes["date"] == "2024-02-27"
    assert "Released" not in recipes["excerpt"]


def test_links_that_are_not_http_do_not_make_entries():
    posts = "".join(
        f'<article><h2><a href="{href}">Post {n}</a></h2></article>'
        for n, href in enumerate(["javascript:void(0)", "mailto:a@b.c", "#", "/ok/1", "/ok/2"])
    )
    _, entries = _extract(_page(f"<main>{posts}</main>"))
    assert _urls(entries) == [f"{SITE}/ok/1", f"{SITE}/ok/2"]


# --- nothing to find ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "",
        "<p>Hello, world.</p>",
        '<nav><a href="/a">About this site</a><a href="/b">Contact the author</a></nav>',
    ],
)
def test_a_page_without_a_listing_gives_generic_and_no_entries(body):
    assert _extract(_page(body)) == ("generic", [])


AGO = "3 days ago"  # a date only the moment of fetching can place
RELATIVE = {
    "json-ld": _page("", head=_ld([_posting(n, datePublished=AGO) for n in (1, 2, 3)])),
    "microdata": _page(
        "".join(
            f'<div itemscope itemtype="https://schema.org/BlogPosting"><h2 itemprop="headline">'
            f'<a itemprop="url" href="/p/{n}">Post number {n} here</a></h2>'
            f'<span itemprop="datePublished">{AGO}</span></div>'
            for n in (1, 2, 3)
        )
    ),
    "h-entry": _page(
        "".join(
            f'<div class="h-entry"><h2 class="p-name"><a class="u-url" href="/p/{n}">'
            f'Post number {n} here</a></h2><span class="dt-published">{AGO}</span></div>'
            for n in (1, 2, 3)
        )
    ),
    "articles": _page(
        "".join(
            f'<article><h2><a href="/p/{n}">Post number {n} here</a></h2><time>{AGO}</time>'
            "</article>"
            for n in (1, 2, 3)
        )
    ),
}


@pytest.mark.parametrize("strategy", list(RELATIVE))
def test_fetched_at_is_accepted_and_passed_on_for_dates(strategy):
    soup = BeautifulSoup(RELATIVE[strategy], "lxml")
    name, entries = extract_generic(soup, BASE, datetime(2024, 3, 15, 12))
    assert name == f"generic:{strategy}"
    assert [e.date for e in entries] == ["2024-03-12"] * 3  # three days before the fetch
    _, today = extract_generic(BeautifulSoup(RELATIVE[strategy], "lxml"), BASE)
    assert [e.date for e in today] != ["2024-03-12"] * 3  # so the input tells the difference


# --- markup the site controls ------------------------------------------------------------


@pytest.mark.parametrize("href", ["http://[::1", "//[", "http://\u2100/", "http:", "http://"])
def test_a_malformed_or_hostless_href_gives_no_url_and_does_not_fail_the_page(href):
    posts = "".join(
        f'<article><h2><a href="{h}">Post {n}</a></h2></article>'
        for n, h in enumerate([href, "/ok/1", "/ok/2"])
    )
    _, entries = _extract(_page(f"<main>{posts}</main>"))
    assert _urls(entries) == [f"{SITE}/ok/1", f"{SITE}/ok/2"]
    _, described = _extract(_page("", head=_ld([_posting(1, url=href), _posting(2)])))
    assert _urls(described) == [None, f"{SITE}/p/2"]


def test_a_deeply_nested_json_ld_value_is_read_as_no_value_not_a_crash():
    depth = 900
    headline = "[" * depth + '"Deep"' + "]" * depth
    doc = f'[{{"@type": "BlogPosting", "headline": {headline}, "url": "/a"}}, '
    doc += json.dumps(_posting(2)) + "]"
    head = f'<script type="application/ld+json">{doc}</script>'
    _, entries = _extract(_page("", head=head))
    assert _titles(entries) == [None, "Post 2"]


def test_a_lone_surrogate_in_json_ld_becomes_a_replacement_character():
    head = _ld([_posting(1, headline="Half \ud800 a pair"), _posting(2)])
    _, entries = _extract(_page("", head=head))
    assert entries[0]["title"] == "Half \ufffd a pair"
    entries[0]["title"].encode("utf-8")
