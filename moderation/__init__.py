"""Holds, rules, signed tokens, reply commands and notices (built on the archive)."""
