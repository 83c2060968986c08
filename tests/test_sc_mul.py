"""xnor_mul and and_mul: truth tables, the products they estimate, registration, errors."""

import math

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.sc_mul import AndMulModel, XnorMulModel, sc_product
from stochhw.sim.designs import get_design


def test_truth_tables():
    a = np.array([0, 0, 1, 1])
    b = np.array([0, 1, 0, 1])
    assert sc_product(a, b, "xnor").tolist() == [1, 0, 0, 1]
    assert sc_product(a, b, "and").tolist() == [0, 0, 0, 1]


def test_outputs_are_registered_and_reset_clears_them():
    stim = {"a": np.array([[1, 0], [1, 1], [0, 0]], dtype=np.uint64),
            "b": np.array([[1, 1], [1, 0], [0, 0]], dtype=np.uint64),
            "rst": np.array([[0], [1], [0]], dtype=np.uint64)}
    assert XnorMulModel(lanes=2).run(stim)["y"].tolist() == [[0, 0], [1, 0], [0, 0]]
    assert AndMulModel(lanes=2).run(stim)["y"].tolist() == [[0, 0], [1, 0], [0, 0]]


@pytest.mark.parametrize("pa,pb", [(0.9, 0.2), (0.5, 0.5), (0.3, 0.75)])
def test_independent_streams_multiply_their_values(pa, pb):
    rng = np.random.default_rng(int(pa * 100 + pb * 10))
    n = 200_000
    a = (rng.random(n) < pa).astype(np.uint64)
    b = (rng.random(n) < pb).astype(np.uint64)
    unipolar = sc_product(a, b, "and").mean()
    bipolar = 2 * sc_product(a, b, "xnor").mean() - 1
    va, vb = 2 * pa - 1, 2 * pb - 1
    assert abs(unipolar - pa * pb) < 5 * math.sqrt(pa * pb * (1 - pa * pb) / n)
    # The bipolar estimate 2 P - 1 has standard error sqrt(1 - z^2) / sqrt(n), z = va vb.
    assert abs(bipolar - va * vb) < 5 * math.sqrt((1 - (va * vb) ** 2) / n)


def test_a_stream_multiplied_by_itself_is_the_correlation_failure():
    a = (np.random.default_rng(3).random(1000) < 0.3).astype(np.uint64)
    assert sc_product(a, a, "xnor").mean() == 1.0          # not v^2 = 0.16
    assert sc_product(a, a, "and").mean() == a.mean()      # not p^2


@pytest.mark.parametrize("name", ["xnor_mul", "and_mul"])
@pytest.mark.parametrize("lanes", [0, 4097])
def test_bad_lanes_name_the_parameter(name, lanes):
    with pytest.raises(ParameterError, match=r"^lanes must be in 1\.\.4096"):
        get_design(name).resolve({"lanes": lanes})
