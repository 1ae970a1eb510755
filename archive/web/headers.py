"""The headers every archive response carries, shared by the app and the static export's server configs."""

from __future__ import annotations

# No script from anywhere: the archive's pages carry none, and a hostile post must not add one.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SAFE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
# A chart is an image: it runs nothing, and its own inline style is all it needs.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"
