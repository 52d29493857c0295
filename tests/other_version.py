"""``listing-archiver`` claiming another version, for the test that a worker refuses
walks sent by a different version: ``python -m tests.other_version worker ...``."""

from __future__ import annotations

import listing_archiver

listing_archiver.__version__ = "0.0.0+other"

from listing_archiver.cli import main  # noqa: E402  (after the version is replaced)

main()
