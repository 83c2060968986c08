"""``sc_neuron`` RTL against its model on a digits-sized input layer (N = 64, 8x8 digits).

The 8x8 digits of scikit-learn (bundled, nothing downloaded) are the inputs of one neuron of an
input layer: pixel ``0 .. 16`` -> ``2 p / 16 - 1`` in [-1, 1] -> QL state (Eq. 3), held on the
``xq`` port for one frame of L cycles per image; the weights are a fixed quantized vector,
scaled so that the pre-activations of the images spread over the sigmoid's transition and the
output takes several states. The generated Verilog (internal LFSR comparator generators, exact
counter, threshold sigmoid) runs on Icarus and Verilator through :func:`stochhw.sim.flows.cosim.run_cosim`
in per-cycle mode with this stimulus (the bulk harness only makes seeded random stimulus), which
compares every output on every cycle with the golden model. The test then checks the output
state of every image explicitly.
"""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from stochhw.models.sc_quant import quantize_index
from stochhw.sim.designs import get_design
from stochhw.sim.flows.cosim import SIMULATORS, run_cosim

pytestmark = pytest.mark.simulator_required

N, LEVELS, LENGTH, IMAGES = 64, 11, 64, 24
PARAMS = {"n": N, "levels": LEVELS, "length": LENGTH, "source": "lfsr", "counter": "exact", "seed": 2026}


def _digits_stimulus():
    """Stimulus arrays and the index of the last cycle of every image's frame."""
    digits = load_digits()
    images = digits.data[:IMAGES] / 16.0 * 2.0 - 1.0                 # (IMAGES, 64) in [-1, 1]
    xq = quantize_index(images, LEVELS)
    # A weight vector whose pre-activations spread over about +-3 on these images: the
    # difference of two class means (a crude "is it a 0 rather than a 1" detector), scaled.
    rng = np.random.default_rng(5)
    mean0 = digits.data[digits.target == 0].mean(axis=0)
    mean1 = digits.data[digits.target == 1].mean(axis=0)
    direction = (mean0 - mean1) / 16.0 + 0.05 * rng.standard_normal(N)
    s = (images @ direction)
    w = direction * 3.0 / np.abs(s).max()
    wq = quantize_index(w, LEVELS)
    # Cycle 0 is a reset; then one frame of LENGTH cycles per image, codes held for the frame,
    # and one more cycle in which the last image's state shows.
    cycles = 2 + IMAGES * LENGTH
    stim = {
        "rst": np.zeros((cycles, 1), dtype=np.uint64),
        "xq": np.zeros((cycles, N), dtype=np.uint64),
        "wq": np.tile(wq.astype(np.uint64), (cycles, 1)),
    }
    stim["rst"][0] = 1
    stim["xq"][1:-1] = np.repeat(xq.astype(np.uint64), LENGTH, axis=0)
    frame_ends = 1 + np.arange(1, IMAGES + 1) * LENGTH - 1
    return stim, frame_ends


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_sc_neuron_rtl_gives_the_model_output_state_for_every_digit(simulator):
    stim, frame_ends = _digits_stimulus()
    design = get_design("sc_neuron")
    expected = design.golden(design.resolve(PARAMS)).run(stim)
    # The reset in cycle 0 shifts frames by one: frame k ends in cycle frame_ends[k] and its
    # state is visible (valid = 1) one cycle later.
    shown = frame_ends + 1
    assert np.all(expected["valid"][shown, 0] == 1) and expected["valid"].sum() == IMAGES
    result = run_cosim("sc_neuron", PARAMS, simulator, mode="percycle", stimulus=stim, seed=0)
    # run_cosim has compared every output in every cycle; the states per image, explicitly:
    states_rtl = result.actual["y"][shown, 0]
    states_model = expected["y"][shown, 0]
    np.testing.assert_array_equal(states_rtl, states_model)
    np.testing.assert_array_equal(result.actual["valid"][:, 0], expected["valid"][:, 0])
    # Not a trivial test: the images drive the neuron into several of its 6 output states.
    assert len(set(states_model.tolist())) >= 3, states_model


def test_a_neuron_model_with_other_generator_seeds_is_caught():
    """The comparison has teeth: a model whose 128 generators start elsewhere disagrees."""
    from stochhw.testbench.check import Mismatch
    stim, _ = _digits_stimulus()
    design = get_design("sc_neuron")
    wrong = design.golden(design.resolve({**PARAMS, "seed": PARAMS["seed"] + 1}))
    with pytest.raises(Mismatch, match=r"cycle \d+, lane 0: y expected"):
        run_cosim("sc_neuron", PARAMS, "icarus", mode="percycle", stimulus=stim, seed=0, model=wrong)
