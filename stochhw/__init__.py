"""stochhw: a cycle-accurate simulator with RTL generation for the arithmetic of low-precision
and noisy DNN hardware (stochastic rounding, random-number extraction, low-voltage memory
faults, stochastic computing).

One import package, laid out by role. Each part lives in a top-level folder of the repository
and is mapped into this package by ``pyproject.toml``:

==================  ==========================================================================
``stochhw.models``  NumPy golden models, bit-exact and cycle-accurate (folder ``models/``);
                    ``models.stats`` (randomness statistics) and ``models.ml`` (training,
                    quantization, bit errors, SC-ANNs) below them
``stochhw.hw``      Amaranth 0.5 components, one file per design (``hw/``)
``stochhw.testbench``  what drives and checks a DUT: stimulus, bulk harness, bus packing,
                    comparison, Amaranth simulation, the cocotb test (``testbench/``)
``stochhw.sim``     the tool (``sim/``): ``core`` (specs, targets, files, cache, toolchain,
                    executor), ``designs`` (the registry), ``flows`` (one tool step each),
                    ``proofs``, ``analyses``, ``campaigns`` (many flow runs, one report) and
                    the command line, ``cli``
==================  ==========================================================================

Imports run one way, each layer using only those before it::

    models <- hw <- testbench <- sim.core <- sim.designs <- sim.flows <- sim.proofs
           <- sim.analyses <- sim.campaigns <- sim.cli

``tests/test_layers.py`` fails on an import against that order and on any import cycle.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stochhw")
except PackageNotFoundError:      # running from a source tree that is not installed
    __version__ = "0+unknown"
