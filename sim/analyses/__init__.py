"""``stochhw analyze TOPIC``: analyses built on the golden models, one module per topic.

Every topic module has the same shape: it computes a JSON-ready result, writes its report
(if any) into ``--out`` through the report kit, and declares ``TOPIC``, a
:class:`stochhw.sim.analyses.topic.Topic` (name, help, options, run). They are gathered into
:data:`TOPICS`, in the order ``stochhw analyze --help`` lists them:

``bias``        stochastic-rounding bias of LFSR-fed units (:mod:`~stochhw.sim.analyses.bias`)
``randomness``  entropy, SRU bias and NIST SP 800-22 of one random source
``training``    low-precision training accuracy per rounding source
``extraction``  the paper's comparisons of extracted random numbers (``reports/randomness/``)
``faults``      low-voltage SRAM bit error rates and fault maps (``reports/faults/``)
``robustness``  RErr of quantized weights under bit errors (``reports/robustness/``)
``sc``          SC-ANN accuracy and SC multiplication error (``reports/sc/``)

May import :mod:`stochhw.sim.flows` and the layers below.
"""

from stochhw.sim.analyses import bias, extraction, faults, randomness, robustness, sc, training

__all__ = ["TOPICS"]

#: Every topic by name.
TOPICS = {m.TOPIC.name: m.TOPIC for m in (bias, randomness, training, extraction, faults,
                                           robustness, sc)}
