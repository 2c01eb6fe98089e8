"""Alembic revisions of the catalog schema, oldest first by revision id."""
