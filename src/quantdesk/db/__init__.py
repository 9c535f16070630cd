"""Persistence: SQLAlchemy models, the engine and sessions, and repositories."""
