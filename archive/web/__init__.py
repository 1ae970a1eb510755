"""The web archive: one module per group of pages, the archive's app, and its static export."""
