"""Files written whole: a reader sees the old file, set or folder or the new one, never a mix.

* :func:`write_atomic` writes one file through a temporary file and a rename.
* :func:`write_set` writes several files that belong together (a design package, a
  comparison's ``.md``/``.csv``/``.json``/``.png``) into a folder that may hold other files,
  the user's among them: all or none of the set is replaced, and two runs never mix theirs.
* :func:`staged` writes a whole folder that the tool owns (``synth_reports/``) through a
  private copy that is swapped in only when complete.
* :func:`check_writable` refuses a folder that cannot be written, before any work starts.

Interrupted runs (even by SIGKILL) leave nothing half-done behind: the next run in the same
place finishes or removes what a dead run left (an unfinished set is completed, an abandoned
stage is deleted), so no debris accumulates beside the user's files.
"""

import contextlib
import fcntl
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

__all__ = ["write_atomic", "write_set", "staged", "check_writable"]


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
def _locked_folder(folder):
    """Exclusive lock on ``folder`` itself (``flock`` on the directory: no lock file left)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)                      # closing releases the lock


#: Names of a set's temporary files and of its journal (hidden, recognizably the tool's own).
_SET_TMP = re.compile(r"\.stochhw-set-(?P<token>[0-9a-z_]+)\.(?P<index>\d+)\.tmp")
_SET_JOURNAL = re.compile(r"\.stochhw-set-(?P<token>[0-9a-z_]+)\.journal")


def _finish_sets(folder):
    """Complete the sets a dead writer left in ``folder`` (call it holding the folder's lock).

    A journal names a set whose files were all written: its renames are finished (roll
    forward). Temporary files without a journal belong to a set that was never complete:
    they are removed, and the folder keeps its previous set.
    """
    names = os.listdir(folder)
    for name in names:
        if _SET_JOURNAL.fullmatch(name):
            journal = folder / name
            try:
                renames = json.loads(journal.read_text())
            except (OSError, ValueError):
                renames = []
            for tmp, final in renames:
                if (folder / tmp).exists():
                    os.replace(folder / tmp, folder / final)
            journal.unlink(missing_ok=True)
    for name in os.listdir(folder):
        if _SET_TMP.fullmatch(name):
            (folder / name).unlink(missing_ok=True)


def write_set(folder, files):
    """Write ``files`` (name -> str or bytes) into ``folder`` as one set.

    Every file is written under a temporary name first; then a journal listing the renames is
    written, the files are renamed into place and the journal is removed, all under an
    exclusive lock on the folder. So two runs writing the same set into one folder take turns
    (the folder holds one run's complete set, the last one's), a run interrupted while
    writing leaves the previous set, and one killed during the renames (a few system calls)
    is completed by the next write into the folder. Other files in the folder are never
    touched.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        if Path(name).name != name or name.startswith("."):
            raise ValueError(f"set members are plain file names, not {name!r}")
    token = f"{os.getpid()}_{os.urandom(4).hex()}"
    with _locked_folder(folder):
        _finish_sets(folder)
        renames = []
        try:
            for index, (name, data) in enumerate(files.items()):
                tmp = f".stochhw-set-{token}.{index}.tmp"
                mode = "wb" if isinstance(data, bytes) else "w"
                with open(folder / tmp, mode) as f:
                    f.write(data)
                os.chmod(folder / tmp, 0o644)
                renames.append((tmp, name))
            write_atomic(folder / f".stochhw-set-{token}.journal", json.dumps(renames))
        except BaseException:
            for tmp, _ in renames:
                (folder / tmp).unlink(missing_ok=True)
            raise
        for tmp, name in renames:
            os.replace(folder / tmp, folder / name)
        (folder / f".stochhw-set-{token}.journal").unlink()


def _stale_stages(folder):
    """Stages (and swapped-out old folders) of ``folder`` whose run is over, with their lock
    files: nobody holds their lock. Call it holding the parent's lock.

    A live run holds a shared lock on ``<stage>.lock``, a file beside its stage (not the stage
    folder itself, which :func:`write_set` locks while it writes into the stage).
    """
    prefix = f".{folder.name}.staging-"
    for path in folder.parent.iterdir():
        if not path.name.startswith(prefix) or path.name.endswith(".lock"):
            continue
        lock = path.with_name(path.name.removesuffix(".old") + ".lock")
        try:
            fd = os.open(lock, os.O_RDONLY)
        except OSError:
            yield path                    # no lock file: its run is over
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue                      # a live run is writing into it
        finally:
            os.close(fd)
        yield path
    for lock in folder.parent.glob(f"{prefix}*.lock"):
        if not lock.with_suffix("").exists():
            try:
                fd = os.open(lock, os.O_RDONLY)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                lock.unlink(missing_ok=True)
            except BlockingIOError:
                pass
            finally:
                os.close(fd)


@contextlib.contextmanager
def staged(folder):
    """Yield a private copy of ``folder`` to write into; swap it in only if the block succeeds.

    Every run gets its own stage (``mkdtemp``: unique even for two runs in one process) and
    holds a lock on it while it runs; the two renames of the swap happen under an exclusive
    lock on the parent folder, so two runs that finish together never interleave them: each
    swaps in a complete folder, and the last one wins. An interrupted run leaves ``folder`` as
    it was, and a stage left by a run that was killed is removed by the next run.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked_folder(folder.parent):
        for path in _stale_stages(folder):
            shutil.rmtree(path, ignore_errors=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=folder.parent))
        # Held until the swap: tells the next run's clean-up that this stage is alive.
        lock = stage.with_name(stage.name + ".lock")
        held = os.open(lock, os.O_RDONLY | os.O_CREAT, 0o644)
        fcntl.flock(held, fcntl.LOCK_SH)
    try:
        os.chmod(stage, 0o755)            # mkdtemp makes 0700; the reports are for everyone
        if folder.exists():
            shutil.copytree(folder, stage, dirs_exist_ok=True)
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        lock.unlink(missing_ok=True)
        os.close(held)
        raise
    old = stage.with_name(stage.name + ".old")
    try:
        with _locked_folder(folder.parent):
            if folder.exists():
                os.rename(folder, old)
            os.rename(stage, folder)
    finally:
        lock.unlink(missing_ok=True)
        os.close(held)
    shutil.rmtree(old, ignore_errors=True)


def check_writable(folder, what="output folder"):
    """Raise :class:`PermissionError` (naming ``folder``) unless files can be created in it.

    A folder that does not exist yet counts as writable when its nearest existing parent is
    (it will be created there). The check creates one anonymous temporary file there (never
    visible, gone when closed): asking the file system is the only answer that holds for
    root, read-only mounts and pseudo file systems alike.
    """
    folder = Path(folder)
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise NotADirectoryError(20, f"{what} {str(folder)!r} is inside a file, not a folder",
                                 str(probe))
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError:
        raise PermissionError(13, f"{what} {str(folder)!r} is not writable", str(probe)) from None
