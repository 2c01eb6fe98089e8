"""The catalog database on SQLAlchemy: tables, the adapter and Alembic migrations."""
