"""The content hash that keys the ``posts`` table, and the normalisation under it.

Scheme 2 (``HASH_SCHEME = 2``), stored with every row as ``posts.hash_version``:
a version is a post (its URL) with its content.

1. Each of ``title``, ``date``, ``author``, ``excerpt`` is normalised: Unicode NFC,
   every run of whitespace (including no-break spaces) becomes one space, leading and
   trailing space is stripped, and trailing ellipses (``...``, ``…``, ``[...]``,
   ``[…]``, one or several, as in ``cut… […]``) are removed, since listings cut
   excerpts at varying lengths and marks. An
   absent field is the empty string. Case and punctuation are kept: they are content.
2. The *fields hash* (``posts.fields_hash``) is the SHA-256 hex digest of
   ``"listing-archiver/1"`` followed by the four normalised fields in that order, each
   preceded by the unit separator U+001F. This is exactly scheme 1's content hash.
3. The *post key* is the entry's canonical URL (``archive.identity``: http and https
   folded, ``www.``, tracking and session parameters, fragment and trailing slash
   dropped), or ``content:`` followed by the fields hash for an entry without a link.
4. The content hash is the SHA-256 hex digest of ``"listing-archiver/2"``, U+001F, the
   post key, U+001F, and the fields hash.

Scheme 1 was the fields hash alone: the URL was left out so that one post under two
URLs stayed one post. But where a listing shows little more than titles (ten "Senior
Software Engineer" ads, five "Weekly roundup" posts), different posts hashed alike and
all but one were dropped. Scheme 2 puts the URL in and takes the "one post under two
URLs" cases into the canonical form instead; identical content under two keys is two
posts, listed together by the ``same_content`` view. Each version's text is hashed
once (step 2); step 4 hashes a short string. Changing any step above means a new
scheme number, so rows hashed under different schemes are never silently compared.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Protocol

from .identity import post_key

HASH_SCHEME = 2
FIELDS_PREFIX = "listing-archiver/1"  # the fields hash is scheme 1's hash, unchanged
VERSION_PREFIX = f"listing-archiver/{HASH_SCHEME}\x1f"
# Trailing ellipses, ``(?:\s*(?:\.{3,}|…|\[\s*(?:\.{3,}|…)\s*\]))+$``, matched at the
# start of the reversed text: a search anchored only at ``$`` tries every position of
# the text, and most excerpts end in a full stop (15 µs for a 350-character excerpt,
# against well under 1 µs reversed).
_TRAILING_ELLIPSES_REVERSED = re.compile(r"(?:(?:\.{3,}|…|\]\s*(?:\.{3,}|…)\s*\[)\s*)+")


class Hashable(Protocol):
    """What is hashed: any record with these four (read-only) fields."""

    @property
    def title(self) -> str | None: ...
    @property
    def date(self) -> str | None: ...
    @property
    def author(self) -> str | None: ...
    @property
    def excerpt(self) -> str | None: ...


class Linked(Hashable, Protocol):
    """A record with its link too: what a version is in scheme 2."""

    @property
    def url(self) -> str | None: ...


def normalise(value: str | None) -> str:
    """Normalisation of one field (see the module docstring). Fast on text
    that is already clean, which is nearly all of it: it runs for every field seen."""
    if not value:
        return ""
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    text = " ".join(value.split())
    if text.endswith((".", "…", "]")):
        cut = _TRAILING_ELLIPSES_REVERSED.match(text[::-1])
        if cut:
            text = text[: -cut.end()]
    return text


def fields_hash(post: Hashable) -> str:
    """Steps 1 and 2: the four fields alone (scheme 1's hash). Two posts with the same
    fields hash under two post keys show the same content (``same_content``)."""
    fields = (post.title, post.date, post.author, post.excerpt)
    payload = FIELDS_PREFIX + "".join("\x1f" + normalise(f) for f in fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def version_hash(key: str, fields_digest: str) -> str:
    """Step 4: the content hash of the version ``fields_digest`` of the post ``key``."""
    payload = f"{VERSION_PREFIX}{key}\x1f{fields_digest}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def content_hash(post: Linked) -> str:
    """The whole scheme for one record; the archive's writer does the same in
    ``store.identify``, keeping the key and fields hash it needs as well."""
    fields = fields_hash(post)
    return version_hash(post_key(post.url, fields), fields)
