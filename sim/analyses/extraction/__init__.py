"""``stochhw analyze extraction``: random numbers extracted from training data, measured.

Usage::

    stochhw analyze extraction [--quick] [--out DIR] [--seed S] [--json]

The package, in the order a reader needs it: :mod:`.study` computes
(:func:`extraction_analysis`), :mod:`.gf_correlation` is the gf_rounding measurement it calls,
:mod:`.tables` and :mod:`.notes` write ``extraction.md``, :mod:`.figures` draws the figures;
:func:`report_files` and :func:`run`, here, put them together.

The paper's comparisons of extracted random numbers, at the scale of this project. Writes
into ``--out`` (default ``reports/randomness/``): ``extraction.md``
(tables and what they say), ``extraction.json`` (every number), and the figures
``histograms.png`` (paper Fig. 4), ``lsb_over_training.png`` (Fig. A1), ``nist.png``
(Fig. A3), ``mapping.png`` (Table A1), ``pixel.png`` (Fig. 5 / A4) and ``gf_rounding.png``.
Same code and seed give the same bytes. ``--quick`` (one seed, 6-bit codes only, 3 epochs,
NIST on 20,000-bit streams, 4096 gf_rounding cycles; about 6 s) is a smoke test, not a result;
the full run takes about one minute of CPU time.

What is measured (:func:`extraction_analysis`):

* **Sources.** The digits MLP of :mod:`stochhw.models.ml.training` (default 64-32-10, 20 epochs,
  stochastic rounding from PCG64) trained with 8-bit and with 6-bit codes, seeds S .. S+4
  (``--seed`` S, default 1); every step's weights, activations, errors and gradients of both
  layers are recorded. Each tensor's code stream goes through an ``lsb_extractor`` model
  (:func:`stochhw.sim.analyses.randomness.tensor_source_numbers`: 16 lanes, static routing, seed 1, no reuse)
  by ``direct`` (6 low bits of one code per number) and ``multi_lsb`` (the LSBs of 6 codes
  per number), giving 6-bit numbers as in the paper's Table 6.
* **Mapping.** A *derived* mapping per code width, tensor kind, method and number width is
  chosen by :func:`stochhw.models.stats.mapping.balanced_mapping` (minimum worst-case rounding bias) from
  the histogram of a separate calibration run (seed S+5, every layer), as hardware would fix
  it at design time, and evaluated on the other runs. The issue's example mapping
  ``3,1,2,7,4,6,5,0`` is evaluated as given, on 3-bit numbers.
* **Entropy and rounding bias** (Table 6, and the bias the issue asks for): plug-in Shannon
  entropy, the share of zero numbers, and the stochastic-rounding bias ``bias(f)`` of
  :mod:`stochhw.models.stats.mapping` (mean over f, and the worst f), mean over the seeds.
* **NIST SP 800-22** (Fig. A3), on the first seed: per code width, tensor kind, layer, method
  and mapping, a stream of up to ``nist_length`` bits (10^6) taken from snapshots spread
  evenly over training (every s-th snapshot, the largest s that still leaves enough bits;
  s = 1 when the layer holds fewer), verdicts by :func:`stochhw.sim.analyses.randomness.nist_summary` (the
  proportion rule; tests whose preconditions fail are "not applicable", never a pass).
* **Histograms**, **one location's LSB over training** (32 locations of layer 0 per kind),
  **pixel-derived distributions** (``pixel_extractor`` model, 3-bit uniform, Gaussian
  sigma = 1/3 and Beta(1, 2) on the 29 eligible locations), and **gf_rounding's
  self-correlation** (:mod:`~stochhw.sim.analyses.extraction.gf_correlation`): the circulant
  static assignment of the design, against the naive wrap-around one it replaced (written at
  runtime), and controls.
"""

import sys

from stochhw.sim.analyses.extraction.figures import (
    gf_png,
    histograms_png,
    lsb_png,
    mapping_png,
    nist_png,
    pixel_png,
)
from stochhw.sim.analyses.extraction.study import (
    MAPPING_BITS,
    NUMBER_BITS,
    PAPER_MAPPING,
    extraction_analysis,
    nist_stream,
)
from stochhw.sim.analyses.extraction.tables import markdown
from stochhw.sim.analyses.topic import print_outcome, report_folder
from stochhw.sim.core.reportkit import json_text, public, write_report

__all__ = ["REPORT_FILES", "NUMBER_BITS", "MAPPING_BITS", "PAPER_MAPPING", "extraction_analysis",
           "nist_stream", "markdown", "report_files", "run"]

#: The report's files, in the order they are written.
REPORT_FILES = ("extraction.md", "extraction.json", "histograms.png", "lsb_over_training.png",
                "nist.png", "mapping.png", "pixel.png", "gf_rounding.png")


def report_files(result):
    """Every file of :data:`REPORT_FILES`, rendered from an :func:`extraction_analysis` result."""
    return {"extraction.md": markdown(result), "extraction.json": json_text(public(result)),
            "histograms.png": histograms_png(result), "lsb_over_training.png": lsb_png(result),
            "nist.png": nist_png(result), "mapping.png": mapping_png(result),
            "pixel.png": pixel_png(result), "gf_rounding.png": gf_png(result)}


def run(args):
    """``stochhw analyze extraction``: the full study, or its smoke test with ``--quick``."""
    quick = dict(seeds=1, code_widths=(6,), epochs=3, nist_length=20_000, gf_cycles=4096)
    result = extraction_analysis(args.seed, **(quick if args.quick else {}), quick=args.quick,
                                 progress=None if args.json else sys.stderr)
    paths = write_report(report_folder(args), report_files(result))
    return print_outcome(args, public(result), markdown(result), paths)
