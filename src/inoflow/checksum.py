"""The SHA-256 of a file, the one checksum the workflow records: in the rows as read (SRCSHA256),
the locks, the output cache, the code version and the audit bundle. Standard library only, so
that a light module (the cache a restored step uses) can import it."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
