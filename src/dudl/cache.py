"""The block cache: finished blocks on disk, so that an interrupted or repeated run resumes where it was.

An entry is one block's arrays (``numpy.savez``) behind a first line holding the SHA-256 of its name and those
bytes (an entry copied or renamed over another is not taken for it); its name is the SHA-256 of the block's key
(experiment, resolved parameters, engine call, model indices, dudl version and a digest of the block's data and
settings, see :func:`dudl.core.engine.train`). An entry whose checksum does not match, or that does not load, is
deleted and recomputed, never trusted. Entries are written to a temporary file and renamed, so a crash never
leaves half an entry under a real name; a failed write (a full disk) names the cache folder.

The default folder is ``$DUDL_CACHE`` if set (``off`` disables the cache: the test suite sets it), else
``$XDG_CACHE_HOME/dudl`` (``~/.cache/dudl``).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import torch

from dudl.params import ParamError


def default_folder() -> Path | None:
    """The cache folder when none is given: ``$DUDL_CACHE`` (None if "off"), else the user's cache dir."""
    setting = os.environ.get("DUDL_CACHE")
    if setting:
        return None if setting.lower() == "off" else Path(setting).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dudl"


def open_cache(setting: bool | str | os.PathLike[str] | BlockCache | None) -> BlockCache | None:
    """A cache from a folder, True (:func:`default_folder`, unless ``DUDL_CACHE=off``), a BlockCache (as it
    is), or None/False (no cache)."""
    if setting is None or setting is False:
        return None
    if isinstance(setting, BlockCache):
        return setting
    if setting is True:
        folder = default_folder()
        return None if folder is None else BlockCache(folder)
    return BlockCache(setting)


class CacheFolderError(ParamError):
    """A cache folder that is a file or cannot be written (``reason``: which, and why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"--cache {reason}; give another folder or --no-cache")
        self.reason = reason


class BlockCache:
    """Finished blocks in ``folder`` (created if missing). A folder that is a file or cannot be written
    raises ParamError (the CLI's one line and exit 2), before anything is computed."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).expanduser()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.folder):
                pass
        except OSError as error:
            reason = f"{str(self.folder)!r} is not a writable folder ({error.strerror or error})"
            raise CacheFolderError(reason) from None
        self.hits = 0  # entries taken from the cache by this object

    def _path(self, key: str) -> Path:
        """The entry of ``key`` in this dudl version (another version's blocks are never taken)."""
        from dudl import __version__

        return self.folder / f"{hashlib.sha256(f'{__version__}|{key}'.encode()).hexdigest()}.block"

    def get(self, key: str) -> dict[str, torch.Tensor] | None:
        """The block stored under ``key``, or None (missing, or corrupt: then the entry is removed)."""
        path = self._path(key)
        try:
            content = path.read_bytes()
        except OSError:
            return None
        checksum, _, payload = content.partition(b"\n")
        try:
            if _checksum(path, payload) != checksum:
                raise ValueError("checksum mismatch")
            with np.load(io.BytesIO(payload), allow_pickle=False) as stored:
                arrays = {name: torch.from_numpy(stored[name].copy()) for name in stored.files}
        except (ValueError, OSError, KeyError, EOFError):
            path.unlink(missing_ok=True)
            return None
        self.hits += 1
        return arrays

    def put(self, key: str, arrays: dict[str, torch.Tensor]) -> None:
        """Store a finished block (atomically: a temporary file renamed into place)."""
        buffer = io.BytesIO()
        np.savez(buffer, **{name: value.numpy() for name, value in arrays.items()})
        payload = buffer.getvalue()
        path = self._path(key)
        try:
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        except OSError as error:
            raise self._named(error) from None
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(_checksum(path, payload) + b"\n" + payload)
            os.replace(temporary, path)
        except BaseException as error:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(error, OSError) and not error.filename:
                raise self._named(error) from None
            raise

    def _named(self, error: OSError) -> OSError:
        """``error`` naming the cache folder: a full disk is "could not write <the cache>", not "the output"."""
        return OSError(error.errno, error.strerror, str(self.folder))


def _checksum(path: Path, payload: bytes) -> bytes:
    """The first line of the entry ``path``: the SHA-256 of its name and its arrays' bytes."""
    return hashlib.sha256(path.name.encode() + b"\n" + payload).hexdigest().encode()
