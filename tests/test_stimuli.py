"""The shared stimulus generator: by the bit, counter-based, the same in any chunk."""

import math

import numpy as np
import pytest

from stochhw.models.seeds import splitmix64
from stochhw.sim.designs import get_design
from stochhw.testbench.bus import to_words
from stochhw.testbench.stimuli import (
    StimulusLayout,
    density_threshold,
    directed_cycles,
    extremes,
    make_stimulus,
    reset_cycles,
)


def _ports(name, **overrides):
    design = get_design(name)
    return design.ports(design.resolve(overrides))


def test_same_seed_same_stimulus_and_different_seed_differs():
    ports = _ports("sru_array", lanes=4, source="external")
    a, b, c = (make_stimulus(ports, 1000, s) for s in (5, 5, 6))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["x"], c["x"])


def test_one_hash_word_feeds_64_bits_of_a_bus():
    """64 lanes x 16 bits of x and 64 x 8 of rnd: 16 + 8 words a cycle, each bus the
    concatenation of its words, word j of cycle t = SplitMix64 output t*S + j of the seed."""
    ports = _ports("sru_array", lanes=64, source="external")
    layout = StimulusLayout.of(ports)
    assert [(f.port.name, f.words) for f in layout.fields] == [("x", 16), ("rnd", 8)]
    assert layout.words == 24
    seed, cycles = 12345, 400
    stim = make_stimulus(ports, cycles, seed)
    for t in (directed_cycles(cycles), cycles - 1):           # random cycles
        words = [splitmix64(seed, t * 24 + j) for j in range(24)]
        assert to_words(stim["x"][t:t + 1], 16)[0].tolist() == words[:16]
        assert to_words(stim["rnd"][t:t + 1], 8)[0].tolist() == words[16:]


def test_chunks_are_the_rows_of_the_whole_run():
    cases = [("sru_array", {"lanes": 5, "source": "external"}, None),
             ("lsb_extractor", {"sources": 12, "src_width": 4, "lanes": 2, "bits": 5,
                                "routing": "runtime"}, {"cfg_en": 0.125}),
             ("faulty_sram", {"depth": 40, "width": 24, "level_bits": 4}, None),
             ("xnor_mul", {"lanes": 70}, None)]
    for name, overrides, densities in cases:
        ports = _ports(name, **overrides)
        whole = make_stimulus(ports, 1000, 9, densities)
        cuts = [0, 1, 249, 250, 251, 500, 751, 753, 999, 1000]
        for a, b in zip(cuts, cuts[1:]):
            part = make_stimulus(ports, 1000, 9, densities, start=a, stop=b)
            narrow = make_stimulus(ports, 1000, 9, densities, start=a, stop=b, dtype=None)
            for k in whole:
                assert np.array_equal(part[k], whole[k][a:b]), (name, k, a, b)
                assert np.array_equal(narrow[k].astype(np.uint64), whole[k][a:b]), (name, k, a, b)


def test_directed_part_covers_extremes_and_overflow_combination():
    ports = _ports("sru_free")
    stim = make_stimulus(ports, 40_000, 1)
    directed = slice(0, directed_cycles(40_000))
    x, rnd = stim["x"][directed, 0], stim["rnd"][directed, 0]
    assert set(extremes(16, True).tolist()) == set(x.tolist())
    assert set(extremes(8, False).tolist()) == set(rnd.tolist())
    assert np.any((x == 0x7FFF) & (rnd == 255)), "x at max with rnd all ones (overflow) never drawn"


def test_resets_at_start_middle_and_burst():
    ports = _ports("lfsr")
    rst = make_stimulus(ports, 1000, 1)["rst"][:, 0]
    assert np.flatnonzero(rst).tolist() == reset_cycles(1000) == [0, 500, 750, 751, 752]


def test_random_part_spans_full_range():
    ports = _ports("sru_array", lanes=8, source="external")
    x = make_stimulus(ports, 20_000, 3)["x"][5000:]
    assert x.min() < 2 ** 10 and x.max() > 2 ** 16 - 2 ** 10


@pytest.mark.parametrize("density", [0.125, 0.75])
def test_one_bit_lanes_follow_their_density(density):
    """cfg_en of a runtime extractor at its density: within 5 standard deviations of the mean
    over the random cycles (a bound from the sample size, seeded)."""
    ports = _ports("lsb_extractor", sources=12, src_width=4, lanes=2, bits=5, routing="runtime")
    cycles = 40_000
    en = make_stimulus(ports, cycles, 4, {"cfg_en": density})["cfg_en"][directed_cycles(cycles):, 0]
    p = density_threshold(density) / 2 ** 16
    assert abs(en.mean() - p) < 5 * math.sqrt(p * (1 - p) / en.size)


def test_chunks_outside_the_run_are_refused():
    ports = _ports("lfsr")
    with pytest.raises(ValueError, match="not within the run"):
        make_stimulus(ports, 100, 1, start=50, stop=101)
