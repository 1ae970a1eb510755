"""Web server settings for a static export: the headers `hubmail serve` sends, for nginx, Caddy and Apache.

An export is inert under any server without them (attachments are `N.bin`, archive.record.urls); these add
what the live archive adds besides: the script-free CSP and nosniff on every file, attachments as
downloads, raw mail as text and the charts' own CSP (issue 14).
"""

from __future__ import annotations

from pathlib import Path

from archive.web.headers import SAFE_HEADERS, SVG_CSP

# The export's own URL shapes (archive.record.urls.attachment_path; downloads.raw; stats_page's charts).
ATTACHMENT = r"^/[^/]+/message/[^/]+/[0-9]+\.bin$"
RAW = r"^/[^/]+/message/[^/]+/raw$"
CHART = r"^/[^/]+/stats/[a-z]+\.svg$"
OCTETS, TEXT = "application/octet-stream", "text/plain; charset=utf-8"
DOWNLOAD = {"Content-Disposition": "attachment"}
CHART_HEADERS = {**SAFE_HEADERS, "Content-Security-Policy": SVG_CSP}
SERVERS = ("nginx", "caddy", "apache")


def server_config(server: str, root: Path | None = None) -> str:
    """The settings for `server` (one of SERVERS); `root` is the export folder, where the server
    needs to be told (else a line to fill in)."""
    return {"nginx": nginx, "caddy": caddy, "apache": apache}[server](root)


def nginx(root: Path | None = None) -> str:
    """Lines for the `server` block. nginx drops a level's add_header lines where a location has its
    own, so each location repeats them all."""
    lines = [
        "# hubmail static export: the headers `hubmail serve` sends. Include in the server block.",
        _root_line("root {};", root),
        "index index.html;",
        *_nginx_headers(SAFE_HEADERS),
        "",
        "# Attachments: a download, whatever their bytes.",
        _nginx_location(ATTACHMENT, OCTETS, {**SAFE_HEADERS, **DOWNLOAD}),
        "# Raw messages: text, never a page.",
        _nginx_location(RAW, TEXT, SAFE_HEADERS),
        "# Participation charts: images with their own inline style.",
        _nginx_location(CHART, None, CHART_HEADERS),
    ]
    return "\n".join(lines) + "\n"


def _nginx_headers(headers: dict[str, str], indent: str = "") -> list[str]:
    return [f'{indent}add_header {name} "{value}" always;' for name, value in headers.items()]


def _nginx_location(pattern: str, media: str | None, headers: dict[str, str]) -> str:
    types = ["    types { }", f'    default_type "{media}";'] if media else []
    body = [*types, *_nginx_headers(headers, "    ")]
    return "\n".join([f'location ~ "{pattern}" {{', *body, "}"])


def caddy(root: Path | None = None) -> str:
    """Lines for the site block, replacing its file_server: `route` keeps them in the order written,
    so the attachments' and charts' headers are set after (over) the general ones."""
    lines = [
        "# hubmail static export: the headers `hubmail serve` sends. Put in the site block.",
        _root_line("root * {}", root),
        f"@hubmail_attachments path_regexp {ATTACHMENT}",
        f"@hubmail_raw path_regexp {RAW}",
        f"@hubmail_charts path_regexp {CHART}",
        "route {",
        _caddy_header("", SAFE_HEADERS),
        _caddy_header("@hubmail_attachments ", {"Content-Type": OCTETS, **DOWNLOAD}),
        _caddy_header("@hubmail_raw ", {"Content-Type": TEXT}),
        _caddy_header("@hubmail_charts ", {"Content-Security-Policy": SVG_CSP}),
        "    file_server",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _caddy_header(matcher: str, headers: dict[str, str]) -> str:
    fields = [f'        {name} "{value}"' for name, value in headers.items()]
    return "\n".join([f"    header {matcher}{{", *fields, "    }"])


def apache(root: Path | None = None) -> str:
    """An .htaccess (the export writes one at its root) or the export's <Directory> section. It needs
    mod_headers and, as .htaccess, `AllowOverride FileInfo`; without them Apache answers 500 rather
    than serve the export without its headers."""
    lines = [
        "# hubmail static export: the headers `hubmail serve` sends (mod_headers; AllowOverride FileInfo).",
        *_apache_headers(SAFE_HEADERS),
        '<FilesMatch "^[0-9]+\\.bin$">',
        f"    ForceType {OCTETS}",
        *_apache_headers(DOWNLOAD, "    "),
        "</FilesMatch>",
        '<FilesMatch "^raw$">',
        "    ForceType text/plain",
        "    AddDefaultCharset utf-8",
        "</FilesMatch>",
        '<FilesMatch "\\.svg$">',
        *_apache_headers({"Content-Security-Policy": SVG_CSP}, "    "),
        "</FilesMatch>",
    ]
    return "\n".join(lines) + "\n"


def _apache_headers(headers: dict[str, str], indent: str = "") -> list[str]:
    return [f'{indent}Header always set {name} "{value}"' for name, value in headers.items()]


def _root_line(template: str, root: Path | None) -> str:
    if root is None:
        return "# " + template.format("/path/to/the/export") + "  (the folder `hubmail archive export` wrote)"
    return template.format(f'"{root.resolve()}"')
