"""Files shipped inside the package, named the same way on every machine.

Built-in regression cases name data files (a profiled fault map, say) relative to the package:
``testbench/profiles/chip_48x16.json`` is ``profiles/chip_48x16.json`` of the
``stochhw.testbench`` package, wherever that is installed (a wheel in site-packages, an
editable checkout). :func:`package_file` turns such a name into a path that opens from any
working folder; :func:`shown_path` turns a path back into the package-relative name, so that
labels, JUnit names and cache keys never carry a machine's absolute paths.
"""

import importlib.resources
from pathlib import Path

__all__ = ["PARTS", "package_file", "shown_path"]

#: The package parts that may hold data files, by the folder name they have in a checkout.
PARTS = ("testbench", "models", "hw", "sim")


def _root(part):
    return Path(str(importlib.resources.files(f"stochhw.{part}"))).resolve()


def package_file(name):
    """The absolute path of ``name`` (``"<part>/<path inside it>"``) inside the package.

    Raises
    ------
    FileNotFoundError
        If the package holds no such file.
    """
    part, _, rest = str(name).replace("\\", "/").partition("/")
    if part not in PARTS or not rest:
        raise FileNotFoundError(f"{name!r} does not name a file of the package (parts: {', '.join(PARTS)})")
    path = _root(part) / rest
    if not path.is_file():
        raise FileNotFoundError(f"the package has no file {name!r} (looked at {path})")
    return str(path)


def shown_path(value):
    """``value`` as ``"<part>/<path>"`` when it is a path inside the package, else unchanged."""
    if not isinstance(value, str) or not Path(value).is_absolute():
        return value
    path = Path(value).resolve()
    for part in PARTS:
        try:
            return f"{part}/{path.relative_to(_root(part)).as_posix()}"
        except ValueError:
            continue
    return value
