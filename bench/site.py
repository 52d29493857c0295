"""A synthetic Hugo PaperMod blog listing, generated deterministically.

The benchmark needs a listing large enough (1,000 pages) that per-page costs dominate
start-up, with pages shaped like the real theme (the fixture in
``fixtures/papermod/later/index.html``) so the parser does the work it does on a real
site: the same selectors, the same footer, and the 20-40 KB of inline CSS, JavaScript
and SVG that real pages carry around ten short entries. Everything comes from a seeded
``random.Random``, so the server process and the bench process build byte-identical
pages without passing them around, and every run of the bench sees the same site.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

MIN_PAGE_BYTES = 20_000
MAX_PAGE_BYTES = 40_000
AUTHORS = (
    "Ceshine Lee",
    "Ana Souza",
    "Jonas Weber",
    "Mei Tanaka",
    "Olu Adeyemi",
    "Zoë Martín",
)
_TOPICS = (
    "Gradient Checkpointing",
    "SQLite Full-Text Search",
    "Sentence Embeddings",
    "Mixed-Precision Training",
    "Vector Quantization",
    "Hugo Shortcodes",
    "Async Python",
    "Rust FFI",
    "Cron Jobs",
    "Kubernetes Jobs",
    "Tokenizers",
    "ONNX Runtime",
    "Feature Stores",
    "Bloom Filters",
    "Write-Ahead Logging",
    "Perceiver IO",
    "Whisper Fine-tuning",
    "Datasette Plugins",
    "Café-Grade Espresso Telemetry",
    "Polars DataFrames",
    "Linear Attention",
    "Retrieval Augmentation",
    "Protocol Buffers",
    "Column Stores",
    "Contrastive Learning",
    "Zero-Copy Parsing",
    "HTTP Caching",
    "Conditional Requests",
    "Static Site Search",
    "Knowledge Distillation",
    "LoRA Adapters",
    "Time-Series Forecasting",
    "Event Sourcing",
    "Property-Based Testing",
    "Flame Graphs",
    "Async Rust",
    "Data Versioning",
    "Tabular Transformers",
    "Graph Neural Networks",
    "Reproducible Builds",
)
_PATTERNS = (
    "Notes on {topic}",
    "[Notes] Understanding {topic}",
    "A Practical Guide to {topic}",
    "What I Learned Building {topic} from Scratch",
    "{topic} on a Single Consumer GPU",
    "Why {topic} Is Harder Than It Looks",
    "{topic}: Pitfalls and Workarounds",
    "Benchmarking {topic} — A Second Look",
    "Five Things About {topic} Nobody Told Me",
    "Revisiting {topic} in {year}",
    "Combining {topic} and {other}",
    "From {other} to {topic}",
    "{topic} vs. {other}",
    "Replacing {other} with {topic}",
    "{topic} Meets {other}",
)
_SUBTITLES = (
    "",
    "",
    "",
    ": Lessons from Production",
    ": A Case Study",
    " (with Benchmarks)",
    ": The Good Parts",
    " at Scale",
    " in 200 Lines",
    ", Revisited",
    " for the Impatient",
    ": Notes from a Rewrite",
)
_OPENERS = ("Motivation", "Overview", "Introduction", "Background", "Context")
_SENTENCES = (
    "{topic} has become remarkably good, but adapting it to a narrow domain still takes care.",
    "In this post I walk through a small, reproducible setup for {topic}.",
    "The first attempt was slow; profiling showed most of the time went into {other}.",
    "Swapping in {other} cut the latency in half without touching the rest of the pipeline.",
    "These notes review the original paper and a minimal implementation in Python.",
    "I kept the memory footprint in check with gradient accumulation and 8-bit optimizers.",
    "Here is the small helper I use, and why I stopped worrying about dashboards.",
    "The pitfalls are mostly about dynamic shapes, caching and the order of operations.",
    "It turned out to be the best way to understand why {other} wins in practice.",
    "Everything below runs on a laptop; no cluster, no cloud bill, no surprises.",
    "We measured it over three weeks of real traffic rather than a synthetic benchmark.",
    "The code is short enough to read in one sitting, and every number is reproducible.",
)


@dataclass(frozen=True)
class SiteSpec:
    """What to generate: ``pages`` listing pages of ``per_page`` posts for ``site_id``.

    Different ``site_id``s give different posts (titles, dates, excerpts), so twenty
    sources archived into one database never collapse into each other by content hash.
    """

    site_id: str = "bench"
    pages: int = 1000
    per_page: int = 10
    seed: int = 20240611
    # False: no <meta name="generator">, so no built-in profile recognises the pages
    # and the tool learns the listing's profile on page 1 (the "any site" walk).
    generator: bool = True


@dataclass(frozen=True)
class Post:
    title: str
    slug: str
    published: date
    author: str
    excerpt: str


def page_path(number: int) -> str:
    """Hugo's pagination paths: ``/`` then ``/page/2/``, ``/page/3/``..."""
    return "/" if number == 1 else f"/page/{number}/"


def generate_site(spec: SiteSpec) -> dict[str, bytes]:
    """Every listing page of ``spec`` as UTF-8 bytes, keyed by path."""
    rng = random.Random(f"{spec.seed}:{spec.site_id}")
    posts = _posts(spec, rng)
    chrome = _Chrome.build(random.Random(f"{spec.seed}:chrome"))
    pages: dict[str, bytes] = {}
    for number in range(1, spec.pages + 1):
        first = (number - 1) * spec.per_page
        page_posts = posts[first : first + spec.per_page]
        html = _render_page(spec, number, page_posts, chrome, rng)
        pages[page_path(number)] = html.encode("utf-8")
    return pages


def _posts(spec: SiteSpec, rng: random.Random) -> list[Post]:
    """Newest first, one every day or two, with unique titles (no two posts alike)."""
    day = date(2025, 10, 31)
    titles: set[str] = set()
    posts = []
    for index in range(spec.pages * spec.per_page):
        topic = rng.choice(_TOPICS)
        others = [t for t in _TOPICS if t != topic]
        pattern = rng.choice(_PATTERNS) + rng.choice(_SUBTITLES)
        title = pattern.format(topic=topic, other=rng.choice(others), year=day.year)
        base, part = title, 2
        while title in titles:
            title, part = f"{base} (Part {part})", part + 1
        titles.add(title)
        sentences = [
            sentence.format(topic=topic, other=rng.choice(others))
            for sentence in rng.sample(_SENTENCES, k=rng.randint(2, 4))
        ]
        excerpt = f"{rng.choice(_OPENERS)} {' '.join(sentences)}"
        posts.append(
            Post(
                title=title,
                slug=f"{spec.site_id}-{index + 1:05d}-{_slugify(title)}",
                published=day,
                author=rng.choice(AUTHORS),
                excerpt=excerpt,
            )
        )
        day -= timedelta(days=rng.choice((0, 1, 1, 2)))
    return posts


def _slugify(text: str) -> str:
    kept = "".join(c.lower() if c.isalnum() else "-" for c in text)
    return "-".join(part for part in kept.split("-") if part)[:60]


@dataclass(frozen=True)
class _Chrome:
    """The bulk every page of a real PaperMod site carries: the theme's inline CSS,
    its scripts and its SVG icons (identical on every page, as on a real site)."""

    css: str
    head_script: str
    body_script: str
    icons: dict[str, str]

    @classmethod
    def build(cls, rng: random.Random) -> _Chrome:
        return cls(
            css=_css(rng, target=7_000),
            head_script=_HEAD_SCRIPT,
            body_script=_BODY_SCRIPT,
            icons={name: _svg_icon(rng, name, 260) for name in ("moon", "sun", "rss", "top")},
        )


def _render_page(
    spec: SiteSpec, number: int, posts: list[Post], chrome: _Chrome, rng: random.Random
) -> str:
    """One page; entry covers (inline SVG placeholders) bring it to a size drawn
    between 20 and 40 KB, so sizes vary from page to page as they do on a real blog."""
    target = rng.randint(MIN_PAGE_BYTES + 1_000, MAX_PAGE_BYTES - 1_000)
    bare = [_entry(post, cover="") for post in posts]
    skeleton = _page(spec, number, "".join(bare), chrome)
    room = target - len(skeleton.encode("utf-8"))
    covered = rng.sample(range(len(posts)), k=min(len(posts), rng.randint(3, 8)))
    entries = list(bare)
    for i in covered:
        size = max(0, room // len(covered))
        cover = _cover(rng, posts[i], size) if size > 200 else ""
        entries[i] = _entry(posts[i], cover=cover)
    html = _page(spec, number, "".join(entries), chrome)
    size = len(html.encode("utf-8"))
    if not MIN_PAGE_BYTES <= size <= MAX_PAGE_BYTES:  # a generator bug, not bad luck
        raise AssertionError(f"page {number} of {spec.site_id} is {size} bytes")
    return html


def _page(spec: SiteSpec, number: int, entries: str, chrome: _Chrome) -> str:
    site = f"Bench Blog {spec.site_id}"
    title = site if number == 1 else f"Page {number} | {site}"
    home_info = _HOME_INFO.format(site=escape(site), rss=chrome.icons["rss"]) if number == 1 else ""
    page = _PAGE if spec.generator else _PAGE.replace(GENERATOR, "", 1)
    return page.format(
        title=escape(title),
        site=escape(site),
        site_id=escape(spec.site_id),
        canonical=page_path(number),
        css=chrome.css,
        head_script=chrome.head_script,
        body_script=chrome.body_script,
        moon=chrome.icons["moon"],
        sun=chrome.icons["sun"],
        top=chrome.icons["top"],
        home_info=home_info,
        entries=entries,
        pagination=_pagination(number, spec.pages),
    )


def _entry(post: Post, cover: str) -> str:
    title = escape(post.title)
    return _ENTRY.format(
        cover=cover,
        title=title,
        excerpt=escape(post.excerpt),
        iso=post.published.isoformat(),
        shown=f"{post.published:%B} {post.published.day}, {post.published.year}",
        author=escape(post.author),
        slug=post.slug,
    )


def _pagination(number: int, total: int) -> str:
    links = []
    if number > 1:
        links.append(
            f'    <a class="prev" href="{page_path(number - 1)}">\n'
            f"      «&nbsp;Prev&nbsp;{number - 1}/{total}\n    </a>\n"
        )
    if number < total:
        links.append(
            f'    <a class="next" href="{page_path(number + 1)}">'
            f"Next&nbsp;{number + 1}/{total}&nbsp;»\n    </a>\n"
        )
    nav = "".join(links)
    return f'<footer class="page-footer">\n  <nav class="pagination">\n{nav}  </nav>\n</footer>'


def _cover(rng: random.Random, post: Post, size: int) -> str:
    """A lazy-loaded cover with an inline SVG placeholder of about ``size`` bytes,
    the way image-processing pipelines inline a blurred preview."""
    head = (
        '<figure class="entry-cover"><svg role="img" aria-label="'
        f'{escape(post.title)}" viewBox="0 0 1200 630" preserveAspectRatio="xMidYMid slice">'
    )
    tail = "</svg></figure>\n"
    return head + _path_data(rng, size - len(head) - len(tail)) + tail


def _svg_icon(rng: random.Random, name: str, size: int) -> str:
    head = (
        f'<svg id="{name}" xmlns="http://www.w3.org/2000/svg" width="24" height="18" '
        'viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" '
        'stroke-linecap="round" stroke-linejoin="round">'
    )
    return head + _path_data(rng, size) + "</svg>"


def _path_data(rng: random.Random, size: int) -> str:
    parts = ['<path fill="#8a9ba8" d="M0 0']
    length = len(parts[0])
    while length < size - 4:
        x, y = rng.randint(0, 1200), rng.randint(0, 630)
        step = f"{rng.choice('LQCST')}{x} {y} "
        parts.append(step)
        length += len(step)
    parts.append('Z"/>')
    return "".join(parts)


def _css(rng: random.Random, target: int) -> str:
    """A stylesheet of PaperMod's shape: its variables, then rules for its classes."""
    rules = [_CSS_BASE]
    size = len(_CSS_BASE)
    while size < target:
        selector = rng.choice(_CSS_SELECTORS)
        declarations = ";".join(
            f"{prop}:{rng.choice(values)}"
            for prop, values in rng.sample(_CSS_PROPERTIES, k=rng.randint(2, 5))
        )
        media = rng.random() < 0.15
        rule = f"{selector}{{{declarations}}}"
        if media:
            rule = f"@media screen and (max-width:{rng.choice((768, 900, 1024))}px){{{rule}}}"
        rules.append(rule)
        size += len(rule)
    return "".join(rules)


_CSS_BASE = (
    ":root{--gap:24px;--content-gap:20px;--nav-width:1024px;--main-width:720px;"
    "--header-height:60px;--footer-height:60px;--radius:8px;--theme:#fff;--entry:#fff;"
    "--primary:#1e1e1e;--secondary:#6c6c6c;--tertiary:#d6d6d6;--content:#1f1f1f;"
    "--code-block-bg:#1c1d21;--code-bg:#f5f5f5;--border:#eee}"
    ".dark{--theme:#1d1e20;--entry:#2e2e33;--primary:#dadadb;--secondary:#9b9c9d;"
    "--tertiary:#414244;--content:#c4c4c5;--code-block-bg:#2e2e33;--code-bg:#37383e;"
    "--border:#333}*,::after,::before{box-sizing:border-box}html{-webkit-tap-highlight-color:"
    "transparent;overflow-y:scroll}a,button,body,h1,h2,h3,h4,h5,h6{color:var(--primary)}"
    "body{font-family:-apple-system,BlinkMacSystemFont,segoe ui,Roboto,Oxygen,Ubuntu,"
    "Cantarell,open sans,helvetica neue,sans-serif;font-size:18px;line-height:1.6;"
    "word-break:break-word;background:var(--theme)}"
)
_CSS_SELECTORS = (
    ".post-entry",
    ".post-entry:active",
    ".entry-header h2",
    ".entry-content",
    ".entry-footer",
    ".entry-link",
    ".entry-cover",
    ".entry-cover img",
    ".home-info .entry-content",
    ".pagination",
    ".pagination a",
    ".pagination .next",
    ".header",
    ".nav",
    ".logo a",
    "#menu",
    "#menu a",
    "#menu .active",
    ".logo-switches",
    "#theme-toggle svg",
    ".footer",
    ".footer a",
    ".top-link",
    ".social-icons a",
    ".post-content pre code",
    ".toc details summary",
    ".breadcrumbs",
    ".post-tags a",
    ".share-buttons svg",
    ".dark .post-entry",
    "body.list",
    ".main",
    ".first-entry",
    ".first-entry .entry-header h1",
)
_CSS_PROPERTIES = (
    ("margin", ("0", "auto", "0 auto", "var(--gap) 0", "4px 0 0", "0 0 var(--content-gap)")),
    ("padding", ("0", "var(--gap)", "4px 8px", "12px 16px", "0 var(--gap)")),
    ("display", ("flex", "block", "inline-block", "grid", "none", "inline-flex")),
    ("font-size", ("14px", "16px", "18px", "24px", "34px", ".875rem", "1.2em")),
    ("line-height", ("1.2", "1.3", "1.6", "1.8", "0")),
    ("color", ("var(--primary)", "var(--secondary)", "var(--content)", "inherit")),
    ("background", ("var(--entry)", "var(--theme)", "var(--code-bg)", "0 0", "transparent")),
    ("border", ("1px solid var(--border)", "none", "0", "2px solid var(--tertiary)")),
    ("border-radius", ("var(--radius)", "4px", "50%", "0")),
    ("transition", ("transform .1s", "opacity .3s", "all .2s ease-in-out")),
    ("position", ("relative", "absolute", "sticky", "fixed")),
    ("max-width", ("var(--main-width)", "calc(var(--nav-width) + var(--gap) * 2)", "100%")),
    ("justify-content", ("space-between", "center", "flex-start", "flex-end")),
    ("align-items", ("center", "baseline", "flex-start")),
    ("overflow", ("hidden", "auto", "visible")),
    ("white-space", ("nowrap", "pre", "normal")),
    ("opacity", ("0", ".8", "1")),
    ("z-index", ("-1", "1", "10", "999")),
)
_HEAD_SCRIPT = """if (localStorage.getItem("pref-theme") === "dark") {
        document.querySelector("html").dataset.theme = 'dark';
    } else if (localStorage.getItem("pref-theme") === "light") {
        document.querySelector("html").dataset.theme = 'light';
    } else if (window.matchMedia('(prefers-color-scheme: dark)').matches) {
        document.querySelector("html").dataset.theme = 'dark';
    } else {
        document.querySelector("html").dataset.theme = 'light';
    }"""
_BODY_SCRIPT = """let menu = document.getElementById('menu')
    if (menu) {
        menu.scrollLeft = localStorage.getItem("menu-scroll-position");
        menu.onscroll = function () {
            localStorage.setItem("menu-scroll-position", menu.scrollLeft);
        }
    }
    document.querySelectorAll('a[href^="#"]').forEach(anchor => {
        anchor.addEventListener("click", function (e) {
            e.preventDefault();
            var id = this.getAttribute("href").substr(1);
            if (!window.matchMedia('(prefers-reduced-motion: reduce)').matches) {
                document.querySelector(`[id='${decodeURIComponent(id)}']`).scrollIntoView({
                    behavior: "smooth"
                });
            } else {
                document.querySelector(`[id='${decodeURIComponent(id)}']`).scrollIntoView();
            }
            if (id === "top") {
                history.replaceState(null, null, " ");
            } else {
                history.pushState(null, null, `#${id}`);
            }
        });
    });
    var mybutton = document.getElementById("top-link");
    window.onscroll = function () {
        if (document.body.scrollTop > 800 || document.documentElement.scrollTop > 800) {
            mybutton.style.visibility = "visible";
            mybutton.style.opacity = "1";
        } else {
            mybutton.style.visibility = "hidden";
            mybutton.style.opacity = "0";
        }
    };
    document.getElementById("theme-toggle").addEventListener("click", () => {
        if (document.body.className.includes("dark")) {
            document.body.classList.remove('dark');
            localStorage.setItem("pref-theme", 'light');
        } else {
            document.body.classList.add('dark');
            localStorage.setItem("pref-theme", 'dark');
        }
    })"""
GENERATOR = '<meta name="generator" content="Hugo 0.149.1">'
_PAGE = """<!DOCTYPE html>
<html lang="en" dir="auto">

<head>
<meta name="generator" content="Hugo 0.149.1"><meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<meta name="robots" content="index, follow">
<title>{title}</title>
<meta name="keywords" content="machine learning, data engineering, python">
<meta name="description" content="A synthetic PaperMod listing for the listing-archiver bench">
<meta name="author" content="{site}">
<link rel="canonical" href="{canonical}">
<style>{css}</style>
<link rel="icon" href="/favicon.ico">
<link rel="apple-touch-icon" href="/apple-touch-icon.png">
<link rel="alternate" type="application/rss+xml" href="/index.xml" title="rss">
<noscript>
    <style>#theme-toggle, .top-link {{ display: none; }}</style>
</noscript>
<meta property="og:url" content="{canonical}">
<meta property="og:site_name" content="{site}">
<meta property="og:title" content="{title}">
<meta property="og:type" content="website">
<meta name="twitter:card" content="summary">
<script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "Organization", "name": "{site}",
  "url": "/", "description": "Notes on machine learning and data engineering",
  "sameAs": ["/index.xml"]}}
</script>
<script>
    {head_script}
</script>
</head>

<body class="list" id="top"><header class="header">
    <nav class="nav">
        <div class="logo">
            <a href="/" accesskey="h" title="{site} (Alt + H)">{site}</a>
            <div class="logo-switches">
                <button id="theme-toggle" accesskey="t" title="(Alt + T)" aria-label="Toggle theme">
                    {moon}
                    {sun}
                </button>
            </div>
        </div>
        <ul id="menu">
            <li><a href="/archives/" title="Archives"><span>Archives</span></a></li>
            <li><a href="/search/" title="Search (Alt &#43; /)"
                accesskey=/><span>Search</span></a></li>
            <li><a href="/tags/" title="Tags"><span>Tags</span></a></li>
            <li><a href="/about/" title="About {site_id}"><span>About</span></a></li>
        </ul>
    </nav>
</header>
<main class="main">
{home_info}{entries}{pagination}
    </main>

<footer class="footer">
        <span>&copy; 2015-2026 <a href="/">{site}</a></span> ·
    <span>
        Powered by
        <a href="https://gohugo.io/" rel="noopener noreferrer" target="_blank">Hugo</a> &amp;
        <a href="https://github.com/adityatelange/hugo-PaperMod/" rel="noopener"
            target="_blank">PaperMod</a>
    </span>
</footer>
<a href="#top" aria-label="go to top" title="Go to Top (Alt + G)" class="top-link" id="top-link"
    accesskey="g">
    {top}
</a>
<script>
    {body_script}
</script>
</body>

</html>
"""
_HOME_INFO = """<article class="first-entry home-info">
  <header class="entry-header">
    <h1>{site}</h1>
  </header>
  <div class="entry-content">
    Notes on machine learning, data engineering and the tools in between.
  </div>
  <footer class="entry-footer">
    <div class="social-icons">
      <a href="/index.xml" target="_blank" rel="noopener noreferrer me" title="Rss">{rss}</a>
    </div>
  </footer>
</article>

"""
_ENTRY = """<article class="post-entry"> {cover}
  <header class="entry-header">
    <h2 class="entry-hint-parent">{title}
    </h2>
  </header>
  <div class="entry-content">
    <p>{excerpt} ...</p>
  </div>
  <footer class="entry-footer">

<span title='{iso} 00:00:00 +0000 UTC'>{shown}</span>&nbsp;·&nbsp;<span>{author}</span></footer>
  <a class="entry-link" aria-label="post link to {title}" href="/posts/{slug}/"></a>
</article>

"""
