"""Golden model of ``sc_neuron``: one stochastic-computing neuron of the paper's SC-ANN.

N inputs ``x_i`` and weights ``w_i``, each one of QL states ``v_q = -1 + 2 q / (QL - 1)``
(:func:`stochhw.models.sc_quant.level_values`), travel as bipolar bitstreams (``P(1) = (1 + v) / 2``)
for L cycles (a *frame*). Per cycle::

    p_i[t] = x_i[t] XNOR w_i[t]                   bipolar products
    c[t]   = parallel count of p_0 .. p_(N-1)     exact or approximate (stochhw.models.parallel_counter)
    acc    = sum of c over the frame              0 .. N L

At the end of each frame the pre-activation estimate ``s = (2 acc - N L) / L`` (E[s] =
sum_i x_i w_i for independent streams) goes through the quantized sigmoid of the paper,
``y = index of quantize(sigmoid(s), QL)`` (:func:`stochhw.models.lut_sigmoid.sigmoid_index`), which
has 3 (QL = 5) or 6 (QL = 11) distinct states.

Bitstreams either come in on ports (``source="port"``: ``xs``, ``ws``, one bit per input per
cycle, e.g. from s-MTJs) or are generated inside (``source="lfsr"``) from state codes ``x``,
``w`` (``0 .. QL-1``; larger codes saturate) by 2N comparator generators
(:mod:`stochhw.models.sc_stream`): threshold ``T_q = round_half_up(2^bits (1 + v_q) / 2)``, so the
extreme states are exact all-zero / all-one streams; generator ``i`` (x) and ``N + i`` (w) are
seeded with ``lane_seeds(seed, 2N, lfsr_width)``, all distinct.

Timing. A frame counter runs 0 .. L-1 from reset. In the frame's last cycle the accumulated
count, including that cycle's count, is converted and loaded into ``y``, ``valid`` is set for
one cycle and ``acc`` restarts at 0. So the output of a frame whose first cycle is ``t0`` is
visible from cycle ``t0 + L`` (latency: L cycles from the first input of a frame, 1 cycle from
its last) and holds until the next frame's output. Reset clears the counter, ``acc``, ``y``
(state 0) and ``valid``, and reloads the LFSRs. Codes or streams must be held for a frame
to mean one neuron evaluation; the model follows whatever the ports carry, cycle by cycle.

In hardware the sigmoid is not a table of N L + 1 entries: the quantized sigmoid is monotone in
``acc`` with a handful of states, so it is the if/elif chain of its change points
(:func:`sigmoid_thresholds`, found by bisection; :func:`stochhw.models.lut_sigmoid.threshold_form`
and the tests prove it equal to the table).
"""

import dataclasses
import functools

import numpy as np

from stochhw.models.clocked import check_lanes, register, register_enabled, steps_since_reset
from stochhw.models.lut_sigmoid import sigmoid_index
from stochhw.models.parallel_counter import METHODS as COUNTERS
from stochhw.models.parallel_counter import approx_count, exact_count
from stochhw.models.sc_quant import level_values
from stochhw.models.sc_stream import (
    Generators,
    bits_param,
    check_lfsr_width,
    code_width,
    compare,
    lfsr_randoms,
    lfsr_width_param,
    padded_table,
    probability_thresholds,
    seed_param,
    source_param,
)
from stochhw.models.spec import Spec, Specified, param, spec_from

__all__ = ["MAX_N", "MAX_LENGTH", "level_thresholds", "pre_activation", "neuron_sigmoid",
           "sigmoid_thresholds", "SCNeuronSpec", "SCNeuronModel"]

MAX_N = 4096
MAX_LENGTH = 65535
MAX_LEVELS = 256


def level_thresholds(levels, bits):
    """Comparator threshold of each state code: ``round_half_up(2^bits (1 + v_q) / 2)``."""
    return probability_thresholds((level_values(levels) + 1.0) / 2.0, bits)


def pre_activation(acc, n, length):
    """The estimate ``s = (2 acc - N L) / L`` of ``sum_i x_i w_i`` from an accumulated count."""
    return (2.0 * np.asarray(acc, dtype=np.float64) - n * length) / length


def neuron_sigmoid(acc, n, length, levels):
    """Output state of accumulated counts ``acc``: the table the hardware implements."""
    return sigmoid_index(pre_activation(acc, n, length), levels)


def sigmoid_thresholds(n, length, levels):
    """Change points of :func:`neuron_sigmoid` over ``acc = 0 .. N L``, by bisection.

    Returns ``(base, steps)`` in the form of :func:`stochhw.models.lut_sigmoid.threshold_form`.
    """
    top = n * length
    f = lambda a: int(neuron_sigmoid(a, n, length, levels))
    base, last = f(0), f(top)
    steps = []
    for state in range(base + 1, last + 1):
        lo, hi = 0, top                       # smallest acc with f(acc) >= state: f(hi) >= state
        while lo < hi:
            mid = (lo + hi) // 2
            if f(mid) >= state:
                hi = mid
            else:
                lo = mid + 1
        value = f(lo)
        if not steps or steps[-1][0] != lo:
            steps.append((lo, value))
    return base, steps


@dataclasses.dataclass(frozen=True, kw_only=True)
class SCNeuronSpec(Generators, Spec):
    """Parameters of ``sc_neuron`` (:class:`stochhw.hw.sc_neuron.SCNeuron`, :class:`SCNeuronModel`)."""
    n: int = param(8, "N inputs", lo=1, hi=MAX_N)
    levels: int = param(5, "QL states of inputs, weights and output", lo=2, hi=MAX_LEVELS)
    length: int = param(100, "L, bitstream length in cycles", lo=1, hi=MAX_LENGTH)
    source: str = source_param("lfsr: state codes on xq/wq, 2N LFSR comparators inside; "
                               "port: streams on xs/ws")
    counter: str = param("exact", "parallel counter", choices=COUNTERS)
    bits: int = bits_param("generator comparator width")
    seed: int = seed_param()
    lfsr_width: int = lfsr_width_param()

    def validate(self):
        check_lfsr_width(self.lfsr_width, self.bits)
        self.seeds                    # refuses more generators than distinct seeds

    @property
    def code_width(self):
        """Bits of a state code (``xq``, ``wq``, ``y``)."""
        return code_width(self.levels)

    @property
    def acc_width(self):
        """Bits of the frame accumulator (0 .. N L)."""
        return (self.n * self.length).bit_length()

    @functools.cached_property
    def thresholds(self):
        """Comparator threshold of every state code (:func:`level_thresholds`)."""
        return tuple(int(t) for t in level_thresholds(self.levels, self.bits))

    @functools.cached_property
    def sigmoid_steps(self):
        """``(base, steps)``: the quantized sigmoid over ``acc = 0 .. N L`` as change points
        (:func:`sigmoid_thresholds`), the comparator chain of the hardware."""
        return sigmoid_thresholds(self.n, self.length, self.levels)

    @property
    def generators(self):
        """LFSRs (``source="lfsr"``): inputs 0..N-1 (``seeds[:n]``), then weights (``seeds[n:]``)."""
        return 2 * self.n


class SCNeuronModel(Specified):
    """Model of :class:`stochhw.hw.sc_neuron.SCNeuron` (see the module docstring).

    Parameters
    ----------
    spec : SCNeuronSpec, optional
        Or its fields as keyword arguments (``n``, ``levels``, ``length``, ``source``,
        ``counter``, ``bits``, ``seed``, ``lfsr_width``).

    Ports (stimulus / result keys)
    ------------------------------
    xq, wq : in, N lanes x ``code_width(QL)`` (source lfsr)
    xs, ws : in, N lanes x 1 (source port)
    y : out, ``code_width(QL)`` bits: output state, updated at each frame end
    valid : out, 1 bit: high in the cycle after a frame end (when ``y`` is new)
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(SCNeuronSpec, spec, params)

    def streams(self, stim, state=None):
        """``(xs, ws)``: the input and weight bits of every cycle, shape (cycles, N)."""
        if self.source == "port":
            return stim["xs"], stim["ws"]
        rst = stim["rst"][:, 0]
        table = padded_table(self.thresholds, self.code_width)
        out = []
        for name, seeds in (("xq", self.seeds[:self.n]), ("wq", self.seeds[self.n:])):
            rnd = lfsr_randoms(rst, seeds, self.lfsr_width, self.bits, state=state, key=f"{name}_steps")
            out.append(compare(rnd, table[stim[name].astype(np.intp)]))
        return tuple(out)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        ports = ("xs", "ws") if self.source == "port" else ("xq", "wq")
        check_lanes(stim, {name: self.n for name in ports}, "sc_neuron")
        rst = stim["rst"][:, 0].astype(bool)
        xs, ws = self.streams(stim, state)
        products = ~(xs ^ ws) & np.uint64(1)
        counts = (exact_count if self.counter == "exact" else approx_count)(products)
        position = steps_since_reset(np.ones(rst.shape, dtype=bool), rst, state=state,
                                     key="frame_cycles") % self.length
        # Running count within each frame, the current cycle's count included: frames start
        # where position == 0, so subtract the cumulative sum up to the frame's start. Rows
        # of a frame that began in an earlier chunk add the count it had reached there.
        cumulative = np.cumsum(counts)
        starts = np.maximum.accumulate(np.where(position == 0, np.arange(rst.size), -1))
        begun = starts >= 0
        first = np.maximum(starts, 0)
        carried = 0 if state is None else state.get("frame_count", 0)
        total = np.where(begun, cumulative - cumulative[first] + counts[first], cumulative + carried)
        if state is not None:
            state["frame_count"] = int(total[-1])
        end = (position == self.length - 1) & ~rst
        # The sigmoid of each distinct count once: far fewer values than cycles.
        values, inverse = np.unique(total, return_inverse=True)
        level = neuron_sigmoid(values, self.n, self.length, self.levels).astype(np.uint64)[inverse]
        return {"y": register_enabled(end, level[:, None], rst, state=state, key="y"),
                "valid": register(end.astype(np.uint64)[:, None], rst, state=state, key="valid")}
