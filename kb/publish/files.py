"""Writing the site's files so that a killed run never leaves a half-written one.

``sync`` writes the generated sources into ``site-src``: each file through a temporary file
and a rename, only when its bytes change, each rewritten path listed in ``PENDING_FILE`` before
it is written (the next build must rebuild its page), and generated files that are no longer
generated deleted. ``swap`` puts a newly built site in the place of the old one, in one atomic
step where the system allows it.
"""

from __future__ import annotations

import ctypes
import errno as _errno
import functools
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

MANAGED_DIRS = ("docs", "overrides", "hooks")  # everything in these folders is generated
PENDING_FILE = ".policywatch-pending"  # in site-src: sources rewritten since the last build
TMP_PREFIX = ".policywatch-tmp-"  # of the temporary files and folders publishing makes


def sync(src_dir: Path, files: Iterable[tuple[str, bytes | Iterable[bytes]]]) -> tuple[int, int]:
    """Make ``src_dir`` hold ``files`` (relative POSIX path, bytes or its bytes in pieces, for
    a file too big to hold); return (written, unchanged).

    Unchanged files keep their bytes and modification time; files in ``MANAGED_DIRS`` that are
    not in ``files`` are deleted, and so are folders left empty there."""
    written = unchanged = 0
    generated: set[str] = set()
    pending = None  # PENDING_FILE, opened at the first file that changes
    try:
        for rel, content in files:  # one at a time: a big site is never held whole
            generated.add(rel)
            path = src_dir / rel
            if isinstance(content, bytes):
                if path.is_file() and path.read_bytes() == content:
                    unchanged += 1
                    continue
                tmp = _temporary(path, (content,))
            else:  # in pieces: written beside the file while it is compared with it
                tmp = _temporary(path, content, compare=path)
                if tmp is None:
                    unchanged += 1
                    continue
            if pending is None:
                src_dir.mkdir(parents=True, exist_ok=True)
                pending = (src_dir / PENDING_FILE).open("a", encoding="utf-8")
            pending.write(rel + "\n")  # before the file: the next build must redo its page
            pending.flush()
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)  # atomic: MkDocs never reads half a page
            written += 1
    finally:
        if pending is not None:
            pending.close()
    for leftover in src_dir.glob(f"{TMP_PREFIX}*"):  # a killed run's half-written mkdocs.yml
        leftover.unlink()
    for top in MANAGED_DIRS:
        root = src_dir / top
        if not root.is_dir():
            continue
        for dirpath, _, filenames in os.walk(root, topdown=False):
            for name in filenames:
                rel = Path(dirpath, name).relative_to(src_dir).as_posix()
                if rel not in generated:
                    os.unlink(Path(dirpath, name))
            if dirpath != str(root) and not os.listdir(dirpath):
                os.rmdir(dirpath)
    return written, unchanged


def _temporary(path: Path, pieces: Iterable[bytes], compare: Path | None = None) -> str | None:
    """A temporary file beside ``path`` holding ``pieces``; None (and no file) when ``compare``
    is a file that holds the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    old = None
    try:
        if compare is not None and compare.is_file():
            old = compare.open("rb")
        same = old is not None
        with os.fdopen(fd, "wb") as handle:
            for piece in pieces:
                handle.write(piece)
                same = same and old.read(len(piece)) == piece
        if same and old.read(1) == b"":
            os.unlink(tmp)
            return None
    except BaseException:
        os.unlink(tmp)
        raise
    finally:
        if old is not None:
            old.close()
    return tmp


def swap(new: Path, site_dir: Path) -> None:
    """Put the folder ``new`` in the place of ``site_dir`` (which may not exist yet)."""
    if not site_dir.exists():
        new.rename(site_dir)
        return
    if _exchange(new, site_dir):  # one atomic step: there is always a whole site to serve
        shutil.rmtree(new, ignore_errors=True)  # it holds the old site now
        return
    # No atomic exchange here: two renames, and a kill between them leaves no site until the
    # next publish (never a partial one).
    old = site_dir.with_name(f"{TMP_PREFIX}{site_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    site_dir.rename(old)
    new.rename(site_dir)
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2  # linux/fs.h
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE); False where the
    system or the file system cannot (then nothing was changed)."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (_errno.EINVAL, _errno.ENOSYS, _errno.EOPNOTSUPP):
        return False
    raise OSError(errno, os.strerror(errno), str(b))


@functools.cache
def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
