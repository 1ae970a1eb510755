"""Alembic migrations of hubmail's schema, applied at every start."""
