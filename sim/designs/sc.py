# amaranth: UnusedElaboratable=no
# (components built here only to read their signature are never elaborated, on purpose)
"""Registry entries and resource comparisons of the stochastic-computing datapath (sng, smtj, multipliers, counters, sigmoid, neuron).

:data:`DESIGNS` joins :data:`stochhw.sim.designs.REGISTRY`; :data:`COMPARISONS` joins
:data:`stochhw.sim.designs.COMPARISONS`.
"""

from stochhw.hw.lut_sigmoid import LUTSigmoid
from stochhw.hw.parallel_counter import ParallelCounter
from stochhw.hw.sc_mul import AndMul, XnorMul
from stochhw.hw.sc_neuron import SCNeuron
from stochhw.hw.smtj import SMTJ
from stochhw.hw.sng import SNG
from stochhw.models.lut_sigmoid import LUTSigmoidModel, LUTSigmoidSpec
from stochhw.models.parallel_counter import ParallelCounterModel, ParallelCounterSpec
from stochhw.models.sc_mul import AndMulModel, AndMulSpec, XnorMulModel, XnorMulSpec
from stochhw.models.sc_neuron import SCNeuronModel, SCNeuronSpec
from stochhw.models.smtj import SMTJModel, SMTJSpec
from stochhw.models.sng import SNGModel, SNGSpec
from stochhw.sim.core.comparison import Comparison, Side
from stochhw.sim.core.design import Design

__all__ = ["DESIGNS", "COMPARISONS"]

#: :class:`stochhw.sim.core.design.Design` entries of this topic.
DESIGNS = (
    Design(
        name="sng",
        summary="comparator stochastic number generators (unipolar/bipolar), LFSR, Sobol or entropy port",
        component=SNG, model=SNGModel,
        spec=SNGSpec,
        latency=lambda p: 1,
        lanes_param="lanes",
        lane_ports=("x", "entropy", "y"),
        regress_cases=(
            {"lanes": 4, "encoding": "unipolar"},
            {"lanes": 3, "bits": 5, "encoding": "bipolar", "source": "port"},
            {"lanes": 3, "bits": 6, "encoding": "bipolar", "source": "sobol", "seed": 5},
        ),
    ),
    Design(
        name="smtj",
        summary="s-MTJ emulator: bias code -> P(1) by a sigmoid table, optional telegraph memory",
        component=SMTJ, model=SMTJModel,
        spec=SMTJSpec,
        latency=lambda p: 1,
        lanes_param="lanes",
        lane_ports=("bias", "entropy", "y"),
        regress_cases=(
            {"lanes": 4, "levels": 11, "spacing": "calibrated", "seed": 3},
            {"lanes": 3, "levels": 5, "hold": 200, "source": "port"},
            {"lanes": 2, "levels": 4, "table": (250, 180, 40, 3), "hold": 96, "seed": 7},
        ),
    ),
    Design(
        name="xnor_mul",
        summary="bipolar SC multiplication: one XNOR per lane",
        component=XnorMul, model=XnorMulModel,
        spec=XnorMulSpec,
        latency=lambda p: 1,
        lanes_param="lanes",
        lane_ports=("a", "b", "y"),
        regress_cases=({"lanes": 4},),
    ),
    Design(
        name="and_mul",
        summary="unipolar SC multiplication: one AND per lane",
        component=AndMul, model=AndMulModel,
        spec=AndMulSpec,
        latency=lambda p: 1,
        lanes_param="lanes",
        lane_ports=("a", "b", "y"),
        regress_cases=({"lanes": 4},),
    ),
    Design(
        name="parallel_counter",
        summary="ones among n bits: exact adder tree or approximate (AND/OR first layer)",
        component=ParallelCounter, model=ParallelCounterModel,
        spec=ParallelCounterSpec,
        latency=lambda p: 1,
        lanes_param="n",
        lane_ports=("x",),
        regress_cases=(
            {"n": 16, "method": "exact"},
            {"n": 13, "method": "approx"},
        ),
    ),
    Design(
        name="lut_sigmoid",
        summary="quantized pre-activation -> quantized sigmoid state (table, or PLAN computed)",
        component=LUTSigmoid, model=LUTSigmoidModel,
        spec=LUTSigmoidSpec,
        latency=lambda p: 1,
        signed_ports=("s",),
        regress_cases=(
            {"levels": 5, "method": "lut"},
            {"levels": 11, "in_bits": 10, "in_frac": 6, "method": "plan"},
        ),
    ),
    Design(
        name="sc_neuron",
        summary="SC neuron: bitstreams, XNOR, parallel counter, L-cycle accumulation, sigmoid thresholds",
        component=SCNeuron, model=SCNeuronModel,
        spec=SCNeuronSpec,
        latency=lambda p: p["length"],
        lanes_param="n",
        lane_ports=("xq", "wq", "xs", "ws"),
        regress_cases=(
            {"n": 5, "levels": 5, "length": 7},
            {"n": 9, "levels": 11, "length": 4, "source": "port", "counter": "approx"},
        ),
    ),
)

#: XNOR + parallel counter (+ accumulator and sigmoid comparators) with streams on ports:
#: the exact adder tree against the approximate counter, at the paper's input-layer sizes.
SC_COUNTER_COMPARISON = Comparison(
    name="sc_counter",
    title="SC neuron datapath (XNOR + parallel counter + accumulator + sigmoid, L=256, QL=5): exact vs approximate counter",
    baseline=Side("exact adder tree", "sc_neuron", {"source": "port", "counter": "exact", "length": 256, "levels": 5}),
    candidate=Side("approximate counter", "sc_neuron", {"source": "port", "counter": "approx", "length": 256, "levels": 5}),
    sweep="n",
    values=(64, 256, 784),
)

#: The quantized sigmoid as a table against the same output states computed by PLAN.
SIGMOID_COMPARISON = Comparison(
    name="sc_sigmoid",
    title="Quantized sigmoid, 8-bit input (s in [-8, 8)): table vs PLAN computed, by output states QL",
    baseline=Side("lookup table", "lut_sigmoid", {"method": "lut", "in_bits": 8, "in_frac": 4}),
    candidate=Side("PLAN computed", "lut_sigmoid", {"method": "plan", "in_bits": 8, "in_frac": 4}),
    sweep="levels",
    values=(3, 5, 11, 21),
)

#: The whole neuron with CMOS bitstream generators (2N LFSR comparators) against the same neuron
#: fed with streams on ports, as s-MTJs would supply them: what the spintronic generators save.
SC_NEURON_COMPARISON = Comparison(
    name="sc_neuron",
    title="SC neuron (QL=5, L=256): 2N LFSR comparator generators inside vs bitstreams on ports (s-MTJ)",
    baseline=Side("LFSR generators", "sc_neuron", {"source": "lfsr", "counter": "exact", "length": 256, "levels": 5}),
    candidate=Side("streams on ports", "sc_neuron", {"source": "port", "counter": "exact", "length": 256, "levels": 5}),
    sweep="n",
    values=(64, 784),
)

#: :class:`stochhw.sim.core.comparison.Comparison` entries of this topic.
COMPARISONS = (SC_COUNTER_COMPARISON, SIGMOID_COMPARISON, SC_NEURON_COMPARISON)
