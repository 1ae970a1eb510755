"""The record: what is stored (spaces, posts, threads, attachments, the outgoing queue) and how it is read."""
