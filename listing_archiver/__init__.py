"""listing-archiver: paginated listing pages into a deduplicated SQLite archive."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/listing-archiver/listing-archiver"
