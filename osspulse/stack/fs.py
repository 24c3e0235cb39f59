"""The state directory and the files in it: private from the start, never through a symlink.

The state directory holds the stores' data, every log, the pid files and the secret files (Airflow's
passwords file, Trino's password file and TLS key). Whoever can write in it can run code as the stack's
user (a module in ``airflow/plugins``), redirect a file the stack writes as root (a symlinked
``run/.pwfile`` or log) or make root chown a directory of their choosing (a symlinked ``postgres/``).
So:

* :func:`check_state_dir` refuses a state directory owned by another user or writable by others, and
  tightens one of ours to 700 (710 for the ``postgres`` group when the stack runs as root: PostgreSQL,
  which refuses root, must traverse it to reach its data directory);
* :func:`ensure_dir` refuses a symlink or a directory of another user where the stack expects its own;
* :func:`write_file` writes a file atomically with its final mode from the first byte (a fresh file
  created ``O_EXCL | O_NOFOLLOW``, then renamed over the target, which replaces a symlink rather than
  following it); :func:`open_append` appends to a log without following a symlink.
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path
from typing import BinaryIO

from osspulse.stack.process import StackError

#: the user PostgreSQL runs as when the stack runs as root
POSTGRES_USER = "postgres"


class UnsafeStateError(StackError):
    """The state directory (or something in it) could be controlled by another user; the message says how."""


def _owner_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def state_dir_mode() -> tuple[int, int | None]:
    """(mode, group) the state directory should have: 700, or 710 with the postgres group as root."""
    if os.geteuid() == 0:
        try:
            return 0o710, pwd.getpwnam(POSTGRES_USER).pw_gid
        except KeyError:
            return 0o700, None
    return 0o700, None


def check_state_dir(path: Path, *, create: bool = True) -> Path:
    """Make sure ``path`` is a private state directory of this user (created 700 if missing).

    Raises:
        UnsafeStateError: it is a symlink, not a directory, owned by another user, or writable by others.
    """
    mode, group = state_dir_mode()
    if create and not os.path.lexists(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(path, 0o700)
    st = os.lstat(path)
    what = f"the state directory {path} (OSSPULSE_STATE_DIR)"
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeStateError(
            f"refusing {what}: it is a symlink to {os.readlink(path)}; point OSSPULSE_STATE_DIR at the real "
            "directory"
        )
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeStateError(f"refusing {what}: it is not a directory")
    if st.st_uid != os.geteuid():
        raise UnsafeStateError(
            f"refusing {what}: it belongs to {_owner_name(st.st_uid)}, not to {_owner_name(os.geteuid())}, "
            "who runs the stack, so that user could have planted code or symlinks in it (an Airflow "
            "plugin, a symlinked postgres/ or run/ file). Move it away and let `osspulse stack up` create a "
            "new one, or set OSSPULSE_STATE_DIR to a directory you own"
        )
    if st.st_mode & 0o022:
        raise UnsafeStateError(
            f"refusing {what}: it is writable by {'others' if st.st_mode & 0o002 else 'its group'} "
            f"(mode {stat.S_IMODE(st.st_mode):o}), who could have planted code or symlinks in it. Check "
            f"what is in it, then `chmod 700 {path}`"
        )
    if group is not None and st.st_gid != group:
        os.chown(path, -1, group, follow_symlinks=False)
    if stat.S_IMODE(st.st_mode) != mode:
        os.chmod(path, mode, follow_symlinks=False)
    return path


def ensure_dir(path: Path, *, mode: int = 0o700, owner: str | None = None) -> Path:
    """Create ``path`` (and missing parents) with ``mode``, or check the existing one is a real directory.

    Args:
        owner: a user who may own it instead of us (``postgres`` for PostgreSQL's directories); a
            directory we create is chowned to that user.

    Raises:
        UnsafeStateError: it is a symlink, not a directory, or owned by someone else.
    """
    if not os.path.lexists(path):
        if not os.path.lexists(path.parent):
            ensure_dir(path.parent, mode=0o700)
        os.mkdir(path, mode)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeStateError(
            f"refusing {path}: it is a symlink (to {os.readlink(path)}); the stack never follows one inside "
            "its state directory. Remove it and run the command again"
        )
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeStateError(f"refusing {path}: it should be a directory")
    allowed = {os.geteuid()}
    owner_uid = owner_gid = None
    if owner:
        entry = pwd.getpwnam(owner)
        owner_uid, owner_gid = entry.pw_uid, entry.pw_gid
        allowed.add(owner_uid)
    if st.st_uid not in allowed:
        raise UnsafeStateError(
            f"refusing {path}: it belongs to {_owner_name(st.st_uid)}, who could have planted files in it; "
            "remove it and run the command again"
        )
    if owner_uid is not None and (st.st_uid, st.st_gid) != (owner_uid, owner_gid):
        os.chown(path, owner_uid, owner_gid, follow_symlinks=False)
    if stat.S_IMODE(st.st_mode) != mode:
        os.chmod(path, mode, follow_symlinks=False)
    return path


def write_file(path: Path, data: bytes | str, *, mode: int = 0o600, owner: str | None = None) -> Path:
    """Write ``data`` to ``path`` atomically, with ``mode`` from the start, replacing (never following) a
    symlink. ``owner`` (a user name) gets the file before it is in place."""
    if isinstance(data, str):
        data = data.encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        os.unlink(tmp)  # a leftover of a killed writer (or a planted symlink): remove the name, not a target
    except FileNotFoundError:
        pass
    fd = os.open(tmp, flags, mode)
    try:
        os.fchmod(fd, mode)  # the umask may have narrowed it further; never widened
        if owner:
            entry = pwd.getpwnam(owner)
            os.fchown(fd, entry.pw_uid, entry.pw_gid)
        with os.fdopen(fd, "wb", closefd=False) as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, path)
    return path


def open_append(path: Path, *, mode: int = 0o600) -> BinaryIO:
    """Open ``path`` for appending (created with ``mode``) without following a symlink."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, mode)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafeStateError(
                f"refusing {path}: it is a symlink (to {os.readlink(path)}); remove it and run the command "
                "again"
            ) from exc
        raise
    st = os.fstat(fd)
    if st.st_uid != os.geteuid():
        os.close(fd)
        raise UnsafeStateError(f"refusing {path}: it belongs to {_owner_name(st.st_uid)}; remove it")
    return os.fdopen(fd, "ab")


def read_text_nofollow(path: Path) -> str:
    """The text of ``path``, or "" when it does not exist; a symlink is not followed (raises)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return ""
    with os.fdopen(fd, "r") as fh:
        return fh.read()
