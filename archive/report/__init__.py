"""The report for the analysis paper: read from the record, written as HTML, Markdown, CSV or JSON."""
