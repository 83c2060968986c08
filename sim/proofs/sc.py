"""Formal properties of the stochastic-computing datapath (sng, smtj, xnor_mul, and_mul, parallel_counter, lut_sigmoid, sc_neuron).

:data:`PROOFS` joins :data:`stochhw.sim.proofs.PROOFS` (run by ``stochhw prove`` and ``make prove``).
Add one :class:`stochhw.sim.flows.formal.Proof` per property of a design registered in
:mod:`stochhw.sim.designs.sc`: the design name, a claim in words, small parameter ``cases`` and a
``check(bench)`` function that states the property with ``bench.assert_`` on
``bench.dut`` (whose inputs are free) and ``bench.past``/``bench.valid`` for registered
outputs; :mod:`stochhw.sim.proofs` holds examples, :mod:`stochhw.sim.flows.formal` the helpers (``registered``,
``rounding_spec``, ``popcount``, ``lanes``). Import from ``stochhw.sim.flows.formal`` and ``models`` only
(not from ``stochhw.sim.proofs``, which imports this module).

The reference side is written from the models' documented rules: a plain chain of additions
for the count (not the hardware's adder tree), the AND/OR pairing of
:mod:`stochhw.models.parallel_counter` for the approximate count, and the golden model's table of every
input code for the sigmoid.
"""

from amaranth import Array, Const, Mux, Signal

from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import galois_mask
from stochhw.models.lut_sigmoid import LUTSigmoidSpec
from stochhw.models.parallel_counter import approx_error_bounds
from stochhw.models.sc_neuron import SCNeuronSpec, neuron_sigmoid
from stochhw.models.sc_stream import padded_table
from stochhw.models.seeds import lane_seeds
from stochhw.models.smtj import HOLD_BITS, SMTJSpec
from stochhw.sim.flows.formal import Proof, lanes, popcount, registered

__all__ = ["PROOFS"]


def _counter_bits(bench):
    x = bench.past(bench.dut.x)
    return [x[i] for i in range(bench.params["n"])]


def _exact_is_popcount(bench):
    dut = bench.dut
    registered(bench, dut.count, dut.count == popcount(_counter_bits(bench)))


def _approx_follows_its_error_model(bench):
    dut, n = bench.dut, bench.params["n"]
    bits = _counter_bits(bench)
    gates = [bits[2 * j] & bits[2 * j + 1] if j % 2 == 0 else bits[2 * j] | bits[2 * j + 1]
             for j in range(n // 2)]
    formula = 2 * popcount(gates) + (bits[-1] if n % 2 else 0)
    lowest, highest = approx_error_bounds(n)
    error = dut.count - popcount(bits)              # unsigned - unsigned: a signed result
    registered(bench, dut.count, (dut.count == formula) & (error >= lowest) & (error <= highest))


def _sigmoid_is_the_table(bench):
    dut = bench.dut
    table = LUTSigmoidSpec(**bench.params).table
    width = len(dut.y)
    reference = Array(Const(int(v), width) for v in table)[bench.past(dut.s).as_unsigned()]
    registered(bench, dut.y, dut.y == reference)


def _galois_next(state, mask):
    """The Galois step as :mod:`stochhw.models.lfsr` documents it: ``(s >> 1) ^ (mask if s & 1)``."""
    return Mux(state[0], (state >> 1) ^ mask, state >> 1)


def _products(bench, op):
    dut = bench.dut
    a, b = bench.past(dut.a), bench.past(dut.b)
    # Written as a sum of products, not as the hardware's ~(a ^ b).
    expected = (a & b) | (~a & ~b) if op == "xnor" else a & b
    registered(bench, dut.y, dut.y == expected)


def _sng_compares(bench):
    p, dut = bench.params, bench.dut
    bits, half = p["bits"], 1 << (p["bits"] - 1)
    codes = lanes(bench.past(dut.x), p["lanes"], bits)
    if p["source"] == "port":
        randoms = lanes(bench.past(dut.entropy), p["lanes"], bits)
    else:
        # Reference LFSRs stepped `bits` times per cycle by the documented Galois rule.
        mask = galois_mask(MAXIMAL_TAPS[p["lfsr_width"]])
        randoms = []
        for i, seed in enumerate(lane_seeds(p["seed"], p["lanes"], p["lfsr_width"])):
            ref = Signal(p["lfsr_width"], init=seed, name=f"ref_lfsr{i}")
            state = ref
            for _ in range(bits):
                state = _galois_next(state, mask)
            bench.m.d.sync += ref.eq(state)
            randoms.append(bench.past(ref[:bits]))
    for i, (code, rnd) in enumerate(zip(codes, randoms)):
        # Bipolar: the signed value plus 2^(bits-1), i.e. P(1) = (1 + v) / 2.
        threshold = code.as_signed() + half if p["encoding"] == "bipolar" else code
        registered(bench, dut.y[i], dut.y[i] == (rnd < threshold))


def _smtj_telegraph(bench):
    p, dut = bench.params, bench.dut
    spec = SMTJSpec(**p)
    table = Array(Const(int(t), spec.bits + 1) for t in padded_table(spec.thresholds, spec.code_width))
    biases = lanes(bench.past(dut.bias), spec.lanes, spec.code_width)
    entropy = lanes(bench.past(dut.entropy), spec.lanes, spec.entropy_width)
    previous = bench.past(dut.y)
    for i in range(spec.lanes):
        fresh = entropy[i][:spec.bits] < table[biases[i]]
        keep = entropy[i][spec.bits:spec.bits + HOLD_BITS] < spec.hold if spec.hold else Const(0)
        registered(bench, dut.y[i], dut.y[i] == Mux(keep, previous[i], fresh))


def _neuron_outputs_sigmoid_states(bench):
    p, dut = bench.params, bench.dut
    spec = SCNeuronSpec(**p)
    table = neuron_sigmoid(range(spec.n * spec.length + 1), spec.n, spec.length, spec.levels)
    low, high = int(table.min()), int(table.max())
    bench.assert_((dut.y == 0) | ((dut.y >= low) & (dut.y <= high)))
    previous = bench.past(dut.y)
    with bench.m.If(bench.valid & (dut.y != previous)):
        bench.assert_(dut.valid)


#: :class:`stochhw.sim.flows.formal.Proof` entries of this topic.
PROOFS = (
    Proof("sng", "compares_port",
          "source=port: every lane's y is (entropy < x) unipolar, (entropy < x + 2^(bits-1)) "
          "bipolar with x signed, of the previous cycle, for all inputs; 0 after reset",
          _sng_compares,
          cases=({"lanes": 3, "bits": 5, "encoding": "bipolar", "source": "port"},
                 {"lanes": 2, "bits": 4, "encoding": "unipolar", "source": "port"})),
    Proof("sng", "compares_lfsr",
          "source=lfsr: every lane compares x with the low bits of its own LFSR, seeded with "
          "stochhw.models.seeds.lane_seeds and stepped `bits` times per cycle by the Galois rule. "
          "Bounded check of 10 cycles: the 3-bit LFSRs have period 7 and every other register "
          "holds last cycle's inputs, so every reachable state is reached within 8 cycles",
          _sng_compares, mode="bmc", depth=10,
          cases=({"lanes": 2, "bits": 2, "lfsr_width": 3, "seed": 5},)),
    Proof("smtj", "telegraph_port",
          "source=port: y keeps its previous value when the keep number k < hold and otherwise "
          "loads (r < table[bias]) of the previous cycle, with the model's (padded) bias table, "
          "for all inputs; 0 after reset",
          _smtj_telegraph,
          cases=({"lanes": 2, "levels": 4, "table": (250, 180, 40, 3), "hold": 96, "source": "port"},
                 {"lanes": 1, "levels": 5, "bits": 6, "source": "port"})),
    Proof("xnor_mul", "multiplies",
          "y is a XNOR b of the previous cycle, lane by lane; 0 after reset",
          lambda bench: _products(bench, "xnor"), cases=({"lanes": 4},)),
    Proof("and_mul", "multiplies",
          "y is a AND b of the previous cycle, lane by lane; 0 after reset",
          lambda bench: _products(bench, "and"), cases=({"lanes": 4},)),
    Proof("sc_neuron", "sigmoid_states",
          "y is always 0 (reset) or one of the quantized sigmoid's states, and it changes only "
          "in a cycle in which valid announces a new frame's result, for all input streams",
          _neuron_outputs_sigmoid_states,
          cases=({"n": 3, "length": 3, "levels": 5, "source": "port"},
                 {"n": 4, "length": 2, "levels": 11, "source": "port", "counter": "approx"})),
    Proof("parallel_counter", "exact_is_popcount",
          "method=exact: count is the number of ones of the previous cycle's x, for every x "
          "(a plain chain of additions as reference, not the adder tree); 0 after reset",
          _exact_is_popcount,
          cases=({"n": 16, "method": "exact"}, {"n": 13, "method": "exact"}, {"n": 1, "method": "exact"})),
    Proof("parallel_counter", "approx_error_model",
          "method=approx: count = 2 * (number of true AND/OR pair gates) + the unpaired bit, "
          "and count - popcount(x) lies in [-ceil(P/2), floor(P/2)] (P = n // 2 pairs), for "
          "every x",
          _approx_follows_its_error_model,
          cases=({"n": 16, "method": "approx"}, {"n": 13, "method": "approx"}, {"n": 3, "method": "approx"})),
    Proof("lut_sigmoid", "is_the_table",
          "y is the golden model's quantized-sigmoid state (Eq. 1-3 table, or the PLAN "
          "arithmetic) of the previous cycle's s, for every input code; 0 after reset",
          _sigmoid_is_the_table,
          cases=({"levels": 5, "method": "lut"}, {"levels": 11, "method": "lut"},
                 {"levels": 11, "method": "plan"},
                 {"levels": 5, "in_bits": 10, "in_frac": 6, "method": "plan"})),
)
