"""Verilog generation for registered designs: deterministic bytes, written atomically."""

import dataclasses
import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path

from amaranth.back import verilog

from .registry import get_design
from .toolchain import tool_versions

__all__ = ["Generated", "generate", "write_atomic"]


@dataclasses.dataclass(frozen=True)
class Generated:
    """Generated Verilog for one design and parameter set."""
    design: str
    top: str
    params: dict
    ports: list
    latency: int
    verilog: str

    @property
    def digest(self):
        """Content hash of the Verilog: the key of every downstream cache."""
        return hashlib.sha256(self.verilog.encode()).hexdigest()[:16]

    def manifest(self):
        return {
            "design": self.design,
            "top": self.top,
            "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()},
            "latency": self.latency,
            "ports": [{"name": "clk", "direction": "in", "width": 1, "lanes": 1, "signed": False}] +
                     [dataclasses.asdict(p) for p in self.ports],
            "sha256_16": self.digest,
        }


#: Folder of the Verilog cache (see :func:`generate`).
CACHE_DIR = Path("build/cache/verilog")


@functools.lru_cache(maxsize=1)
def _source_digest():
    """Hash of the code and tools that shape generated Verilog: ``hw/``, ``models/``, versions."""
    h = hashlib.sha256(json.dumps(tool_versions(), sort_keys=True).encode())
    root = Path(__file__).resolve().parent.parent
    for folder in ("hw", "models"):
        for path in sorted((root / folder).glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def generate(design_name, overrides=None, top=None, cache_dir=CACHE_DIR):
    """Elaborate ``design_name`` with parameter ``overrides`` and convert it to Verilog.

    ``emit_src=False`` keeps source paths out of the file, so the bytes depend only on the
    design, its parameters, the code in ``hw/`` and ``models/`` and the tool versions. The
    Verilog is cached under ``cache_dir`` by the hash of exactly those (elaborating a
    256-lane array takes seconds; ``None`` disables the cache).
    """
    design = get_design(design_name)
    params = design.resolve(overrides)
    component = design.build(params)
    ports = design.ports(params, component)
    top = top or design.name
    key = hashlib.sha256(json.dumps([_source_digest(), design.name, top, repr(sorted(params.items()))])
                         .encode()).hexdigest()[:32]
    cached = Path(cache_dir) / f"{key}.v" if cache_dir is not None else None
    if cached is not None and cached.exists():
        text = cached.read_text()
    else:
        text = verilog.convert(component, name=top, emit_src=False)
        if cached is not None:
            write_atomic(cached, text)
    return Generated(design.name, top, params, ports, design.latency(params), text)


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


def write_design(generated, out_dir):
    """Write ``<top>.v`` and ``<top>.json`` (manifest) into ``out_dir``; return the Verilog path."""
    out_dir = Path(out_dir)
    v_path = out_dir / f"{generated.top}.v"
    write_atomic(v_path, generated.verilog)
    write_atomic(out_dir / f"{generated.top}.json",
                 json.dumps(generated.manifest(), indent=2, sort_keys=True) + "\n")
    return v_path
