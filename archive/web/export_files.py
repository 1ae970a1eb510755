"""The export folder: files written whole (temp file, rename), only when changed, and the manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path

MANIFEST = ".hubmail-export.json"
FORMAT = 1  # of the manifest; another value means: render everything again
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def file_path(target: str, url: str) -> str:
    """Where a URL's file goes: a folder's URL is its index.html (as a web server looks it up).
    Plain strings: a third of the time of writing a small file went to pathlib."""
    relative = url.lstrip("/") + ("index.html" if url.endswith("/") else "")
    path = os.path.normpath(os.path.join(target, relative))
    if not path.startswith(target + os.sep):
        raise ValueError(f"refusing to write outside the export folder: {url}")
    return path


class Writer:
    """Writes files under one folder; a reader of the served folder never sees half a page.

    compare=False is for a folder that was empty when the export began: no file can be there
    already, so none is read first, and files are written in place (a folder being filled for the
    first time is not served yet; the temp file and rename cost a fifth of writing 280,000 files)."""

    def __init__(self, target: Path | str, compare: bool = True) -> None:
        self.target = os.path.abspath(target)
        self.compare = compare
        self.folders: set[str] = set()

    def write(self, url: str, content: bytes) -> bool:
        """True if written; False if the file already held exactly these bytes (left untouched,
        so its mtime still says when it last changed)."""
        path = file_path(self.target, url)
        if self.compare and _holds(path, content):
            return False
        folder, name = os.path.split(path)
        if folder not in self.folders:
            _make_folder(folder)
            self.folders.add(folder)
        if not self.compare:
            _write_file(path, content)
            return True
        temp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
        _write_file(temp, content)
        os.replace(temp, path)  # atomic: the old file or the new one, never a mix
        return True

    def remove(self, urls: set[str]) -> int:
        """Delete these URLs' files and the folders they leave empty; returns how many went."""
        removed = 0
        for url in sorted(urls):
            path = file_path(self.target, url)
            try:
                os.unlink(path)
            except (FileNotFoundError, NotADirectoryError):
                continue
            removed += 1
            self._prune(os.path.dirname(path))
        return removed

    def _prune(self, folder: str) -> None:
        while folder.startswith(self.target + os.sep):
            try:
                os.rmdir(folder)
            except OSError:  # not empty (or already gone with a sibling)
                return
            self.folders.discard(folder)
            folder = os.path.dirname(folder)


def _make_folder(folder: str) -> None:
    """Most folders are new pages beside existing ones: one mkdir, not makedirs' stat of each parent."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)


def _write_file(path: str, content: bytes) -> None:
    handle = os.open(path, NEW_FILE, 0o644)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def _holds(path: str, content: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(content) + 1) == content
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def is_empty(target: Path) -> bool:
    try:
        with os.scandir(target) as entries:
            return next(entries, None) is None
    except FileNotFoundError:
        return True


def read_manifest(target: Path) -> dict[str, str]:
    """URL -> fingerprint of what the file was made from, as the last export left them."""
    try:
        data = json.loads((target / MANIFEST).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data.get("files", {}) if data.get("format") == FORMAT else {}


def write_manifest(target: Path, files: dict[str, str]) -> None:
    text = json.dumps({"format": FORMAT, "files": files}, sort_keys=True)
    Writer(target).write("/" + MANIFEST, text.encode())
