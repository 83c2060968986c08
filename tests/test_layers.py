"""The package's architecture holds: imports run one way through the layers, with no cycle.

Every import of a ``stochhw`` module is read from the source (at module level and inside
functions alike, so a function-local import cannot hide an upward dependency), and each module
belongs to one layer of :mod:`stochhw`'s docstring.
"""

import ast
from pathlib import Path

import pytest

import stochhw

#: Layers, lowest first: a module may import its own layer and those before it.
LAYERS = (
    "stochhw.models",
    "stochhw.models.stats",
    "stochhw.models.ml",
    "stochhw.hw",
    "stochhw.testbench",
    "stochhw.sim.core",
    "stochhw.sim.designs",
    "stochhw.sim.flows",
    "stochhw.sim.proofs",
    "stochhw.sim.analyses",
    "stochhw.sim.campaigns",
    "stochhw.sim.cli",
    "stochhw",
)

#: Package parts as they sit in the repository (``pyproject.toml``'s package-dir).
_FOLDERS = {"stochhw": "stochhw", "stochhw.models": "models", "stochhw.hw": "hw",
            "stochhw.testbench": "testbench", "stochhw.sim": "sim"}
_ROOT = Path(__file__).resolve().parent.parent


def _modules():
    """Every module of the package: name -> source path."""
    found = {}
    for package, folder in _FOLDERS.items():
        for path in sorted((_ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(_ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def _layer(module):
    """Index in :data:`LAYERS` of the longest layer prefix of ``module``."""
    best = None
    for i, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            if best is None or len(layer) > len(LAYERS[best]):
                best = i
    return best


def _imports(module, path):
    """The stochhw modules ``module`` imports (resolved to modules that exist)."""
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module if path.name == "__init__.py" else module.rpartition(".")[0]
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module
            names.add(target)
            # "from package import submodule" imports the submodule.
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return sorted(n for n in names if n in MODULES and n != module)


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def test_the_package_is_found_where_the_layers_say():
    assert Path(stochhw.__file__).resolve().parent == _ROOT / "stochhw"
    assert {"stochhw.models.sru", "stochhw.hw.sru", "stochhw.testbench.harness",
            "stochhw.sim.cli"} <= set(MODULES)
    assert all(_layer(m) is not None for m in MODULES), [m for m in MODULES if _layer(m) is None]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_down_the_layers(module):
    upward = [target for target in GRAPH[module] if _layer(target) > _layer(module)]
    assert not upward, (f"{module} ({LAYERS[_layer(module)]}) imports from a higher layer: "
                        + ", ".join(f"{t} ({LAYERS[_layer(t)]})" for t in upward))


def _cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, stack)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def test_no_import_cycle():
    # A package imports its own submodules to gather them; a submodule importing its package
    # back ("from stochhw.sim.designs import get_design" in a topic module) is the cycle.
    cycle = _cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert _cycle({"a": ["b"], "b": [], "c": ["a"]}) is None
