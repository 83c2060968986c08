"""``stochhw analyze TOPIC``: analyses built on the golden models, one module per topic.

Every topic has the same shape, in three parts:

**compute**
    A function of its arguments and seed alone that returns a JSON-ready ``dict`` (e.g.
    :func:`stochhw.sim.analyses.faults.fault_study`). Arrays that only the figures need sit
    under keys that start with ``_``; :func:`stochhw.sim.core.reportkit.public` drops them from
    the JSON.
**render**
    ``report_files(result)``: every file of the report, ``{name: str or bytes}``, made with the
    report kit (:mod:`stochhw.sim.core.reportkit`: tables, number formats, figures with fixed
    metadata, JSON with sorted keys), and ``markdown(result)`` (or a summary text) for the
    terminal. The same result gives the same bytes.
**run**
    ``run(args)``, the same three steps everywhere::

        def run(args):
            result = compute(seed=args.seed, ...)                                   # compute
            paths = write_report(report_folder(args), report_files(result))         # write
            return print_outcome(args, public(result), markdown(result), paths)     # print

The topics are declared below, in :data:`TOPICS`: name, help, options and the ``run`` that
runs them, named as ``"module:function"`` so that ``stochhw list`` does not import every
analysis (Matplotlib, scikit-learn) to build its parser; ``stochhw analyze NAME`` imports the
one module it runs. Every topic takes ``--json``, ``--seed`` and ``--out DIR``.

To add a topic: write ``sim/analyses/NAME.py`` in the shape above (a package ``NAME/`` when it
is long, as :mod:`~stochhw.sim.analyses.extraction` is), then add its :class:`Topic` to
:data:`TOPICS` with its options. To add a table to a report: a few lines of
:func:`stochhw.sim.core.reportkit.table` in that topic's ``markdown``; a figure: a function
that draws on :func:`~stochhw.sim.core.reportkit.figure` and returns
:func:`~stochhw.sim.core.reportkit.png_bytes`, listed in ``report_files``.

=============== ===================================================================================
``bias``        stochastic-rounding bias of LFSR-fed units (:mod:`~stochhw.sim.analyses.bias`;
                ``synth_reports/rounding_bias.md``)
``randomness``  entropy, SRU bias and NIST SP 800-22 of one random source
``training``    low-precision training accuracy per rounding source (``reports/training/``)
``extraction``  the paper's comparisons of extracted random numbers (``reports/randomness/``)
``generator-free``  closed-loop training on numbers extracted from the network being trained
                (``reports/generator_free/``)
``nist``        NIST SP 800-22 over many sequences per source, section 4.2 (``reports/nist/``)
``faults``      low-voltage SRAM bit error rates and fault maps (``reports/faults/``)
``robustness``  RErr of quantized weights under bit errors (``reports/robustness/``)
``robustness-energy``
                the energy trade-off over voltage, PattBET, RandBET in the small-network
                regime, NORMAL with truncation (``reports/robustness_energy/``)
``sc``          SC-ANN accuracy and SC multiplication error (``reports/sc/``)
=============== ===================================================================================

May import :mod:`stochhw.sim.flows` and the layers below.
"""

from stochhw.sim.analyses.topic import Topic, positive_int

__all__ = ["TOPICS"]


def _randomness(p):
    p.add_argument("--source", metavar="SRC",
                   help="lfsr:WIDTH[:SEED], pcg[:SEED], file:PATH, "
                        "weight|activation|error|gradient:LAYER (LAYER 0, 1 or all), or "
                        "pixel:DIST[:PARAMS] with DIST uniform, gauss[:SIGMA] (default 1/3) or "
                        "beta[:ALPHA:BETA] (default 2:2), e.g. pixel:beta:1:2")
    p.add_argument("--bits", type=int, metavar="N", help="bits per number (default 6)")
    p.add_argument("--length", type=positive_int, metavar="L", help="bits analysed (default 1000000)")
    p.add_argument("--method", default="direct", metavar="M",
                   help="extraction from tensor sources: direct (N low bits of one code, "
                        "default) or multi_lsb (the LSBs of N codes)")
    p.add_argument("--mapping", metavar="M0,M1,...",
                   help="permutation of 0..2^N-1 applied to every number, e.g. 3,1,2,7,4,6,5,0")


def _training(p):
    p.add_argument("--quick", action="store_true", help="2 seeds, 3 epochs (a smoke test)")


def _extraction(p):
    p.add_argument("--quick", action="store_true",
                   help="1 seed, 6-bit codes only, 3 epochs, short NIST streams (a smoke test)")


def _generator_free(p):
    p.add_argument("--quick", action="store_true", help="2 seeds, 2 epochs (a smoke test)")
    p.add_argument("-j", "--jobs", type=positive_int, default=1,
                   help="parallel trainings (default 1: this process)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the trainings on this Dask distributed scheduler")


def _nist(p):
    p.add_argument("--quick", action="store_true",
                   help="60 sequences of 20,000 bits per source (a smoke test)")


def _faults(p):
    p.add_argument("--chips", type=positive_int, default=8,
                   help="chips for the spread of the fault rate (default 8, at least 2)")
    p.add_argument("--p", type=float, metavar="P", help="rate of the pictured fault maps "
                                                        "(default 0.01)")
    p.add_argument("--level", type=int, metavar="N",
                   help="level of the pictured fault maps, 0..4095")


def _robustness(p):
    p.add_argument("--quick", action="store_true",
                   help="tiny network, two widths, 5 chips (a smoke test)")
    p.add_argument("--chips", type=positive_int, metavar="N",
                   help="chips per bit error rate (default 50; 5 with --quick)")


def _robustness_energy(p):
    p.add_argument("--quick", action="store_true",
                   help="tiny network, 2 runs, 3 chips, few rates (a smoke test)")
    p.add_argument("--chips", type=positive_int, metavar="N",
                   help="chips per bit error rate (default 25; 3 with --quick)")
    p.add_argument("-j", "--jobs", type=positive_int, default=1,
                   help="parallel trainings (default 1: this process)")


def _sc(p):
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 2 epochs on a few hundred samples, L = 100 only (seconds)")
    p.add_argument("--mnist", metavar="DIR",
                   help="use the MNIST IDX files in DIR (train-images-idx3-ubyte, ...; .gz too) "
                        "with the paper's topologies")
    p.add_argument("-j", "--jobs", type=positive_int, default=1,
                   help="parallel trainings (default 1: this process)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the trainings on this Dask distributed scheduler")


def _none(p):
    """No options beyond ``--json``, ``--seed`` and ``--out``."""


#: Every topic by name, in the order ``stochhw analyze --help`` lists them.
TOPICS = {t.name: t for t in (
    Topic("bias", "stochastic-rounding bias of LFSR-fed units over a full period",
          _none, "stochhw.sim.analyses.bias:run"),
    Topic("randomness", "entropy, rounding bias and NIST SP 800-22 of one random source",
          _randomness, "stochhw.sim.analyses.randomness:run"),
    Topic("training", "low-precision training accuracy per rounding source",
          _training, "stochhw.sim.analyses.training:run", "reports/training"),
    Topic("extraction", "random numbers extracted from training tensors and pixels, "
          "gf_rounding's self-correlation (the paper's comparisons)",
          _extraction, "stochhw.sim.analyses.extraction:run", "reports/randomness"),
    Topic("generator-free", "closed-loop training on numbers extracted from the network "
          "itself (the paper's Tables 1, 2, 5, A1)",
          _generator_free, "stochhw.sim.analyses.generator_free:run", "reports/generator_free"),
    Topic("nist", "NIST SP 800-22 over 100 sequences per source, as its section 4.2 applies it",
          _nist, "stochhw.sim.analyses.nist:run", "reports/nist"),
    Topic("faults", "low-voltage SRAM: BER against level and voltage, subset check, fault maps",
          _faults, "stochhw.sim.analyses.faults:run", "reports/faults"),
    Topic("robustness", "bit error robustness of quantized weights: RErr tables and plots",
          _robustness, "stochhw.sim.analyses.robustness:run", "reports/robustness"),
    Topic("robustness-energy", "bit error robustness: lowest voltage and energy saved per method, "
          "PattBET, small-network RandBET, NORMAL with truncation",
          _robustness_energy, "stochhw.sim.analyses.robustness_energy:run",
          "reports/robustness_energy"),
    Topic("sc", "quantized SC-ANN accuracy (Method 1/2, QL, L, depth) and SC multiplication error",
          _sc, "stochhw.sim.analyses.sc:run", "reports/sc"),
)}
