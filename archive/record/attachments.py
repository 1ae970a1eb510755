"""Attachments: safe file names, content-addressed storage (sha256) under the data folder."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\u202a-\u202e\u2066-\u2069\u200e\u200f]")


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A name to show and to offer for download; it never names a path on our disk."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE.sub("_", name).strip(" .")[:200]
    if not name or name.split(".")[0].lower() in RESERVED:
        name = f"{fallback}-{name}" if name else fallback
    return name


def store_blob(root: Path, data: bytes) -> str:
    """Write data once under root/sha[:2]/sha (temp, fsync, rename) and return its sha256."""
    digest = hashlib.sha256(data).hexdigest()
    target = root / digest[:2] / digest
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{digest}.{os.getpid()}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, target)
    return digest


def blob_path(root: Path, digest: str) -> Path | None:
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    path = root / digest[:2] / digest
    return path if path.exists() else None
