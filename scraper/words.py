"""The words listing themes put on their links, per language, as data: which link leads
to the next (older) page of a listing, which back to the previous (newer) one, which
loads more posts, and which invites the reader into one post ("Read more").

The languages are the ones the date parser reads (``dates.LANGUAGES``). A word is put
where it points *in a listing*: "Entradas anteriores" (earlier entries) is the next page
of a Spanish blog although "Anterior" alone is the previous one, "Articoli precedenti"
likewise in Italian; "Neuere Beiträge" and "Articles plus récents" lead back. Latin words
match whole words, so "Weiter" is no prefix of "Weiterlesen" and "anterior" no prefix of
"anteriores"; Chinese, Japanese and Korean phrases match anywhere in a short label.

To add a language or a theme's phrase, add it to its table: the lookups below (phrase
sets for the labels of every link, a pattern for read-more links, endings for summaries)
are built from them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# "Next page" and "older posts": where the listing goes on.
NEXT_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("next", "older", "older posts", "older entries", "earlier posts", "next page"),
    "de": (
        "weiter",
        "nächste",
        "nächste seite",
        "ältere beiträge",
        "ältere einträge",
        "ältere artikel",
        "ältere",
    ),
    "fr": ("suivant", "suivante", "page suivante", "articles plus anciens", "plus anciens"),
    "es": (
        "siguiente",
        "página siguiente",
        "entradas anteriores",
        "entradas más antiguas",
        "más antiguas",
        "artículos anteriores",
    ),
    "pt": (
        "próxima",
        "próximo",
        "próxima página",
        "seguinte",
        "mais antigos",
        "posts anteriores",
        "artigos anteriores",
    ),
    "it": (
        "successivo",
        "successiva",
        "pagina successiva",
        "avanti",
        "articoli precedenti",
        "articoli meno recenti",
        "post più vecchi",
    ),
    "nl": ("volgende", "volgende pagina", "oudere berichten", "oudere artikelen", "ouder"),
    "ru": ("следующая", "далее", "вперёд", "вперед", "старые записи", "более старые записи"),
    "zh": (
        "下一页",
        "下一頁",
        "下页",
        "更早的文章",
        "较早的文章",
        "較早的文章",
        "旧文章",
        "更多文章",
    ),
    "ja": ("次へ", "次のページ", "古い投稿", "古い記事", "過去の記事", "以前の記事"),
    "ko": ("다음", "다음 페이지", "오래된 글"),
}

# "Previous page" and "newer posts": back towards page 1, never followed as the next page.
# Japanese "前の記事" (the post before) is here: "前" is the previous page ("前へ").
PREV_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("prev", "previous", "newer", "newer posts", "back"),
    "de": ("zurück", "vorherige", "vorherige seite", "neuere", "neuere beiträge"),
    "fr": ("précédent", "précédente", "page précédente", "plus récents", "articles plus récents"),
    "es": ("anterior", "página anterior", "entradas siguientes", "más recientes"),
    "pt": ("anterior", "página anterior", "mais recentes", "posts mais recentes"),
    "it": ("precedente", "pagina precedente", "indietro", "articoli successivi", "più recenti"),
    "nl": ("vorige", "vorige pagina", "nieuwere berichten", "nieuwer"),
    "ru": ("предыдущая", "назад", "новые записи", "более новые записи"),
    "zh": ("上一页", "上一頁", "上页", "较新的文章", "較新的文章", "更新的文章"),
    "ja": ("前へ", "前のページ", "前の記事", "新しい投稿", "新しい記事"),
    "ko": ("이전", "이전 페이지", "최근 글"),
}

# Buttons and links that append the next page to the list ("infinite scroll" themes).
LOAD_MORE_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": ("load more", "show more", "more posts", "load more posts", "view more"),
    "de": ("mehr laden", "mehr anzeigen", "weitere beiträge", "weitere laden"),
    "fr": ("charger plus", "afficher plus", "voir plus", "plus d'articles"),
    "es": ("cargar más", "ver más", "mostrar más", "más entradas"),
    "pt": ("carregar mais", "ver mais", "mostrar mais"),
    "it": ("carica altri", "carica altro", "mostra altri", "altri articoli"),
    "nl": ("meer laden", "laad meer", "toon meer", "meer berichten"),
    "ru": ("загрузить ещё", "загрузить еще", "показать ещё", "показать еще"),
    "zh": ("加载更多", "載入更多", "查看更多"),
    "ja": ("もっと見る", "さらに読み込む", "もっと読み込む"),
    "ko": ("더 보기", "더보기"),
}

# Links (and labels) inviting the reader into the post, not part of its summary.
READ_MORE_WORDS: Mapping[str, tuple[str, ...]] = {
    "en": (
        "read more",
        "read the rest",
        "read the full post",
        "read the full article",
        "read the full story",
        "continue reading",
        "keep reading",
        "full post",
        "full article",
        "more",
    ),
    "de": ("weiterlesen", "weiter lesen", "mehr lesen", "mehr erfahren", "zum beitrag"),
    "fr": ("lire la suite", "lire plus", "en savoir plus", "continuer la lecture"),
    "es": ("leer más", "leer mas", "seguir leyendo", "continuar leyendo", "leer el resto"),
    "pt": ("ler mais", "leia mais", "continuar lendo", "continuar a ler", "saiba mais"),
    "it": ("continua a leggere", "leggi tutto", "leggi di più", "leggi altro", "continua"),
    "nl": ("lees verder", "lees meer", "verder lezen", "meer lezen"),
    "ru": ("читать далее", "читать дальше", "подробнее"),
    "zh": ("阅读全文", "閱讀全文", "阅读更多", "閱讀更多", "继续阅读", "繼續閱讀"),
    "ja": ("続きを読む", "もっと読む", "全文を読む"),
    "ko": ("더 보기", "더보기", "계속 읽기"),
}
# Read-more words too common to cut from the end of a summary's own text ("… and more").
BARE_WORDS = frozenset({"more", "continua"})

# What themes put around such a label: arrows, chevrons, ellipses, brackets.
ARROWS = "»›→⟩❯>«‹←⟨❮<"


def _alternatives(phrases: Iterable[str]) -> str:
    """Longest first, so that "older posts" is tried before "older"; a space in a
    phrase matches any run of whitespace."""
    unique = sorted(set(phrases), key=lambda p: (-len(p), p))
    return "|".join(r"\s+".join(map(re.escape, p.split())) for p in unique)


def _is_cjk(phrase: str) -> bool:
    return any(ord(ch) >= 0x3000 for ch in phrase)


def _phrases(table: Mapping[str, tuple[str, ...]]) -> str:
    """A pattern for any phrase of ``table``: Latin and Cyrillic ones as whole words,
    Chinese, Japanese and Korean ones (no spaces between words) wherever they start."""
    phrases = [p for words in table.values() for p in words]
    words = _alternatives(p for p in phrases if not _is_cjk(p))
    cjk = _alternatives(p for p in phrases if _is_cjk(p))
    return rf"(?:(?<!\w)(?:{words})(?!\w|\.\w)|(?:{cjk}))"  # "Next.js" is no "Next"


# A word of a label: "Next.js" and "d'articles" are one word each.
WORD = re.compile(r"\w+(?:[.'’]\w+)*")


@dataclass(frozen=True)
class Phrases:
    """One table's phrases, for looking up short labels: Latin and Cyrillic phrases as
    word sequences in a set, Chinese, Japanese and Korean ones as substrings. Every link
    of a page without rel=next is asked about, so this is set lookups, not a regular
    expression trying a hundred alternatives at each character."""

    words: frozenset[tuple[str, ...]]
    firsts: frozenset[str]  # the first word of each: most labels have none, and stop there
    cjk: tuple[str, ...]
    longest: int  # words in the longest Latin phrase

    @classmethod
    def of(cls, table: Mapping[str, tuple[str, ...]]) -> Phrases:
        phrases = {p for words in table.values() for p in words}
        words = frozenset(tuple(WORD.findall(p)) for p in phrases if not _is_cjk(p))
        cjk = tuple(sorted((p for p in phrases if _is_cjk(p)), key=len, reverse=True))
        return cls(words, frozenset(w[0] for w in words), cjk, max(map(len, words)))

    def found_in(self, label: str) -> bool:
        """Whether ``label`` holds one of the phrases (as whole words)."""
        tokens = WORD.findall(label.lower())
        if self.firsts.isdisjoint(tokens):
            return not label.isascii() and any(p in label for p in self.cjk)
        for size in range(1, min(self.longest, len(tokens)) + 1):
            for start in range(len(tokens) - size + 1):
                if tuple(tokens[start : start + size]) in self.words:
                    return True
        return not label.isascii() and any(p in label for p in self.cjk)

    def is_label(self, label: str) -> bool:
        """Whether ``label`` is one of the phrases, give or take punctuation and arrows."""
        if tuple(WORD.findall(label.lower())) in self.words:
            return True
        return not label.isascii() and label.strip(f" {ARROWS}.…!") in self.cjk


NEXT = Phrases.of(NEXT_WORDS)
PREV = Phrases.of(PREV_WORDS)
LOAD_MORE = Phrases.of(LOAD_MORE_WORDS)
# A link whose text starts with a read-more phrase ("Continue reading <title> →").
READ_MORE = re.compile(rf"\W*{_phrases(READ_MORE_WORDS)}.*", re.IGNORECASE | re.DOTALL)
# Read-more labels closing a summary's own text ("… Weiterlesen »"), longest first.
READ_MORE_ENDINGS = tuple(
    sorted(
        {p for words in READ_MORE_WORDS.values() for p in words if p not in BARE_WORDS},
        key=len,
        reverse=True,
    )
)
_LONGEST_ENDING = len(READ_MORE_ENDINGS[0])
_AFTER_LABEL = f" .…]){ARROWS}"  # what themes put after one
_BEFORE_LABEL = " [("
_SENTENCE_END = ".…!?]):。！？"


def read_more_start(text: str) -> int | None:
    """Where a read-more label closing ``text`` begins (with the brackets and spaces
    before it), or None. The label must follow the end of a sentence or be followed by
    an arrow or an ellipsis, so that "… if you keep reading" stays as the author wrote
    it. String methods, not a regular expression over the whole table: this runs on
    every excerpt."""
    core = text.rstrip(_AFTER_LABEL)
    tail = core[-_LONGEST_ENDING:].lower()
    if not tail.endswith(READ_MORE_ENDINGS):
        return None
    phrase = next(p for p in READ_MORE_ENDINGS if tail.endswith(p))
    start = len(core) - len(phrase)
    if start > 0 and not _is_cjk(phrase) and core[start - 1].isalnum():
        return None  # "… nevermore"
    before = core[:start].rstrip(_BEFORE_LABEL)
    marked = any(ch in ARROWS or ch == "…" for ch in text[len(core) :]) or text.endswith("...")
    if marked or not before or before[-1] in _SENTENCE_END:
        return len(before)
    return None
