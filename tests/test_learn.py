"""Learned profiles: the item group holds one post each, fields are chosen as columns,
the site's own feed labels what the heuristics cannot see, and what page 1 taught reads
the pages after it through the fast path."""

from __future__ import annotations

from listing_archiver.scraper.groups import taxonomy
from listing_archiver.scraper.paginate import Walk
from listing_archiver.scraper.parse import parse_page
from listing_archiver.scraper.reader import ListingReader

URL = "https://news.example.org/"


def _page(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body><main>{body}</main></body></html>"


def _news_list(days: range) -> str:
    items = "".join(
        f'<li><a href="/news/item-{d}/">Council meets about item number {d}</a>'
        f'<span class="date">2024-03-{d:02d}</span></li>'
        for d in days
    )
    return _page(f'<ul class="news">{items}</ul>')


def test_a_plain_news_list_keeps_its_dates_the_li_is_the_item_not_the_link():
    page = parse_page(_news_list(range(1, 6)), URL)
    assert page.profile == "learned"
    assert [e.date for e in page.entries] == [f"2024-03-{d:02d}" for d in range(1, 6)]
    assert page.entries[0].url == "https://news.example.org/news/item-1/"


def test_div_items_with_heading_date_and_summary_paragraphs_keep_every_field():
    items = "".join(
        f'<div class="item"><h3><a href="/p/{d}">A post about topic {d}</a></h3>'
        f'<p class="date">March {d}, 2024</p><p>Summary of the post number {d}, in a sentence.</p>'
        "</div>"
        for d in range(1, 5)
    )
    page = parse_page(_page(items), URL)
    first = page.entries[0]
    assert (first.title, first.date) == ("A post about topic 1", "2024-03-01")
    assert first.excerpt == "Summary of the post number 1, in a sentence."
    assert len(page.entries) == 4


def test_the_learned_profile_is_what_the_walk_reads_the_next_page_with():
    reader = ListingReader()
    first = reader.read(_news_list(range(1, 6)), URL)
    assert first.used is not None and reader.profile is first.used
    second = reader.read(_news_list(range(6, 9)), URL + "page/2/")
    assert second.profile == "learned"
    assert [e.date for e in second.entries] == ["2024-03-06", "2024-03-07", "2024-03-08"]


def test_several_authors_are_joined_in_page_order():
    items = "".join(
        f'<article><h2><a href="/p/{d}">Release notes number {d}</a></h2>'
        f'<div class="authors"><span class="author">Ann Lee</span>'
        f'<span class="author">Bo Chen</span></div><time datetime="2024-01-0{d}">Jan {d}</time>'
        "</article>"
        for d in range(1, 4)
    )
    page = parse_page(_page(f'<section class="list">{items}</section>'), URL)
    assert page.profile == "learned"
    assert {e.author for e in page.entries} == {"Ann Lee, Bo Chen"}


FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
FEED_ITEM = (
    "<item><title>Story number {d} of the week</title><link>{base}story/{d}/</link>"
    "<author>x@example.org (Jo Writer)</author><dc:creator>Jo Writer</dc:creator>"
    "<pubDate>Mon, 0{d} Apr 2024 10:00:00 +0000</pubDate><description>Opening line of "
    "story {d}.</description></item>"
)


def _story_page(stories: range, feed_href: str | None) -> str:
    items = "".join(
        f'<div class="row"><h2><a href="/story/{d}/">Story number {d} of the week</a></h2>'
        f"<p><span>Jo Writer</span></p><span>April {d}, 2024</span>"
        f"<div>Opening line of story {d}.</div>"
        "</div>"
        for d in stories
    )
    head = f'<link rel="alternate" type="application/rss+xml" href="{feed_href}">'
    return _page(items, head if feed_href else "")


def test_the_sites_feed_is_discovered_once_and_labels_an_unmarked_author(server, fetcher):
    base = server.url("/")
    feed = FEED.replace("<rss ", '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" ')
    items = "".join(FEED_ITEM.format(d=d, base=base) for d in range(1, 4))
    server.route("/feed.rss", _xml(feed.format(items=items)))
    page2 = _story_page(range(4, 7), "/feed.rss")
    server.page("/", _story_page(range(1, 4), "/feed.rss").replace("</main>", _next("/p2")))
    server.page("/p2", page2)
    pages = list(Walk(base, fetcher))
    assert [p.profile for p in pages] == ["learned", "learned"]
    assert server.hits("/feed.rss") == 1
    assert [e.author for p in pages for e in p.entries] == ["Jo Writer"] * 6
    assert [e.date for e in pages[1].entries] == ["2024-04-04", "2024-04-05", "2024-04-06"]
    assert pages[1].entries[0].excerpt == "Opening line of story 4."


def test_a_site_without_a_feed_is_still_learned_from_its_columns(server, fetcher):
    server.page("/", _news_list(range(1, 6)))
    pages = list(Walk(server.url("/"), fetcher))
    assert pages[0].profile == "learned"
    assert all(e.date for e in pages[0].entries)


def _next(href: str) -> str:
    return f'<a rel="next" href="{href}">Older</a></main>'


def _xml(text: str):  # type: ignore[no-untyped-def]
    from .server import Reply

    return Reply(body=text.encode("utf-8"), headers={"Content-Type": "application/rss+xml"})


def _post_item(d: int, wrapped: bool) -> str:
    body = (
        f'<h3><a class="post-title" href="/blog/2024/post-{d}/">A post about subject {d}</a></h3>'
        f"<p>What post {d} is about, in one sentence.</p>"
        f'<p class="post-meta">2 min read · March {d}, 2024</p>'
        f'<p class="post-tags"><a href="/blog/tag/code">code</a> '
        f'<a href="/blog/tag/x{d}">x{d}</a></p>'
    )
    if wrapped:  # a post with an image puts its text in a grid column
        body = f'<div class="row"><div class="col">{body}</div><img src="/i.jpg" alt=""></div>'
    return f"<li>{body}</li>"


def test_a_tag_cloud_above_the_list_loses_and_a_post_wrapped_in_a_grid_row_stays_an_entry():
    tags = "".join(
        f'<li><a href="/blog/tag/{t}">{t}</a></li>' for t in ("code", "math", "images", "links")
    )
    posts = "".join(_post_item(d, wrapped=d == 2) for d in range(1, 6))
    page = parse_page(_page(f'<ul class="tags">{tags}</ul><ul class="post-list">{posts}</ul>'), URL)
    assert [e.title for e in page.entries] == [f"A post about subject {d}" for d in range(1, 6)]
    assert [e.date for e in page.entries] == [f"2024-03-{d:02d}" for d in range(1, 6)]
    assert page.entries[1].excerpt == "What post 2 is about, in one sentence."


def test_a_featured_pair_of_cards_above_the_list_is_read_as_entries():
    cards = "".join(
        f'<div class="col"><a href="/blog/2020/pinned-{d}/"><div class="card">'
        f'<h3 class="card-title">Pinned post number {d}</h3>'
        f'<p class="card-text">Why pinned {d}.</p>'
        "</div></a></div>"
        for d in (1, 2)
    )
    posts = "".join(_post_item(d, wrapped=False) for d in range(1, 4))
    html = _page(f'<div class="featured">{cards}</div><ul class="post-list">{posts}</ul>')
    titles = [e.title for e in parse_page(html, URL).entries]
    assert titles[:2] == ["Pinned post number 1", "Pinned post number 2"]
    assert titles[2:] == [f"A post about subject {d}" for d in range(1, 4)]


def test_an_articles_own_header_is_read_and_a_byline_gives_author_and_date():
    items = "".join(
        f'<article><header><h2><a href="/post-{d}.html">Lessons from project {d}</a></h2>'
        f'<p>Posted by <a href="/author/jo.html">Jo Writer</a> on Thu 0{d} May 2025 in '
        f'<a href="/category/misc.html">Misc</a> • Tagged with <a href="/tag/t.html">t</a></p>'
        f"</header><div><p>The opening of post {d}, long enough to read.</p></div></article>"
        for d in range(1, 4)
    )
    page = parse_page(_page(items), URL)
    assert page.profile == "learned"
    assert [(e.author, e.date) for e in page.entries] == [
        ("Jo Writer", f"2025-05-0{d}") for d in range(1, 4)
    ]


def test_a_walk_read_by_a_builtin_profile_never_asks_for_the_feed(server, fetcher):
    from .server import html_page, papermod_entry

    feed_link = '<link rel="alternate" type="application/rss+xml" href="/index.xml">'
    first = [papermod_entry(f"Post {d}", f"post-{d}", author="") for d in range(1, 4)]
    server.page("/", html_page(*first, next_href="/page/2/", head=feed_link))
    server.page("/page/2/", html_page(papermod_entry("Post 4", "post-4", author="")))
    server.route("/index.xml", _xml(FEED.format(items="")))
    walk = Walk(server.url("/"), fetcher)
    pages = list(walk)
    assert [p.profile for p in pages] == ["papermod", "papermod"]
    assert all(e.author is None for p in pages for e in p.entries)  # a gap, and still
    assert [r.path for r in server.requests] == ["/", "/page/2/"]
    assert walk.learned_profile is None


def test_the_walk_hands_over_what_it_learned_and_a_walk_given_it_learns_nothing(server, fetcher):
    base = server.url("/")
    feed = FEED.replace("<rss ", '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" ')
    items = "".join(FEED_ITEM.format(d=d, base=base) for d in range(1, 4))
    server.route("/feed.rss", _xml(feed.format(items=items)))
    server.page("/", _story_page(range(1, 4), "/feed.rss").replace("</main>", _next("/p2")))
    server.page("/p2", _story_page(range(4, 7), "/feed.rss"))
    walk = Walk(base, fetcher)
    first_run = [e for p in walk for e in p.entries]
    learned = walk.learned_profile
    assert learned is not None and learned.profile.name == "learned"
    assert (learned.learned_from, learned.page_url) == ("feed", base)
    assert learned.evidence["author"] == "feed"

    again = Walk(base, fetcher, profile=learned.profile)
    assert [e for p in again for e in p.entries] == first_run
    assert server.hits("/feed.rss") == 1  # the first walk's only
    assert again.learned_profile is None


def test_a_post_titled_with_next_is_no_pagination_link_the_short_next_link_is():
    items = "".join(
        f'<div class="item"><h3><a href="/p/{d}">Tips for your next event, part {d}</a></h3>'
        f'<p class="date">March {d}, 2024</p></div>'
        for d in range(1, 4)
    )
    html = _page(items + '<ul><li><a href="/page/2">Next</a></li></ul>')
    assert parse_page(html, URL).next_urls == ("https://news.example.org/page/2",)


def test_papermod_markup_without_its_generator_tag_is_learned_to_the_builtin_reading():
    from listing_archiver.scraper.profile import get_profile

    from .server import html_page, papermod_entry

    posts = [
        papermod_entry(f"Notes on topic {d}", f"notes-{d}", f"2024-05-0{d}", f"Ann Writer{'s' * d}")
        for d in range(1, 5)
    ]
    html = html_page(*posts).replace('<meta name="generator" content="Hugo 0.149.1">', "")
    learned = parse_page(html, URL)
    assert learned.profile == "learned"  # an empty link laid over the card, a bare name
    assert learned.entries == parse_page(html, URL, get_profile("papermod")).entries
    assert learned.entries[0].author == "Ann Writers"


def test_hidden_structured_copies_are_no_summary_and_a_meta_description_is_one():
    items = "".join(
        f'<article><div class="post-header"><a href="/p/{d}/"><h3>A talk at the meetup {d}</h3>'
        f'</a></div><span class="hidden">https://cdn.example/img{d}.jpg 2560 1440 Jo Writer '
        f"Jo Writer https://gravatar.example/avatar October {d}, 2020</span>"
        f'<p class="post-meta-description">Slides and notes of talk {d}.</p></article>'
        for d in range(1, 4)
    )
    entries = parse_page(_page(items), URL).entries
    assert [e.excerpt for e in entries] == [f"Slides and notes of talk {d}." for d in range(1, 4)]


def test_a_byline_naming_two_authors_joins_them_as_separate_names():
    items = "".join(
        f'<div class="story"><h2><a href="/s/{d}">City council story {d}</a></h2>'
        f'<p class="byline">By Dev Patel and Lena Hoff</p><p>What happened {d}, briefly.</p></div>'
        for d in range(1, 4)
    )
    entries = parse_page(_page(items), URL).entries
    assert {e.author for e in entries} == {"Dev Patel, Lena Hoff"}


def test_full_posts_printed_one_after_another_into_one_article_are_read_as_runs():
    posts = "".join(
        f'<h2 class="post-title"><a href="/blog/release-{d}/">Release {d} is out now</a></h2>'
        f'<div class="post-meta">by Ann Lee on May {d}, 2024</div>'
        f"<div><p>The community announces release {d}.</p><p>More about it.</p></div>"
        for d in range(1, 4)
    )
    page = parse_page(_page(f"<article>{posts}</article>"), URL)
    assert page.profile == "learned" and page.used is not None and page.used.item_run
    assert [(e.title, e.date, e.author) for e in page.entries] == [
        (f"Release {d} is out now", f"2024-05-0{d}", "Ann Lee") for d in range(1, 4)
    ]
    assert page.entries[0].excerpt == "The community announces release 1. More about it."


def _job_board(ids: list[int], list_class: str) -> str:
    items = "".join(
        f'<li><h2 class="listing-company"><span class="listing-company-name">'
        f'<a href="/jobs/{i}/">Python Developer</a><br>Company number {i}</span>'
        f'<span class="listing-location"><a href="/jobs/location/town-{i}/">Town {i}, Land</a>'
        f'</span></h2><span class="listing-posted">Posted: '
        f'<time datetime="2024-05-{i % 28 + 1:02d}">'
        f"{i % 28 + 1} May 2024</time></span></li>"
        for i in ids
    )
    return _page(f'<ol class="{list_class}">{items}</ol>')


def test_a_list_classed_menu_whose_items_show_more_than_their_link_is_a_listing():
    ids = [7741, 7735, 7718, 7702]
    page = parse_page(_job_board(ids, "list-recent-jobs list-row-container menu"), URL)
    assert page.profile == "learned"
    # A heading that also links elsewhere (a location page) is a card's header: the
    # title is the position's link alone, and the same title at four URLs is four ads.
    assert [e.title for e in page.entries] == ["Python Developer"] * 4
    assert [e.url for e in page.entries] == [f"https://news.example.org/jobs/{i}/" for i in ids]
    assert [e.date for e in page.entries] == [f"2024-05-{i % 28 + 1:02d}" for i in ids]


def test_a_menu_classed_list_of_bare_links_stays_navigation_even_with_submenus():
    menu = (
        '<ul class="navigation menu">'
        + "".join(
            f'<li><a href="/section-{n}/">Section number {n}</a><ul class="subnav menu">'
            f'<li><a href="/section-{n}/a/">Part A of {n}</a></li>'
            f'<li><a href="/section-{n}/b/">Part B of {n}</a></li></ul></li>'
            for n in range(1, 6)
        )
        + "</ul>"
    )
    news = _news_list(range(1, 4)).replace("<main>", f"<main>{menu}", 1)
    page = parse_page(news, URL)
    assert [e.url for e in page.entries] == [
        f"https://news.example.org/news/item-{d}/" for d in range(1, 4)
    ]


def test_a_four_digit_number_is_a_year_archive_only_when_it_reads_as_a_year():
    assert taxonomy("/2024/")
    assert taxonomy("https://blog.example/archive/1999/")
    assert not taxonomy("/jobs/7741/")
    assert taxonomy("/jobs/location/remote/")


def test_a_job_ads_company_and_tagline_are_no_summary_but_a_description_is():
    def ad(n: int, summary: str) -> str:
        return (
            f'<li class="job_listing"><a href="/job/cook-{n}/"><div class="position">'
            f'<h3>Line cook</h3><div class="company"><strong>Kitchen number {n}</strong> '
            f'<span class="tagline">Good food since 19{n}0</span></div></div>'
            f'<div class="location">Galway</div>{summary}'
            f'<ul class="meta"><li class="date"><time datetime="2024-05-0{n}">'
            f"Posted {n} days ago</time></li></ul></a></li>"
        )

    bare = parse_page(
        _page(f'<ul class="job_listings">{"".join(ad(n, "") for n in (1, 2, 3))}</ul>'), URL
    )
    assert [e.excerpt for e in bare.entries] == [None] * 3
    assert [e.date for e in bare.entries] == ["2024-05-01", "2024-05-02", "2024-05-03"]
    said = "".join(
        ad(n, f"<p>Prep and service for a busy lunch crowd, shift {n}.</p>") for n in (1, 2, 3)
    )
    described = parse_page(_page(f'<ul class="job_listings">{said}</ul>'), URL)
    assert [e.excerpt for e in described.entries] == [
        f"Prep and service for a busy lunch crowd, shift {n}." for n in (1, 2, 3)
    ]
