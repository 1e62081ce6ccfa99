"""tagdb: the tag database (SQLite + rapidfuzz). Independent of promptlab."""
