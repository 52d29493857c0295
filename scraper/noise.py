"""Where posts are not: navigation, chrome and promotion told apart by tag, ARIA role and
the words of a class or id. Shared by the generic extractor (BeautifulSoup) and the
profile learner (lxml): both ask about plain strings, so neither tree type leaks here.
"""

from __future__ import annotations

import re

# Posts are never inside a header or footer, so an article's own <header> is no concern:
# only a block's ancestors (and the block itself) are judged by the "block" sets.
BLOCK_NOISE_TAGS = frozenset({"nav", "aside", "header", "footer", "menu"})
INNER_NOISE_TAGS = frozenset({"nav", "aside", "menu"})
BLOCK_NOISE_ROLES = frozenset(
    {"navigation", "menu", "menubar", "banner", "contentinfo", "complementary", "search"}
)
INNER_NOISE_ROLES = frozenset({"navigation", "menu", "menubar", "complementary"})
NAV_WORDS = frozenset(
    {"nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "crumbs"}
    | {"pagination", "pager", "paging", "widget", "widgets", "sidebar"}
    | {"related", "relatedposts", "popular", "trending", "share", "sharing", "social"}
)
PROMO_WORDS = frozenset(
    {"featured", "pinned", "sticky", "hero", "intro", "introduction", "about", "welcome"}
)
# Only as a class's last word: "site-header" is the page's, "header-offset" says nothing.
LAYOUT_WORDS = frozenset(
    {"header", "footer", "masthead", "colophon", "banner", "comment", "comments", "commentlist"}
)
# Words CSS frameworks use to style any list ("menu" in Foundation, "nav" in Bootstrap):
# on a list whose items read as posts they say how it looks, not what it holds.
STYLE_WORDS = frozenset({"menu", "nav", "navbar", "navigation"})
NOISE_TOKENS = frozenset({"home-info"})  # PaperMod's (and its forks') site intro
# "has-sidebar", "no-featured-image": a class that describes what a block lacks or holds.
NEGATING_WORDS = frozenset({"has", "no", "with", "without", "hide", "show"})
CLASS_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def is_noise(
    name: str, role: str, label: str, tokens: list[str], *, inside: bool, promo: bool = True
) -> bool:
    """Whether an element (its tag ``name``, ARIA ``role`` and ``label``, class and id
    ``tokens``) is navigation, chrome or promotion rather than content. ``inside``:
    judged within a post block, where intro and about words and the post's own header
    and footer are content. ``promo=False`` keeps featured and pinned blocks: the
    learner counts their posts as entries when the list does not repeat them."""
    tags = INNER_NOISE_TAGS if inside else BLOCK_NOISE_TAGS
    roles = INNER_NOISE_ROLES if inside else BLOCK_NOISE_ROLES
    if name in tags or role.lower() in roles:
        return True
    label = label.lower()
    if "breadcrumb" in label or "pagination" in label:
        return True
    return any(is_noise_token(token, inside=inside, promo=promo) for token in tokens)


def is_noise_token(token: str, *, inside: bool, promo: bool = True) -> bool:
    """Whether one class or id marks noise, judged by its words ("widget_recent_entries",
    "isPinned"), so that "has-sidebar" on a layout wrapper hides nothing."""
    if not inside and token.lower() in NOISE_TOKENS:
        return True
    words = [w.lower() for w in CLASS_WORDS.findall(token)]
    if not words or words[0] in NEGATING_WORDS:
        return False
    if NAV_WORDS.intersection(words):
        return True
    if inside:
        return False
    return (promo and bool(PROMO_WORDS.intersection(words))) or words[-1] in LAYOUT_WORDS


def styled_only(name: str, role: str, label: str, tokens: list[str]) -> bool:
    """Whether an element is noise only because a class or id styles it as a menu
    (python.org's job list is ``ol.list-recent-jobs.menu``): its tag, role and label say
    nothing, and every noisy token's noise words are style words. The caller decides
    from the element's content whether it is navigation after all."""
    if is_noise(name, role, label, [], inside=False, promo=False):
        return False
    noisy = [t for t in tokens if is_noise_token(t, inside=False, promo=False)]
    return bool(noisy) and all(_style_token(t) for t in noisy)


def _style_token(token: str) -> bool:
    words = {w.lower() for w in CLASS_WORDS.findall(token)}
    return (
        token.lower() not in NOISE_TOKENS
        and bool(words & STYLE_WORDS)
        and not words & (NAV_WORDS - STYLE_WORDS)
        and not words & (PROMO_WORDS | LAYOUT_WORDS)
    )
