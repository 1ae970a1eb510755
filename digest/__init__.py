"""Subscriptions, per-post delivery and digests (built on the archive)."""
