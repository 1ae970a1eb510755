"""Plain web servers serving a folder on a free port: Python's http.server, and throwaway nginx, Caddy
and Apache from the machine's binaries with the settings `hubmail archive server-config` prints."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.hubserver import free_port
from tests.support.servers import find_binary, require_or_skip, traversable, unprivileged_user, wait_listening

NGINX = """\
daemon off;
pid {folder}/nginx.pid;
{user}
events {{}}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  server {{
    listen 127.0.0.1:{port};
    include {folder}/hubmail.conf;
  }}
}}
"""
CADDY = """\
{{
  admin off
  auto_https off
}}
http://127.0.0.1:{port} {{
{snippet}
}}
"""
# The export's own .htaccess gives the headers: the test proves the file the export writes.
APACHE = """\
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {folder}/httpd.pid
DefaultRuntimeDir {folder}
ErrorLog {folder}/error.log
{modules}
{user}
TypesConfig /etc/mime.types
DirectoryIndex index.html
DocumentRoot "{root}"
<Directory "{root}">
  AllowOverride FileInfo
  Require all granted
</Directory>
"""
APACHE_MODULES = ("mpm_event", "authz_core", "mime", "dir", "headers")
APACHE_MODULE_FOLDER = Path("/usr/lib/apache2/modules")


@contextmanager
def serving(server: str, root: Path, folder: Path, snippet: str = "") -> Iterator[str]:
    """The base URL of `server` serving root; folder holds its configuration and logs; snippet is
    what `hubmail archive server-config` printed for it (Apache reads the export's .htaccess)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = STARTERS[server](root, folder, port, snippet)
    log = folder / "server.log"
    with open(log, "ab") as out, traversable(root), traversable(folder):
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=_environment(folder))
        try:
            tail = lambda: "\n" + log.read_text(errors="replace")[-2000:] + _error_log(folder)  # noqa: E731
            wait_listening(port, server, tail, lambda: process.poll() is not None)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(20)


def _python(root: Path, folder: Path, port: int, snippet: str) -> list[str]:
    return [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)]


def _nginx(root: Path, folder: Path, port: int, snippet: str) -> list[str]:
    binary = _binary("nginx", "nginx-light")
    (folder / "hubmail.conf").write_text(snippet)
    user = "user root root;" if os.geteuid() == 0 else ""  # its workers read the test's 0700 folders
    (folder / "nginx.conf").write_text(NGINX.format(folder=folder, port=port, user=user))
    return [binary, "-p", f"{folder}/", "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]


def _caddy(root: Path, folder: Path, port: int, snippet: str) -> list[str]:
    binary = _binary("caddy", "caddy")
    (folder / "Caddyfile").write_text(CADDY.format(port=port, snippet=snippet))
    return [binary, "run", "--config", str(folder / "Caddyfile"), "--adapter", "caddyfile"]


def _apache(root: Path, folder: Path, port: int, snippet: str) -> list[str]:
    binary = _binary("apache2", "apache2")
    modules = "\n".join(
        f"LoadModule {name}_module {APACHE_MODULE_FOLDER}/mod_{name}.so" for name in APACHE_MODULES
    )
    owner = unprivileged_user()  # Apache will not serve as root
    user = "User nobody\nGroup nogroup" if owner else ""
    if owner:
        _readable(root)
        os.chown(folder, *owner)
    text = APACHE.format(folder=folder, port=port, root=root, modules=modules, user=user)
    (folder / "httpd.conf").write_text(text)
    return [binary, "-f", str(folder / "httpd.conf"), "-DFOREGROUND"]


def _readable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        os.chmod(path, path.stat().st_mode | (0o755 if path.is_dir() else 0o644))


def _binary(name: str, package: str) -> str:
    found = find_binary(name, "/usr/sbin")
    if found is None:
        require_or_skip(f"{name} is not installed (Debian package: {package})")
    return found


def _environment(folder: Path) -> dict[str, str]:
    """Caddy keeps its state under HOME and the XDG folders: the test's folder, not the user's."""
    return {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder), "XDG_CONFIG_HOME": str(folder)}


def _error_log(folder: Path) -> str:
    log = folder / "error.log"
    return "\n" + log.read_text(errors="replace")[-2000:] if log.exists() else ""


STARTERS = {"http.server": _python, "nginx": _nginx, "caddy": _caddy, "apache": _apache}
