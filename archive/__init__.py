"""The archive: the record (record/), the web archive and its export (web/), the analysis report (report/)."""
