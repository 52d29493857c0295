"""The benchmark: ``python -m bench`` from the project root, with the ``bench`` extra.

It races ``listing-archiver`` against a minimal Scrapy spider and raw lxml / sqlite3
baselines on a generated 1,000-page PaperMod listing served from 127.0.0.1, and prints
one table (``--write-readme`` puts it in the README). ``python -m bench.profile``
profiles one full walk. See ``bench/measure.py`` for what each figure means.
"""
