"""Fetch a listing's pages, follow its pagination and parse its entries.

Data flow: ``fetch`` (HTTP) -> ``paginate`` (which page next) -> ``parse`` (HTML to records).
"""
