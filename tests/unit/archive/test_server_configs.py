"""The export's web server settings name the URLs hubmail writes and the headers the live archive sends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive.record.urls import attachment_path, message_hash
from archive.web.headers import CSP, SVG_CSP
from archive.web.server_configs import ATTACHMENT, CHART, RAW, SERVERS, server_config

DIGEST = message_hash("report@ngo.example")


def test_the_patterns_match_the_urls_hubmail_writes_and_nothing_else():
    assert re.match(ATTACHMENT, attachment_path("unece-review", DIGEST, 12))
    assert re.match(RAW, f"/unece-review/message/{DIGEST}/raw")
    assert re.match(CHART, "/unece-review/stats/weeks.svg")
    pages = (f"/unece-review/message/{DIGEST}/", "/unece-review/", f"/unece-review/message/{DIGEST}/0/x.svg")
    for page in pages:
        assert not any(re.match(pattern, page) for pattern in (ATTACHMENT, RAW, CHART)), page


@pytest.mark.parametrize("server", SERVERS)
def test_each_server_gets_the_live_headers(server):
    text = server_config(server, Path("/srv/export"))
    assert CSP in text and SVG_CSP in text and "nosniff" in text
    assert "Content-Disposition" in text and "application/octet-stream" in text
    assert ("/srv/export" in text) == (server != "apache")  # Apache's lines go where the export is
    assert "/path/to/the/export" in server_config(server) or server == "apache"
