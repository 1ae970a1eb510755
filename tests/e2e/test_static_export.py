"""A static export served by plain web servers: hostile attachments, sent by SMTP and published, run
nothing in Chromium, under http.server as under nginx, Caddy and Apache with hubmail's settings (issue 14)."""

from __future__ import annotations

import mimetypes
import re
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest

from archive.web.headers import CSP, SVG_CSP
from tests.support.browser import browser
from tests.support.hubserver import HUBMAIL, HubServer, Sink, wait_for
from tests.support.webservers import serving

HOSTILE = Path(__file__).resolve().parents[3] / "shared" / "xss" / "h5sc_attachments"
SPACE = "unece-review"
MARK = "hubmail-script-ran"
# Whatever a payload calls to show itself also logs the mark (a dialog is caught as well).
HOOK = f"""for (const name of ["alert", "confirm", "prompt", "print"]) {{
  const shown = window[name];
  window[name] = function (...args) {{ console.log("{MARK}:" + name); return shown.apply(this, args); }};
}}"""
SERVERS = ("http.server", "nginx", "caddy", "apache")
CONFIGURED = ("nginx", "caddy")  # settings printed by `hubmail archive server-config`; Apache: .htaccess


def hostile_files() -> list[Path]:
    if not HOSTILE.is_dir():
        pytest.skip(f"the shared hostile attachments are not beside this checkout ({HOSTILE})")
    return sorted(HOSTILE.iterdir())


def hostile_post(number: int, path: Path) -> EmailMessage:
    """One post carrying one file, typed as a sender's mail client would type it."""
    message = EmailMessage()
    message["From"], message["To"] = "mallory@evil.example", f"{SPACE}+q1@hub.example.org"
    message["Subject"], message["Message-ID"] = f"Our report {number}", f"<hostile-{number}@evil.example>"
    message.set_content("Our report is attached.")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    maintype, subtype = kind.split("/")
    if maintype in ("text", "message"):  # as bytes, exactly as they are on disk
        maintype, subtype = "application", "octet-stream"
    message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return message


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The folder `hubmail archive export` wrote after every hostile file was posted and approved,
    and the settings `hubmail archive server-config` printed for it."""
    files, folder = hostile_files(), tmp_path_factory.mktemp("static-export")
    site = folder / "site"
    with Sink() as sink:
        hub = HubServer(folder / "hub", sink.port).start()
        try:
            with hub.smtp() as client:
                for number, path in enumerate(files):
                    client.send_message(hostile_post(number, path))
            hub.wait_for_posts(len(files), "--space", SPACE)
            hub.cli("moderate", "approve", "--all-held", "--space", SPACE)
            wait_for(lambda: len(hub.posts("--status", "published")) == len(files), what="all published")
            hub.cli("archive", "export", str(site))
            configs = {server: server_config(server, site) for server in CONFIGURED}
        finally:
            hub.stop()
    return site, configs


def server_config(server: str, root: Path) -> str:
    command = [HUBMAIL, "archive", "server-config", server, "--root", str(root)]
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout


def urls_of(site: Path) -> list[str]:
    """Every file of the export as a URL (a folder's index.html as the folder), the .dotfiles aside."""
    urls = []
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site).as_posix()
        if path.is_file() and not relative.startswith("."):
            urls.append("/" + (relative.removesuffix("index.html")))
    return urls


def scripts_that_ran(base: str, urls: list[str]) -> list[str]:
    """Open each URL in Chromium; what ran is every dialog and every marked console line."""
    from playwright.sync_api import Error

    ran: list[str] = []
    at = [""]
    with browser() as chromium:
        context = chromium.new_context(accept_downloads=True)
        context.add_init_script(HOOK)

        def watch(page) -> None:
            page.on("dialog", lambda dialog: (ran.append(f"{at[0]}: {dialog.type}"), dialog.dismiss()))
            page.on("console", lambda line: MARK in line.text and ran.append(f"{at[0]}: {line.text}"))

        context.on("page", watch)
        page = context.new_page()
        for url in urls:
            at[0] = url
            try:
                page.goto(base + url, wait_until="load")
            except Error as error:  # an attachment offered as a download: nothing is shown
                if "Download is starting" not in str(error):
                    raise
        context.close()
    return ran


@pytest.mark.parametrize("server", SERVERS)
def test_hostile_attachments_run_nothing_when_the_export_is_served(exported, server, tmp_path):
    site, configs = exported
    urls = urls_of(site)
    pages = [url for url in urls if url.endswith("/")]
    attachments = [url for url in urls if "/message/" in url and not url.endswith(("/", "/raw"))]
    assert len(attachments) == len(hostile_files()) and len(pages) > len(attachments)
    with serving(server, site, tmp_path / server, configs.get(server, "")) as base:
        assert scripts_that_ran(base, urls) == []
        if server != "http.server":
            check_headers(base, urls)


def test_pages_name_each_attachment_and_link_the_neutral_file(exported):
    site, _ = exported
    links = {}
    for page in site.glob(f"{SPACE}/message/*/index.html"):
        for href, name in re.findall(r'<a href="([^"]+)" download="([^"]+)">', page.read_text()):
            links[name] = href
    assert sorted(links) == [path.name for path in hostile_files()]  # the sender's names, in the pages
    assert all(re.fullmatch(rf"/{SPACE}/message/[A-Z2-7]+=*/0\.bin", href) for href in links.values())
    names = {path.name for path in site.rglob("*") if path.is_file() and "/message/" in path.as_posix()}
    assert names == {"index.html", "raw", "0.bin"}  # no file keeps a name or extension the sender chose


def check_headers(base: str, urls: list[str]) -> None:
    """The headers the live archive sends: a script-free CSP and nosniff everywhere, attachments
    downloads, raw mail as text, charts with their own CSP."""
    import httpx2

    with httpx2.Client(base_url=base) as client:
        for url in urls:
            headers = client.get(url).raise_for_status().headers
            assert headers["x-content-type-options"] == "nosniff", url
            expected = SVG_CSP if url.endswith(".svg") else CSP
            assert headers["content-security-policy"] == expected, url
            if url.endswith(".bin"):
                assert headers["content-type"] == "application/octet-stream", url
                assert headers["content-disposition"] == "attachment", url
            if url.endswith("/raw"):
                assert headers["content-type"].replace(" ", "").lower() == "text/plain;charset=utf-8", url
