"""The words listing themes put on their links, per language, as data: which link leads
to the next (older) page of a listing, which back to the previous (newer) one, which
loads more posts, and which invites the reader into one post ("Read more").

The languages are the ones the date parser reads (``dates.LANGUAGES``). A word is put
where it points *in a listing*: "Entradas anteriores" (earlier entries) is the next page
of a Spanish blog although "Anterior" alone is the previous one, "Articoli precedenti"
likewise in Italian; "Neuere Beiträge" and "Articles plus récents" lead back. Latin words
match whole words, so "Weiter" is no prefix of "Weiterlesen" and "anterior" no prefix of
"anteriores"; Chinese, Japanese and Korean phrases match anywhere in a short label.

To add a language or a theme's phrase, add it to its table: the patterns below are
built from them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

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


def _phrases(table: Mapping[str, tuple[str, ...]], drop: frozenset[str] = frozenset()) -> str:
    """Any phrase of ``table``: Latin and Cyrillic ones as whole words, Chinese,
    Japanese and Korean ones (no spaces between words) wherever they start."""
    phrases = [p for words in table.values() for p in words if p not in drop]
    words = _alternatives(p for p in phrases if not _is_cjk(p))
    cjk = _alternatives(p for p in phrases if _is_cjk(p))
    return rf"(?:(?<!\w)(?:{words})(?!\w|\.\w)|(?:{cjk}))"  # "Next.js" is no "Next"


NEXT = re.compile(_phrases(NEXT_WORDS), re.IGNORECASE)
PREV = re.compile(_phrases(PREV_WORDS), re.IGNORECASE)
# A label that is a load-more phrase, give or take arrows and punctuation (fullmatch).
LOAD_MORE = re.compile(rf"\W*{_phrases(LOAD_MORE_WORDS)}\W*", re.IGNORECASE)
# A link whose text starts with a read-more phrase ("Continue reading <title> →").
READ_MORE = re.compile(rf"\W*{_phrases(READ_MORE_WORDS)}.*", re.IGNORECASE | re.DOTALL)
# A read-more phrase closing a summary's own text: "… Weiterlesen »", "[…] Read more",
# "Lire la suite →". It must follow the end of a sentence or be followed by an arrow or
# an ellipsis, so that "… if you keep reading" stays as the author wrote it.
_CLOSING = _phrases(READ_MORE_WORDS, BARE_WORDS)
_MARKS = rf"[{re.escape(ARROWS)}…]|\.\.\."
TRAILING_READ_MORE = re.compile(
    rf"(?:(?<=[.…!?\]):。！？])[\s\[(]*{_CLOSING}(?:\s*(?:{_MARKS}))*"
    rf"|[\s\[(]*{_CLOSING}(?:\s*(?:{_MARKS}))+)[\s\])]*$",
    re.IGNORECASE,
)
