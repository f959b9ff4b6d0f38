"""Files that appear whole or not at all: staged folders, atomic text files, safe removal.

A folder ``PARENT/NAME`` (a saved result) is written into a staging folder ``PARENT/.NAME.staging-XXXX`` and
renamed into place at the end; a file is written to ``PARENT/.NAME.tmp-XXXX`` and renamed over the old one.
What is being written is never visible under its final name before it is complete, so an error, Ctrl-C,
SIGTERM or SIGHUP leaves the previous version (or nothing) and no half-written one.

* **Races.** The renames that put a new version in place (and move the old one aside) run while holding an
  exclusive ``flock`` on ``PARENT``, so concurrent writers of the same name take turns: the last one wins
  and none fails or leaves anything behind.
* **Kills.** Every temporary entry is ``flock``-ed by the process that owns it for as long as it lives. An
  entry that survives a SIGKILL is unlocked (the kernel drops the lock with the process), so the next
  write to the same name removes it; an entry still locked belongs to a live writer and is left alone.
  :func:`is_leftover` tells a reader that a folder is such an entry, never a result.
* **Modes.** Entries are created with the default modes filtered by the user's umask (0644 files and 0755
  folders under umask 022), not the private 0600/0700 of ``tempfile``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_TEMPORARY = re.compile(r"\..+\.(staging|old|tmp)-[0-9a-f]{12}")  # what _unused_path names


def is_leftover(folder_name: str, name: str | None = None) -> bool:
    """Whether ``folder_name`` is a temporary entry (staging or old version) of ``name`` (None: of any name),
    not ``name`` itself."""
    if name is None:
        return bool(_TEMPORARY.fullmatch(folder_name))
    return folder_name.startswith(f".{name}.")


def remove_leftovers(parent: Path) -> None:
    """Remove the temporary entries of every name in ``parent`` whose owner is gone: for a folder where each
    save has a name of its own (kept runs), so that no save cleans up after an earlier one of the same name."""
    if parent.is_dir():
        with _locked(parent):
            _remove_leftovers(parent, None)


@contextlib.contextmanager
def staged_folder(parent: Path, name: str) -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces ``parent/name`` atomically, on error it is removed.

    ``parent`` is created if needed. Leftovers of killed writers of ``name`` are removed on the way.
    """
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent):
        staging, handle = _create_locked(parent, name, "staging", directory=True)
    try:
        yield staging
        with _locked(parent):
            _remove_leftovers(parent, name)
            with signals_deferred():
                _discard(_swap(staging, parent / name))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        os.close(handle)


def remove(parent: Path, name: str) -> None:
    """Remove ``parent/name`` (a folder or a file) and the leftovers of killed writers of it, if any.

    The entry is first renamed aside, so it disappears at once rather than file by file.
    """
    if not parent.is_dir():
        return
    with _locked(parent):
        _remove_leftovers(parent, name)
        target = parent / name
        if os.path.lexists(target):
            old = _unused_path(parent, name, "old")
            os.rename(target, old)
            _discard(old)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically: readers see the old file or the whole new one."""
    parent, name = path.parent, path.name
    with _locked(parent):
        temp, handle = _create_locked(parent, name, "tmp", directory=False)
    try:
        with open(handle, "w", encoding="utf-8", closefd=False) as file:
            file.write(text)
        with _locked(parent):
            _remove_leftovers(parent, name)
            os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    finally:
        os.close(handle)


# ---------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``folder`` (blocking; released when the block ends or the process dies)."""
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _unused_path(parent: Path, name: str, kind: str) -> Path:
    return parent / f".{name}.{kind}-{secrets.token_hex(6)}"


def _create_locked(parent: Path, name: str, kind: str, *, directory: bool) -> tuple[Path, int]:
    """Create a new temporary entry of ``name`` (umask modes) and flock it; returns its path and open handle.

    Called with ``parent`` locked, so a cleaner never sees the entry before it is locked.
    """
    while True:
        path = _unused_path(parent, name, kind)
        try:
            if directory:
                os.mkdir(path)  # 0o777 & ~umask
                handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
            else:
                handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666 & ~umask
        except FileExistsError:
            continue
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return path, handle


def _remove_leftovers(parent: Path, name: str | None) -> None:
    """Remove the temporary entries of ``name`` (None: of any name) whose owner is gone (they are not locked);
    ``parent`` is locked."""
    for entry in parent.iterdir():
        if not is_leftover(entry.name, name) or entry.is_symlink():
            continue
        try:
            handle = os.open(entry, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live writer's
        finally:
            os.close(handle)
        _discard(entry)


def _swap(staging: Path, target: Path) -> Path | None:
    """Rename ``staging`` to ``target``; an existing ``target`` is renamed aside first and its new path returned."""
    old = None
    if os.path.lexists(target):
        old = _unused_path(target.parent, target.name, "old")
        os.rename(target, old)
    os.rename(staging, target)
    return old


def _discard(path: Path | None) -> None:
    if path is None:
        return
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends, then deliver the first one that came.

    Keeps a pair of renames (or a Dask cluster's start) from being cut in half by the exception a signal handler
    raises. Signal handlers run in the main thread only, so elsewhere there is nothing to hold.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {}
    try:
        for number in _SIGNALS:
            handler = signal.getsignal(number)
            if handler is not None:  # None: a handler installed outside Python, left alone
                previous[number] = signal.signal(number, lambda signum, _frame: received.append(signum))
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if received:
            signal.raise_signal(received[0])
