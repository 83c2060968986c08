"""The one content-addressed cache of every flow: Verilog, simulator builds, synthesis, place
and route and formal proofs.

A flow names what it computes by a key, :func:`cache_key`, the SHA-256 of everything that
decides the result (source text, script, tool versions, the *contents* of any file
parameter: never a path or a time). An entry is a folder ``<root>/<kind>/<key>/`` holding the
result's files and a checksum record, ``entry.json``, that lists every file with its size and
SHA-256. The usual pattern:

.. code-block:: python

    cache = Cache("synth")
    key = cache_key(verilog, family, script, yosys_version)
    with cache.lock(key):                       # one process computes, the others wait
        entry = cache.lookup(key)
        if entry is None:
            with cache.building(key) as folder:    # a private folder, swapped in when complete
                (folder / "result.json").write_text(...)
            entry = cache.lookup(key)
    counts = entry.read_json("result.json")

Guarantees:

* **Atomic.** :meth:`Cache.building` fills a private stage folder and renames it into place
  when the block succeeds, with the checksum record written last: an interrupted run leaves
  no entry, or the previous one. (Builds whose tools write the folder's own path into their
  output, simulator builds, build in place with ``in_place=True``; the record is then written
  last, and a folder without one is not an entry.)
* **Self-checking.** Every :meth:`Cache.lookup` checks every file against the record. An entry
  with a file missing, cut short, garbled or edited is reported in one line (``stochhw: cache
  entry synth/<key> damaged (result.json truncated: 12 of 331 bytes); recomputing``), dropped,
  and the caller computes it again: a damaged cache never gives a wrong result or a traceback.
  A flow that finds a verified file unusable (its format changed) calls :meth:`Cache.drop`.
* **One computation at a time per key.** :meth:`Cache.lock` is an inter-process file lock per
  entry, so parallel jobs that need the same result compute it once.
* **A failed run keeps its logs** in ``<root>/<kind>/<key>.failed/``, where error messages
  point; it is never a cache entry.

Where the cache lives, :func:`cache_root`: ``$STOCHHW_CACHE_DIR`` if set, else the platform's
user cache folder (``~/.cache/stochhw`` on Linux), never the working directory, so running a
command inside a user's project leaves no ``build/`` folder there. When that folder cannot be
written (HOME unwritable or missing), the cache falls back to ``<tmp>/stochhw-cache-<uid>``
and says so once. The same fallback then also serves the caches of the tools the flows start
(the yowasp runtime, wasmtime inside Amaranth's Yosys, matplotlib), through their environment
variables. Every process on one machine shares the cache safely (the locks above); Dask
workers on other machines have their own.
"""

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path, PurePath

import platformdirs

__all__ = ["Cache", "Entry", "cache_key", "cache_root", "ROOT_ENV", "RECORD"]

#: Environment variable naming the cache folder.
ROOT_ENV = "STOCHHW_CACHE_DIR"

#: The checksum record of an entry (written last).
RECORD = "entry.json"

#: Locks held here, as (pid, thread, path): a forked child does not hold its parent's, and two
#: threads may wait for each other, but one thread never waits for itself.
_HELD = set()

#: Bumped when the record's layout changes (older entries then read as damaged and are redone).
_FORMAT = 1


# --- where ---------------------------------------------------------------------------------------

def _writable(folder):
    """True when ``folder`` exists or can be made, and a file can be created in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
        return True
    except OSError:
        return False


@functools.lru_cache(maxsize=None)
def _resolve_root(configured, home):
    """The cache folder for ``$STOCHHW_CACHE_DIR`` = ``configured`` (or None) and ``$HOME``."""
    wanted = Path(configured) if configured else Path(platformdirs.user_cache_dir("stochhw", appauthor=False))
    if _writable(wanted):
        root, said = wanted.resolve(), False
    else:
        root = Path(tempfile.gettempdir()) / f"stochhw-cache-{os.getuid()}"
        if not _writable(root) or root.stat().st_uid != os.getuid():
            root = Path(tempfile.mkdtemp(prefix="stochhw-cache-"))
        root, said = root.resolve(), True
        why = f"{ROOT_ENV}={configured}" if configured else f"the user cache folder {wanted}"
        print(f"stochhw: {why} is not writable; caching in {root} instead "
              f"(set {ROOT_ENV} to choose)", file=sys.stderr, flush=True)
        # Subprocesses and forked workers inherit it, and say nothing again.
        os.environ[ROOT_ENV] = str(root)
    _redirect_tool_caches(root, said)
    return root


def _redirect_tool_caches(root, said):
    """Point the caches of the tools the flows start into ``root`` when HOME's cache folder
    cannot be written, so that an unwritable HOME never ends in one of their tracebacks:
    wasmtime (which Amaranth's Yosys runs on) reads ``XDG_CACHE_HOME``, the yowasp runtime
    ``YOWASP_CACHE_DIR`` and matplotlib ``MPLCONFIGDIR``. Subprocesses inherit them."""
    user_cache = Path(platformdirs.user_cache_dir())
    if _writable(user_cache):
        return
    os.environ["XDG_CACHE_HOME"] = str(root / "tools")
    for name, sub in (("YOWASP_CACHE_DIR", "YoWASP"), ("MPLCONFIGDIR", "matplotlib")):
        if not (os.environ.get(name) and _writable(Path(os.environ[name]))):
            os.environ[name] = str(root / "tools" / sub)
    if not said:
        print(f"stochhw: {user_cache} is not writable; the tools cache in {root / 'tools'} instead",
              file=sys.stderr, flush=True)


def cache_root():
    """The folder every cache lives under (see the module docstring); created if needed."""
    configured = os.environ.get(ROOT_ENV) or None
    return _resolve_root(configured, os.environ.get("HOME"))


# --- keys ----------------------------------------------------------------------------------------

def _encode(part):
    if isinstance(part, bytes):
        return b"b" + part
    if isinstance(part, str):
        return b"s" + part.encode()
    if isinstance(part, PurePath):
        # A path says where a file is, not what it holds: key a file by its bytes.
        raise TypeError(f"cache keys are content keys; pass the contents of {part}, not its path")
    return b"j" + json.dumps(part, sort_keys=True, separators=(",", ":")).encode()


def cache_key(*parts):
    """SHA-256 (hex) of ``parts``: bytes, text, or JSON values (numbers, lists, dicts, None).

    Each part is tagged with its type and prefixed with its length, so no two different
    tuples of parts hash the same byte stream (``("ab", "c")`` and ``("a", "bc")`` differ).
    Paths are refused: a key names content.
    """
    h = hashlib.sha256()
    for part in parts:
        data = _encode(part)
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


# --- entries -------------------------------------------------------------------------------------

def _digest_file(path):
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


def _files_of(folder):
    """Every regular file under ``folder`` (relative POSIX names), the record excluded."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and not p.is_symlink() and p.name != RECORD)


class Entry:
    """A verified cache entry: a folder of files that match their checksum record.

    Attributes
    ----------
    kind, key : str
    path : pathlib.Path
        The entry's folder.
    files : tuple of str
        The recorded file names (relative to ``path``).
    """

    def __init__(self, cache, key, path, files):
        self.cache, self.key, self.path, self.files = cache, key, path, tuple(files)

    @property
    def kind(self):
        return self.cache.kind

    def file(self, name):
        """Path of the recorded file ``name``."""
        return self.path / name

    def read_bytes(self, name):
        return (self.path / name).read_bytes()

    def read_text(self, name):
        return (self.path / name).read_text()

    def read_json(self, name):
        return json.loads(self.read_text(name))


class Cache:
    """The entries of one kind (``"verilog"``, ``"sim"``, ``"synth"``, ``"pnr"``, ``"formal"``).

    Parameters
    ----------
    kind : str
        Names the sub-folder and the entries in messages (``kind/key``).
    folder : path-like, optional
        Where the entries go; default ``cache_root() / kind``. (Tests and benchmarks pass a
        private folder.)
    """

    def __init__(self, kind, folder=None):
        self.kind = kind
        self._folder = None if folder is None else Path(folder)

    @property
    def folder(self):
        if self._folder is None:
            self._folder = cache_root() / self.kind
        _clean_stale(str(self._folder))
        return self._folder

    def path(self, key):
        """The folder of entry ``key`` (whether it exists or not)."""
        return self.folder / key

    def failed_path(self, key):
        """Where the logs of a failed computation of ``key`` are kept."""
        return self.folder / f"{key}.failed"

    @contextlib.contextmanager
    def lock(self, key):
        """Exclusive inter-process lock on entry ``key`` (blocks until it is free; not
        re-entrant: taking it twice in one process is an error, not a deadlock)."""
        locks = self.folder / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        path = locks / f"{key}.lock"
        if (os.getpid(), threading.get_ident(), str(path)) in _HELD:
            raise RuntimeError(f"cache lock {self.kind}/{key} taken twice by one process")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _HELD.add((os.getpid(), threading.get_ident(), str(path)))
            yield
        finally:
            _HELD.discard((os.getpid(), threading.get_ident(), str(path)))
            os.close(fd)                  # closing releases the lock

    def lookup(self, key, need=()):
        """The verified entry ``key``, or None when there is none (or it was damaged).

        ``need`` names files the caller requires; a sound entry without one of them is a
        plain miss (an entry made without an optional output), not damage.
        """
        path = self.path(key)
        if not path.is_dir():
            return None
        try:
            files = self._verify(key, path)
        except _Damaged as damage:
            self.drop(key, str(damage))
            return None
        if any(name not in files for name in need):
            return None
        return Entry(self, key, path, files)

    def _verify(self, key, path):
        try:
            record = json.loads((path / RECORD).read_text())
        except FileNotFoundError:
            raise _Damaged("no checksum record: an interrupted write, or files put there by hand") from None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            raise _Damaged(f"its checksum record {RECORD} is unreadable") from None
        try:
            if record["format"] != _FORMAT or record["key"] != key or record["kind"] != self.kind:
                raise _Damaged(f"its checksum record {RECORD} belongs to another entry or format")
            files = {str(name): (int(size), str(digest)) for name, (size, digest) in record["files"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            raise _Damaged(f"its checksum record {RECORD} is garbled") from None
        for name, (size, digest) in sorted(files.items()):
            file = path / name
            if not file.is_file():
                raise _Damaged(f"{name} is missing")
            found_size, found_digest = _digest_file(file)
            if found_size < size:
                raise _Damaged(f"{name} truncated: {found_size} of {size} bytes")
            if found_size > size:
                raise _Damaged(f"{name} has {found_size} bytes, {size} recorded")
            if found_digest != digest:
                raise _Damaged(f"{name} does not match its checksum: garbled or edited")
        return tuple(files)

    def drop(self, key, why):
        """Report entry ``key`` as damaged (``why``, one line) and remove it."""
        print(f"stochhw: cache entry {self.kind}/{key} damaged ({why}); recomputing",
              file=sys.stderr, flush=True)
        self._remove(self.path(key))

    def _remove(self, path):
        if not path.exists():
            return
        # Renamed away first, so that no reader ever sees a half-deleted entry.
        trash = Path(tempfile.mkdtemp(prefix=f".trash-{os.getpid()}-", dir=self.folder))
        try:
            os.rename(path, trash / "entry")
        except OSError:
            pass
        shutil.rmtree(trash, ignore_errors=True)

    def _write_record(self, key, folder):
        files = {name: list(_digest_file(folder / name)) for name in _files_of(folder)}
        record = {"format": _FORMAT, "kind": self.kind, "key": key, "files": files}
        tmp = folder / f".{RECORD}.tmp"
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, folder / RECORD)

    @contextlib.contextmanager
    def building(self, key, in_place=False):
        """Yield a folder to write entry ``key`` into; it becomes the entry if the block succeeds.

        Call it holding :meth:`lock` for ``key``. Without ``in_place`` the folder is a private
        stage, renamed into place when complete (replacing an older entry of that key). With
        ``in_place`` it is the entry's own folder, emptied first, and only the checksum record
        makes it an entry. If the block raises, its files are kept in :meth:`failed_path` (the
        logs an error message names) and nothing becomes an entry.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.path(key)
        if in_place:
            self._remove(final)
            final.mkdir()
            stage = final
        else:
            stage = Path(tempfile.mkdtemp(prefix=f".stage-{os.getpid()}-", dir=self.folder))
        try:
            yield stage
            self._write_record(key, stage)
        except BaseException:
            failed = self.failed_path(key)
            self._remove(failed)
            with contextlib.suppress(OSError):
                os.rename(stage, failed)
            shutil.rmtree(stage, ignore_errors=True)
            raise
        if not in_place:
            self._remove(final)
            os.rename(stage, final)
        self._remove(self.failed_path(key))

    def store(self, key, files):
        """Write the entry ``key`` from ``files`` (name -> bytes or str) and return it; call it
        holding :meth:`lock` for ``key`` (the lock is not re-entrant)."""
        with self.building(key) as folder:
            for name, data in files.items():
                target = folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(data, bytes):
                    target.write_bytes(data)
                else:
                    target.write_text(data)
        return Entry(self, key, self.path(key), sorted(files))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:           # someone else's process
        return True
    return True


@functools.lru_cache(maxsize=None)
def _clean_stale(folder):
    """Remove the stages and trash of processes that died (SIGKILL) in ``folder``, once per
    process: they are private folders whose owner is gone, never entries."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = re.fullmatch(r"\.(?:stage|trash)-(\d+)-.*", name)
        if m and not _alive(int(m[1])):
            shutil.rmtree(os.path.join(folder, name), ignore_errors=True)


class _Damaged(Exception):
    """Why an entry failed its check (one line)."""
