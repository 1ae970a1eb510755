"""The export folder: files written whole (temp file, rename), only when changed, and the manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path

MANIFEST = ".hubmail-export.json"
FORMAT = 1  # of the manifest; another value means: render everything again


def file_path(target: Path, url: str) -> Path:
    """Where a URL's file goes: a folder's URL is its index.html (as a web server looks it up)."""
    relative = url.lstrip("/") + ("index.html" if url.endswith("/") else "")
    path = Path(os.path.normpath(target / relative))
    if path == target or target not in path.parents:
        raise ValueError(f"refusing to write outside the export folder: {url}")
    return path


class Writer:
    """Writes files under one folder; a reader of the served folder never sees half a page."""

    def __init__(self, target: Path) -> None:
        self.target = Path(os.path.abspath(target))
        self.folders: set[Path] = set()

    def write(self, url: str, content: bytes) -> bool:
        """True if written; False if the file already held exactly these bytes (left untouched,
        so its mtime still says when it last changed)."""
        path = file_path(self.target, url)
        if _holds(path, content):
            return False
        if path.parent not in self.folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(path.parent)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(temp, "wb") as handle:
            handle.write(content)
        os.replace(temp, path)  # atomic: the old file or the new one, never a mix
        return True

    def remove(self, urls: set[str]) -> int:
        """Delete these URLs' files and the folders they leave empty; returns how many went."""
        removed = 0
        for url in sorted(urls):
            path = file_path(self.target, url)
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
            self._prune(path.parent)
        return removed

    def _prune(self, folder: Path) -> None:
        while folder != self.target and self.target in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone with a sibling)
                return
            self.folders.discard(folder)
            folder = folder.parent


def _holds(path: Path, content: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(content) + 1) == content
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def read_manifest(target: Path) -> dict[str, str]:
    """URL -> fingerprint of what the file was made from, as the last export left them."""
    try:
        data = json.loads((target / MANIFEST).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data.get("files", {}) if data.get("format") == FORMAT else {}


def write_manifest(target: Path, files: dict[str, str]) -> None:
    Writer(target).write(
        "/" + MANIFEST, json.dumps({"format": FORMAT, "files": files}, sort_keys=True).encode()
    )
