"""The SQLite archive: schema, content-hash identity, per-page atomic writes."""
