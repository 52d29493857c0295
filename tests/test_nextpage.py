"""Finding the next page on one listing page (scraper.nextpage), the words it reads
(scraper.words), read-more labels dropped from excerpts, and why a walk ended."""

from __future__ import annotations

import pytest
from lxml import etree

from listing_archiver.scraper import nextpage
from listing_archiver.scraper.paginate import END, LOOP, NO_NEXT_LINK, Walk
from listing_archiver.scraper.parse import parse_page
from listing_archiver.scraper.text import clean_excerpt, drop_read_more

from .server import html_page, papermod_entry

PAGE = "https://example.org/blog/page/2/"


def listing(nav: str) -> str:
    """Four plain blog posts and ``nav``: read by a learned profile, whose own ``next``
    is empty, so every candidate comes from ``nextpage``."""
    posts = "".join(
        f'<article class="post"><h2 class="entry-title"><a href="/blog/p{i}/">Post {i}</a></h2>'
        f'<time datetime="2024-01-0{i}">Jan {i}</time><div class="entry-summary">'
        f"<p>Summary {i} of the post.</p></div></article>"
        for i in range(1, 5)
    )
    return f'<html lang="en"><body><main>{posts}</main>{nav}</body></html>'


def next_of(nav: str, url: str = PAGE) -> tuple[str, ...]:
    return parse_page(listing(nav), url).next_urls


def absolute(path: str) -> str:
    return "https://example.org" + path


# --- numbered pagination ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "nav",
    [
        # WordPress's the_posts_pagination: aria-current on a span.
        '<a href="/blog/">1</a><span aria-current="page" class="page-numbers current">2</span>'
        '<a href="/blog/page/3/">3</a>',
        # Bootstrap: the li is active, and its link points at the page itself.
        '<ul class="pagination"><li class="page-item"><a href="/blog/">1</a></li>'
        '<li class="page-item active"><a href="/blog/page/2/">2</a></li>'
        '<li class="page-item"><a href="/blog/page/3/">3</a></li></ul>',
        # aria-current on the link itself.
        '<nav><a href="/blog/">1</a><a aria-current="page" href="/blog/page/2/">2</a>'
        '<a href="/blog/page/3/">3</a></nav>',
        # A current class on the wrapping li, the number in a span.
        '<ol><li><a href="/blog/">1</a></li><li class="is-current"><span>2</span></li>'
        '<li><a href="/blog/page/3/">3</a></li><li>…</li>'
        '<li><a href="/blog/page/9/">9</a></li></ol>',
        # The one number that is no link.
        '<p><a href="/blog/">1</a> <strong>2</strong> <a href="/blog/page/3/">3</a></p>',
    ],
    ids=["aria-current-span", "active-li", "aria-current-a", "current-li", "non-link"],
)
def test_a_numbered_pager_leads_to_the_number_after_the_current_page(nav):
    assert next_of(f'<div class="pages">{nav}</div>') == (absolute("/blog/page/3/"),)


def test_on_page_one_of_a_pager_without_its_own_number_the_next_page_is_two():
    nav = '<div class="pages"><a href="/blog/page/2/">2</a> <a href="/blog/page/3/">3</a></div>'
    assert next_of(nav, "https://example.org/blog/") == (absolute("/blog/page/2/"),)


def test_the_last_page_of_a_numbered_pager_has_no_next_page():
    nav = '<a href="/blog/">1</a><a href="/blog/page/2/">2</a><span class="current">3</span>'
    assert next_of(f"<div>{nav}</div>", "https://example.org/blog/page/3/") == ()


def test_a_calendar_of_linked_days_is_no_pager():
    days = "".join(
        f"<td>{d}</td>" if d % 3 else f'<td><a href="/2024/01/{d}/">{d}</a></td>'
        for d in range(1, 15)
    )
    assert next_of(f'<table id="wp-calendar"><tr>{days}</tr></table>') == ()


# --- labels, icons, rel ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        '<a href="/blog/page/3/" aria-label="Next page">3</a>',
        '<a href="/blog/page/3/" title="Older posts"><i class="icon-right"></i></a>',
        '<a href="/blog/page/3/" aria-label="Nächste Seite"><svg><path d="M0 0"/></svg></a>',
        '<a href="/blog/page/3/" class="next"><svg><path d="M0 0"/></svg></a>',
        '<a href="/blog/page/3/">»</a>',
        '<div class="x"><p>text</p></div><a rel="next nofollow" href="/blog/page/3/">3</a>',
    ],
    ids=["aria-label-number", "title-icon", "aria-label-svg", "class-svg", "arrow", "rel-on-a"],
)
def test_a_link_that_says_next_only_in_its_attributes_or_rel_is_followed(link):
    assert next_of(f"<footer>{link}</footer>") == (absolute("/blog/page/3/"),)


def test_a_number_without_a_label_or_a_pager_is_not_a_next_link():
    assert next_of('<footer><a href="/blog/page/3/">3</a></footer>') == ()


@pytest.mark.parametrize(
    ("label", "says_next"),
    [
        ("Next »", True),
        ("Older posts", True),
        ("Ältere Beiträge", True),
        ("Nächste Seite", True),
        ("Weiter", True),
        ("Articles plus anciens", True),
        ("Suivant", True),
        ("Siguiente", True),
        ("Entradas anteriores", True),  # earlier entries: the next page of a listing
        ("Próxima", True),
        ("Mais antigos", True),
        ("Successivo", True),
        ("Articoli precedenti", True),
        ("Volgende", True),
        ("Oudere berichten", True),
        ("下一页", True),
        ("更早的文章", True),
        ("次へ", True),
        ("次のページ", True),
        ("Page 2 >>", True),
        ("Neuere Beiträge", False),
        ("« Previous", False),
        ("Précédent", False),
        ("Articles plus récents", False),
        ("Anterior", False),  # the previous page, unlike "Entradas anteriores"
        ("Precedente", False),
        ("Vorige", False),
        ("上一页", False),
        ("前の記事", False),
        ("前へ", False),
        ("Weiter lesen", False),  # read more, not the next page
        ("Weiterlesen", False),
        ("Tips for your next big event in town", False),
        ("Next.js 15 is out", False),
    ],
)
def test_next_and_older_words_are_read_in_every_language_the_date_parser_knows(label, says_next):
    assert nextpage.says_next(label) is says_next


def test_a_newer_link_before_an_older_one_is_not_followed():
    nav = '<a href="/blog/">Neuere Beiträge</a> <a href="/blog/page/3/">Ältere Beiträge</a>'
    assert next_of(f"<div>{nav}</div>") == (absolute("/blog/page/3/"),)


# --- load more ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "button",
    [
        '<a class="button" href="/blog/page/3/">Load more</a>',
        '<button class="load-more" data-url="/blog/page/3/">Mehr laden</button>',
        '<a href="#" data-next-url="/blog/page/3/">Cargar más</a>',
        '<button class="btn loadMore" data-href="https://example.org/blog/page/3/">↓</button>',
    ],
)
def test_a_load_more_link_or_button_with_a_url_leads_to_the_next_page(button):
    assert next_of(button) == (absolute("/blog/page/3/"),)


@pytest.mark.parametrize(
    "button",
    [
        '<button class="load-more">Load more</button>',  # JavaScript's business
        '<button class="load-more" data-next="3">Load more</button>',  # a number, not a URL
    ],
)
def test_a_load_more_button_without_a_url_is_not_followed(button):
    assert next_of(button) == ()


# --- cost ---------------------------------------------------------------------------------------


def test_a_page_with_rel_next_never_makes_the_pass_over_its_links(monkeypatch):
    def fail(*args: object) -> list[nextpage.Link]:
        raise AssertionError("the links were read although rel=next was found")

    monkeypatch.setattr(nextpage, "_links", fail)
    head = '<link rel="next" href="/blog/page/3/">'
    page = listing('<div><a href="/blog/page/9/">9</a></div>').replace(
        "<body>", f"<head>{head}</head><body>"
    )
    assert parse_page(page, PAGE).next_urls == (absolute("/blog/page/3/"),)


# --- when there is no next link ------------------------------------------------------------


def test_a_page_without_a_next_link_reports_the_links_that_look_like_more_pages():
    nav = '<div class="pager"><a href="/blog/page/3/"><img src="/arrow.png" alt=""></a></div>'
    parsed = parse_page(listing(nav), PAGE)
    assert parsed.next_urls == ()
    assert parsed.page_links == (absolute("/blog/page/3/"),)
    why = nextpage.why_no_next_link(listing(nav), PAGE)
    assert "/blog/page/3/" in why and "`next` selector" in why


def test_links_back_to_lower_page_numbers_are_no_sign_of_more_pages():
    """A walk (or a probe) may start on a listing's last page, which links back."""
    back = '<div class="pager"><a href="/blog/page/1/"><img src="/arrow.png" alt=""></a></div>'
    assert parse_page(listing(back), PAGE).page_links == ()
    ahead = back.replace("/page/1/", "/page/3/")
    assert parse_page(listing(ahead), PAGE).page_links == (absolute("/blog/page/3/"),)


def test_a_page_that_links_to_no_other_listing_page_looks_unpaginated():
    html = listing('<footer><a href="/about/">About</a></footer>')
    assert parse_page(html, PAGE).page_links == ()
    assert "nothing on the page looks like another page" in nextpage.why_no_next_link(html, PAGE)


def test_the_walk_tells_the_end_from_a_pager_it_could_not_read(server, fetcher):
    unread = '<div class="pager"><a href="/page/2/"><img src="/arrow.png" alt=""></a></div>'
    server.page("/", html_page(papermod_entry("A", "a")).replace("</main>", f"{unread}</main>"))
    walk = Walk(server.url("/"), fetcher)
    assert len(list(walk)) == 1
    assert walk.stop_reason == NO_NEXT_LINK
    server.page("/", html_page(papermod_entry("A", "a"), next_href="/page/2/"))
    back = '<div class="pager"><a href="/">1</a> <b>2</b></div>'
    server.page(
        "/page/2/", html_page(papermod_entry("B", "b")).replace("</main>", f"{back}</main>")
    )
    walk = Walk(server.url("/"), fetcher)
    assert len(list(walk)) == 2
    assert walk.stop_reason == END  # page 2 links back to page 1 only: walked


def test_a_next_link_back_to_a_walked_page_is_still_a_loop(server, fetcher):
    server.page("/", html_page(papermod_entry("A", "a"), next_href="/p2"))
    server.page("/p2", html_page(papermod_entry("B", "b"), next_href="/"))
    walk = Walk(server.url("/"), fetcher)
    assert len(list(walk)) == 2
    assert walk.stop_reason == LOOP


# --- read more -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "more",
    [
        '<a href="/p/">Weiterlesen »</a>',
        '<span class="more">Weiterlesen »</span>',
        " Lire la suite →",
        ' <a href="/p/#more">Leer más</a>',
        " <span>[Continua a leggere…]</span>",
        '<a href="/p/">Lees verder</a>',
        '<a href="/p/">Ler mais</a>',
        "<span>阅读全文</span>",
        '<a href="/p/">続きを読む</a>',
        '<a href="/p/">Read more →</a>',
        '<a href="/p/">Continue reading <span>The Title</span> →</a>',
    ],
)
def test_read_more_labels_in_every_language_are_dropped_from_excerpts(more):
    element = etree.HTML(f"<div><p>A summary of the post. {more}</p></div>").find(".//div")
    assert clean_excerpt(element) == "A summary of the post."


@pytest.mark.parametrize(
    "text",
    ["I hope you keep reading", "Ten ways to learn more", "Read more books, the doctor said."],
)
def test_read_more_words_inside_a_summarys_own_prose_are_kept(text):
    assert drop_read_more(text) == text
