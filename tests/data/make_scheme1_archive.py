"""Build ``scheme1.db``: an archive written by the released code (hash scheme 1), for
the test of migration m005. Run it with the released code first on the path (see
README.md beside it); it uses nothing of the tests but ``with_absolute_links``.

Two sources, each scraped at successive moments with ``listing-archiver scrape``:
``veritable``, the bundled PaperMod blog (``fixtures/papermod``: earlier, later, later
again (304), revised with ``--full``), and ``links``, ``fixtures/scheme1`` (before, then
after with ``--full``, then after again), whose links use http and https, ``www.``,
tracking and session parameters for the same posts, and one edit.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POSTS_HOST = "https://veritable.example"  # where the PaperMod posts are said to live


def with_absolute_links(source: Path, target: Path) -> Path:
    """A copy of a PaperMod moment whose post links name ``POSTS_HOST``: relative links
    would resolve against the loopback server, whose port differs from run to run, and
    so would every post key. Pagination stays relative: the walk stays on loopback."""
    shutil.copytree(source, target)
    for page in target.rglob("*.html"):
        text = page.read_text("utf-8")
        page.write_text(text.replace('href="/post/', f'href="{POSTS_HOST}/post/'), "utf-8")
    return target


RUNS = (  # (source, fixture folder, extra arguments)
    ("veritable", "papermod/earlier", ()),
    ("veritable", "papermod/later", ()),
    ("veritable", "papermod/later", ()),
    ("veritable", "papermod/revised", ("--full",)),
    ("links", "scheme1/before", ()),
    ("links", "scheme1/after", ("--full",)),
    ("links", "scheme1/after", ()),
)


def main(out: Path) -> None:
    from listing_archiver.demo import serve_directory  # the released code's

    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        sites = {
            name: with_absolute_links(ROOT / "fixtures" / name, Path(tmp) / name)
            if name.startswith("papermod")
            else ROOT / "fixtures" / name
            for name in dict.fromkeys(name for _, name, _ in RUNS)
        }
        for source in dict.fromkeys(source for source, _, _ in RUNS):
            runs = [(name, extra) for src, name, extra in RUNS if src == source]
            with serve_directory(sites[runs[0][0]]) as server:  # one site, changing
                for name, extra in runs:
                    server.root = sites[name]
                    args = ["scrape", server.url, "--db", str(out), "--delay", "0", *extra]
                    subprocess.run(
                        [sys.executable, "-m", "listing_archiver", *args, "--source", source],
                        check=True,
                    )
    conn = sqlite3.connect(out)
    conn.execute("pragma journal_mode = delete")  # one self-contained file
    conn.execute("vacuum")
    conn.close()
    Path(f"{out}.lock").unlink(missing_ok=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
