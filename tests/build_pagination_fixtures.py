"""Write the pagination fixtures: small listings, three pages each, in the ways sites
paginate without a ``rel=next`` or an English "Next" (``tests/test_pagination_coverage``
walks them). Run ``python -m tests.build_pagination_fixtures`` after changing a case here
and review the diff; the HTML files are what the tests serve, this is how they were made.

Each case is a folder: ``index.html`` is page 1, ``page/N/index.html`` page N (served
as ``/page/N/``). Every page has ``PER_PAGE`` posts in the same plain blog markup, so
what differs between cases is the pagination alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "pagination"
PAGES = 3
PER_PAGE = 4

# The language's words: (html lang, older link, newer link, read-more label).
LANGUAGES = {
    "de": ("de", "Ältere Beiträge", "Neuere Beiträge", "Weiterlesen »"),
    "fr": ("fr", "Articles plus anciens", "Articles plus récents", "Lire la suite"),
    "es": ("es", "Entradas anteriores", "Entradas más recientes", "Leer más"),
    "pt": ("pt", "Mais antigos", "Mais recentes", "Ler mais"),
    "it": ("it", "Articoli precedenti", "Articoli successivi", "Continua a leggere"),
    "nl": ("nl", "Oudere berichten", "Nieuwere berichten", "Lees verder"),
    "zh": ("zh", "下一页", "上一页", "阅读全文"),
    "ja": ("ja", "次のページ", "前のページ", "続きを読む"),
}


def href(number: int) -> str:
    return "/" if number == 1 else f"/page/{number}/"


def entries(case: str, number: int, read_more: str = "Read more →") -> str:
    """The page's posts; the read-more label closes each summary as plain text in a span
    (no link), the way themes print it after an excerpt."""
    posts = []
    for i in range(PER_PAGE):
        n = (number - 1) * PER_PAGE + i + 1
        posts.append(
            f'<article class="post"><h2 class="entry-title"><a href="/{case}-post-{n}/">'
            f"{case} post {n}</a></h2>"
            f'<time datetime="2024-0{1 + n % 9}-1{n % 10}">2024</time>'
            f'<div class="entry-summary"><p>The summary of post {n}, a sentence or two long.'
            f' <span class="more">{read_more}</span></p></div></article>'
        )
    return "".join(posts)


def document(body: str, lang: str = "en") -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>Listing</title></head><body><main>{body}</main></body></html>\n"
    )


def wordpress_numbers(number: int) -> str:
    """WordPress's the_posts_pagination with the prev/next labels turned off."""
    items = [
        f'<span aria-current="page" class="page-numbers current">{n}</span>'
        if n == number
        else f'<a class="page-numbers" href="{href(n)}">{n}</a>'
        for n in range(1, PAGES + 1)
    ]
    return f'<nav class="navigation pagination"><div class="nav-links">{"".join(items)}</div></nav>'


def bootstrap_numbers(number: int) -> str:
    """Bootstrap's pager: the current page's ``li`` is ``active``; its link points at itself."""
    items = [
        f'<li class="page-item{" active" if n == number else ""}">'
        f'<a class="page-link" href="{href(n)}">{n}</a></li>'
        for n in range(1, PAGES + 1)
    ]
    return f'<ul class="pagination">{"".join(items)}</ul>'


def plain_numbers(number: int) -> str:
    """An old hand-made pager: the current page is the one number that is no link."""
    items = [f"<b>{n}</b>" if n == number else f'<a href="{href(n)}">{n}</a>' for n in range(1, 4)]
    return f'<div class="pages">Pages: {" ".join(items)}</div>'


def icon_with_label(number: int) -> str:
    """The words only in ``title`` (page 1: an icon font's ``<i>`` for text) or in
    ``aria-label`` (page 2: the next page's number for text)."""
    back = f'<a href="{href(number - 1)}" aria-label="Newer posts">‹</a>' if number > 1 else ""
    if number == PAGES:
        older = ""
    elif number % 2:
        older = f'<a href="{href(number + 1)}" title="Older posts"><i class="icon-right"></i></a>'
    else:
        older = f'<a href="{href(number + 1)}" aria-label="Next page">{number + 1}</a>'
    return f'<div class="nav">{back} {older}</div>'


def load_more(number: int) -> str:
    """Page 2 has a Load more link, page 1 a button carrying the URL in ``data-url``."""
    if number == 1:
        return f'<button class="load-more" data-url="{href(2)}">Load more</button>'
    if number < PAGES:
        return f'<a class="button" href="{href(number + 1)}">Show more</a>'
    return ""


def rel_next_on_a(number: int) -> str:
    """``rel=next`` on a numbered link in the footer, no ``<link>`` in the head."""
    if number == PAGES:
        return ""
    return f'<footer><a rel="next" href="{href(number + 1)}">{number + 1}</a></footer>'


def unrecognised(number: int) -> str:
    """A pager the walk cannot read (an image without alt text, no label): it must say
    the page looks paginated rather than report the end of the listing."""
    return (
        f'<div class="pager"><a href="{href(number + 1)}"><img src="/arrow.png" alt=""></a></div>'
    )


def language(code: str) -> Callable[[int], str]:
    _, older, newer, _ = LANGUAGES[code]

    def nav(number: int) -> str:
        back = f'<a href="{href(number - 1)}">« {newer}</a>' if number > 1 else ""
        forward = f'<a href="{href(number + 1)}">{older} »</a>' if number < PAGES else ""
        return f'<div class="nav-links">{back} {forward}</div>'

    return nav


CASES: dict[str, Callable[[int], str]] = {
    "wordpress-numbers": wordpress_numbers,
    "bootstrap-numbers": bootstrap_numbers,
    "plain-numbers": plain_numbers,
    "icon-with-label": icon_with_label,
    "load-more": load_more,
    "rel-next-on-a": rel_next_on_a,
    "unrecognised": unrecognised,
    **{f"words-{code}": language(code) for code in LANGUAGES},
}


def write(case: str, nav: Callable[[int], str]) -> None:
    lang, read_more = "en", "Read more →"
    if case.startswith("words-"):
        lang, _, _, read_more = LANGUAGES[case.removeprefix("words-")]
    for number in range(1, PAGES + 1):
        folder = HERE / case if number == 1 else HERE / case / "page" / str(number)
        folder.mkdir(parents=True, exist_ok=True)
        body = entries(case, number, read_more) + nav(number)
        (folder / "index.html").write_text(document(body, lang), "utf-8")


if __name__ == "__main__":
    for name, nav in CASES.items():
        write(name, nav)
