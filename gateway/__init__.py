"""The edge: SMTP/LMTP server, pipe delivery, spool, routing, worker and the command line."""
