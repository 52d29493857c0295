"""Names the plugin's modules share: the plugin's own, and the table it speeds up."""

PLUGIN = "listing-archiver"  # the distribution name: static files' URL prefix, config key
TABLE = "current_posts"  # the archive's main table: counted facets, planned search
