"""The record: spaces, posts, threads and attachments, parsing, and the outgoing-mail queue."""
