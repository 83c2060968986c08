"""Files written whole: a reader sees the old file or folder or the new one, never a mix.

:func:`write_atomic` writes one file through a temporary file and a rename; :func:`staged`
writes a folder through a private copy that is swapped in only when complete.
"""

import contextlib
import fcntl
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["write_atomic", "staged"]


def write_atomic(path, data):
    """Write ``data`` (str or bytes) to ``path`` via a temporary file and ``os.replace``.

    An interrupted run leaves either the old file or the new one, never half of one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as f:
            f.write(data)
        os.chmod(tmp, 0o644)             # mkstemp makes 0600; these files are for everyone
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def staged(folder):
    """Yield a private copy of ``folder`` to write into; swap it in only if the block succeeds.

    Every run gets its own stage (``mkdtemp``: unique even for two runs in one process), and
    the two renames of the swap happen under an exclusive lock on the parent folder, so two
    runs that finish together never interleave them: each swaps in a complete folder, and the
    last one wins. An interrupted run leaves ``folder`` as it was.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=folder.parent))
    try:
        os.chmod(stage, 0o755)            # mkdtemp makes 0700; the reports are for everyone
        if folder.exists():
            shutil.copytree(folder, stage, dirs_exist_ok=True)
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = stage.with_name(stage.name + ".old")
    lock = os.open(folder.parent, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if folder.exists():
            os.rename(folder, old)
        os.rename(stage, folder)
    finally:
        os.close(lock)                    # closing releases the lock
    shutil.rmtree(old, ignore_errors=True)
