"""What drives and checks a device under test, shared by every design: the seeded stimulus,
the bulk co-simulation harness, lane-major bus packing, the model comparison, the Amaranth
simulator path and the cocotb test module that runs inside Icarus and Verilator.

The names a user's own cocotb test needs are here (README, "Your own cocotb test")::

    from stochhw.testbench import compare_outputs, make_stimulus, pack, unpack

* :func:`make_stimulus` -- seeded directed + random stimulus with resets, for any design's
  ports, as ``(cycles, lanes)`` arrays (a whole run or any chunk of one);
* :func:`pack` / :func:`unpack` -- lane arrays to the flat bus integers a cocotb handle takes
  and back (lane i in bits ``[i*w, (i+1)*w)``);
* :func:`compare_outputs` -- bit-for-bit comparison with a golden model; raises
  :class:`Mismatch` naming the cycle, lane, inputs, expected and actual values and the seed.

The golden models are ``get_design(name).golden(params)`` (:mod:`stochhw.sim.designs`) or
the classes of :mod:`stochhw.models`; ``model.run(stim)`` gives the expected outputs.

May import :mod:`stochhw.models` and :mod:`stochhw.hw`; nothing of :mod:`stochhw.sim`.
"""

from stochhw.testbench.bus import from_words, pack, to_words, unpack
from stochhw.testbench.check import Mismatch, compare_outputs
from stochhw.testbench.stimuli import extremes, make_stimulus, reset_cycles

__all__ = ["make_stimulus", "extremes", "reset_cycles", "pack", "unpack", "to_words", "from_words",
           "compare_outputs", "Mismatch"]
