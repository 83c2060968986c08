"""Tests for stochhw.models.ml.closed_loop: generator-free training fed by its own tensors.

The closed-loop sources must round exactly as the hardware would: every rounding is compared
bit for bit with the ``gf_rounding`` model (``source_bus="port"`` fed by the source memory,
``source_bus="x"`` for the values' own bits), and the memory a step reads is checked against
the codes the previous step recorded.
"""

import math

import numpy as np
import pytest

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError
from stochhw.models.extractor import GFRoundingModel, extract_stream, stream_sources
from stochhw.models.ml.closed_loop import (
    ClosedLoop,
    ExtractedSource,
    OwnValuesSource,
    layer_index,
    mapping_table,
)
from stochhw.models.ml.digits import TEST_SAMPLES
from stochhw.models.ml.training import TrainingConfig, quantize, train
from stochhw.models.stats.mapping import even_middle_mapping, paper_mapping

SHORT = dict(epochs=2, hidden=(16, 16))


def _codes(n, seed):
    return np.random.default_rng(seed).integers(-127, 128, n).astype(np.int8)


@pytest.mark.parametrize("method", ["multi_lsb", "direct"])
@pytest.mark.parametrize("mapping", [None, "even_middle"])
def test_numbers_are_the_extractor_on_the_previous_steps_codes(method, mapping):
    bits, lanes = 5, 4
    table = None if mapping is None else even_middle_mapping(bits)
    source = ExtractedSource(bits, kind="error", layer=1, code_bits=7, method=method,
                             lanes=lanes, seed=9, mapping=table)
    words = stream_sources(method, lanes, bits)
    # Step 0: nothing observed yet, the memory reads zeros: every number is mapping[0].
    source.start_step(0)
    first = source.numbers_for(np.zeros(10))
    assert first.tolist() == [0 if table is None else table[0]] * 10
    memory = _codes(53, 1)                   # 53 words: not a multiple of any cycle
    source.observe("error", 1, memory)
    source.observe("error", 0, _codes(53, 2))       # another layer: ignored
    source.observe("gradient", 1, _codes(53, 3))    # another kind: ignored
    source.start_step(1)
    source.observe("error", 1, _codes(53, 4))       # this step's codes: for step 2
    got = [source.numbers_for(np.zeros(n)) for n in (10, 7, 30)]
    # Independently: the memory read round and round, cut into cycles of `words` words; each
    # rounding starts on a fresh cycle (10 numbers take 3 cycles of 4 lanes, then 2, then 8).
    stream = np.resize(memory, (3 + 2 + 8) * words)
    expected = extract_stream(stream, bits=bits, method=method, lanes=lanes, seed=9,
                              mapping=table, src_width=7).astype(np.int64)
    np.testing.assert_array_equal(got[0], expected[:10])
    np.testing.assert_array_equal(got[1], expected[12:19])
    np.testing.assert_array_equal(got[2], expected[20:50])
    assert source.drawn == 57 and source.histogram.sum() == 57
    # Step 0's reads of the reset memory do not count: 13 cycles over one 53-word tensor.
    assert source.passes_per_step == pytest.approx(13 * words / 53)


@pytest.mark.parametrize("method", ["multi_lsb", "direct"])
def test_rounding_is_bit_exact_with_gf_rounding_fed_by_the_memory(method):
    code_bits, k, lanes = 8, 6, 16
    source = ExtractedSource(k, kind="gradient", layer=0, code_bits=code_bits, method=method,
                             lanes=lanes, seed=5, mapping=paper_mapping(k))
    memory = _codes(700, 6)
    source.observe("gradient", 0, memory)
    source.start_step(0)
    x = np.random.default_rng(7).normal(size=(33, 16))       # 528 values: 33 cycles
    codes, e = quantize(x, code_bits, k, source.numbers_for)
    # The same rounding in the gf_rounding model, src port fed cycle by cycle.
    words = stream_sources(method, lanes, k)
    wide = np.rint(np.ldexp(x, k - e)).astype(np.int64).reshape(-1, lanes)
    src = np.resize(memory, wide.shape[0] * words).reshape(-1, words)
    model = GFRoundingModel(lanes=lanes, in_width=code_bits + k, out_width=code_bits,
                            method=method, mapping=paper_mapping(k), seed=5, reuse=False,
                            source_bus="port", sources=words, src_width=code_bits)
    pad = np.zeros((1, lanes), dtype=np.int64)
    stim = {"rst": np.zeros((wide.shape[0] + 1, 1), dtype=np.uint64),
            "x": (np.concatenate([wide, pad]) & mask(code_bits + k)).astype(np.uint64),
            "src": (np.concatenate([src, np.zeros((1, words), np.int64)]) & mask(code_bits)
                    ).astype(np.uint64)}
    y = model.run(stim)["y"][1:]                     # registered: y[t + 1] rounds x[t]
    np.testing.assert_array_equal(y.ravel(), codes.ravel().astype(np.int64) & mask(code_bits))


@pytest.mark.parametrize("method", ["multi_lsb", "direct"])
def test_own_values_source_is_bit_exact_with_gf_rounding_on_x(method):
    code_bits, k, lanes = 6, 6, 8
    source = OwnValuesSource(k, code_bits=code_bits, method=method, lanes=lanes, seed=2)
    x = np.random.default_rng(1).normal(size=(5, 11))          # 55 values: a partial cycle
    codes, e = quantize(x, code_bits, k, source.numbers_for)
    wide = np.zeros(56, dtype=np.int64)
    wide[:55] = np.rint(np.ldexp(x, k - e)).astype(np.int64).ravel()
    model = GFRoundingModel(lanes=lanes, in_width=code_bits + k, out_width=code_bits,
                            method=method, seed=2, reuse=True, source_bus="x")
    rows = np.concatenate([wide.reshape(-1, lanes), np.zeros((1, lanes), np.int64)])
    stim = {"rst": np.zeros((rows.shape[0], 1), dtype=np.uint64),
            "x": (rows & mask(code_bits + k)).astype(np.uint64)}
    y = model.run(stim)["y"][1:].ravel()[:55]
    np.testing.assert_array_equal(y, codes.ravel().astype(np.int64) & mask(code_bits))


class _Probe(ExtractedSource):
    """Keeps a copy of the memory every step reads."""

    def start_step(self, step):
        super().start_step(step)
        self.seen = getattr(self, "seen", []) + [self._memory.copy()]


@pytest.mark.parametrize("kind", ["activation", "error", "gradient", "weight"])
def test_step_t_reads_the_codes_recorded_at_step_t_minus_1(kind):
    config = TrainingConfig(seed=3, record_every=1, **SHORT)
    probe = _Probe(config.rnd_bits, kind=kind, layer=2, code_bits=config.bits)
    result = train(config, probe)
    recorded = result.records[(kind, 2)]
    assert len(probe.seen) == result.steps == recorded.shape[0]
    for t in range(1, result.steps):
        np.testing.assert_array_equal(probe.seen[t], recorded[t - 1].ravel())
    if kind == "weight":      # the initial weights, rounded to nearest, as stored
        assert probe.seen[0].size == recorded[0].size and np.any(probe.seen[0])
    else:                     # the memory's reset value
        assert not np.any(probe.seen[0])


def test_closed_loop_training_is_deterministic_and_learns():
    config = TrainingConfig(seed=2, record_every=0, **SHORT)
    runs = [train(config, ClosedLoop(tensor="weight", layer="first", method="direct").build(config))
            for _ in range(2)]
    assert runs[0].test_accuracy == runs[1].test_accuracy
    assert runs[0].epoch_loss == runs[1].epoch_loss
    # Far above chance (10 classes): 10% + 5 standard errors of a proportion over the test set.
    assert runs[0].test_accuracy > 0.1 + 5 * math.sqrt(0.1 * 0.9 / TEST_SAMPLES)


def test_numbers_from_uniform_codes_are_unbiased():
    # One pass over 60,000 random 8-bit codes (no word read twice): Method #2 numbers are
    # the LSBs of 6 codes each, so their mean is (2^6 - 1)/2 within 5 standard errors.
    k, n = 6, 10_000
    source = ExtractedSource(k, kind="weight", layer=0, code_bits=8, method="multi_lsb")
    source.observe("weight", 0, _codes(60_000, 12))
    source.start_step(0)
    numbers = source.numbers_for(np.zeros(n))
    sigma = math.sqrt(((1 << k) ** 2 - 1) / 12)
    assert abs(numbers.mean() - ((1 << k) - 1) / 2) < 5 * sigma / math.sqrt(n)
    assert source.passes_per_step == pytest.approx(n * k / 60_000)


def test_repeat_fraction_compares_each_rounding_with_the_previous_steps():
    source = ExtractedSource(4, kind="weight", layer=0, code_bits=8, method="direct", lanes=2)
    codes = _codes(40, 3)
    changed = codes.copy()
    changed[[1, 4, 7]] ^= 1                   # three of the ten words read change their LSB
    for step, memory in enumerate((codes, codes, changed)):
        source.observe("weight", 0, memory)
        source.start_step(step)
        source.numbers_for(np.zeros(6))
        source.numbers_for(np.zeros(4))        # whole cycles: words 0..9 are all read
    source.start_step(3)
    # Steps 0 and 1 read the same memory: all 10 numbers repeat; steps 1 and 2: 7 of 10.
    assert source.repeat_fraction == pytest.approx((10 + 7) / 20)
    assert math.isnan(ExtractedSource(4, kind="weight", layer=0).repeat_fraction)


def test_closed_loop_spec_builds_and_checks():
    config = TrainingConfig(hidden=(32, 32))
    source = ClosedLoop().build(config)
    assert (source.tensor, source.layer, source.method) == ("gradient", 1, "multi_lsb")
    assert ClosedLoop(tensor="error", layer="last").build(config).layer == 2
    assert isinstance(ClosedLoop(tensor="own", layer=None).build(config), OwnValuesSource)
    assert ClosedLoop(mapping="paper").build(config).mapping == paper_mapping(6)
    assert [layer_index(n, 3) for n in ("first", "middle", "last")] == [0, 1, 2]
    assert layer_index("middle", 2) == 0
    assert mapping_table("none", 6) is None
    assert "gradient[middle] multi_lsb" == ClosedLoop().label
    with pytest.raises(ParameterError, match="layer must be in 0..2"):
        ClosedLoop(layer=3).build(config)
    with pytest.raises(ParameterError, match="layer must be None"):
        ClosedLoop(tensor="own")
    with pytest.raises(ParameterError, match="tensor"):
        ClosedLoop(tensor="bias")
    with pytest.raises(ParameterError, match="mapping"):
        ClosedLoop(mapping="random")
    with pytest.raises(ParameterError, match="at least 3 bits"):
        mapping_table("paper", 2)
    with pytest.raises(ParameterError, match="bits must be <= code_bits"):
        ExtractedSource(8, kind="weight", layer=0, code_bits=6, method="direct")
    with pytest.raises(ParameterError, match="numbers_for"):
        source.draw(3)
    with pytest.raises(ParameterError, match="start_step"):
        ExtractedSource(6, kind="weight", layer=0).numbers_for(np.zeros(3))
