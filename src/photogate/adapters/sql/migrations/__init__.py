"""Alembic migrations of the catalog, shipped inside the package; run them with migrate.upgrade."""
