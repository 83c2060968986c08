"""The bulk harness's Python side: signatures by packed words, chunk by chunk; dumps; the
Verilog it generates draws and folds 64 bits per hash (no simulator needed here)."""

import re

import numpy as np
import pytest

from stochhw.sim.designs import get_design
from stochhw.testbench.bus import to_words
from stochhw.testbench.harness import make_harness, output_signatures, output_words, parse_dump


def _ports(name, **overrides):
    design = get_design(name)
    return design.ports(design.resolve(overrides))


def _outputs(ports, cycles, seed):
    rng = np.random.default_rng(seed)
    return {p.name: rng.integers(0, 2 ** p.lane_width, size=(cycles, p.lanes), dtype=np.uint64)
            for p in ports if p.direction == "out"}


def test_signatures_chunk_by_chunk_equal_the_whole_run():
    ports = _ports("sc_neuron")                  # two outputs: y (3 bits) and valid (1 bit)
    out = _outputs(ports, 5000, 1)
    whole = output_signatures(ports, out, 1024)
    assert whole.shape == (5,)
    parts = [output_signatures(ports, {k: v[a:a + 2048] for k, v in out.items()}, 1024, first_cycle=a)
             for a in (0, 2048, 4096)]
    assert np.array_equal(np.concatenate(parts), whole)
    with pytest.raises(ValueError, match="start a chunk"):
        output_signatures(ports, out, 1024, first_cycle=100)


def test_one_wrong_bit_changes_its_chunk_signature_only():
    ports = _ports("sru_array", lanes=64, source="external")
    out = _outputs(ports, 3000, 2)
    base = output_signatures(ports, out, 1000)
    for cycle, lane, bit in ((0, 0, 0), (1500, 63, 7), (2999, 17, 3)):
        bad = {k: v.copy() for k, v in out.items()}
        bad["y"][cycle, lane] ^= np.uint64(1 << bit)
        differs = output_signatures(ports, bad, 1000) != base
        assert differs.tolist() == [c == cycle // 1000 for c in range(3)]


def test_outputs_are_folded_by_the_word_not_by_the_lane():
    """64 lanes x 8 bits of y: 8 hashed words a cycle (was 64 hashes)."""
    ports = _ports("sru_array", lanes=64, source="external")
    slots, total = output_words(ports)
    assert total == 8
    text = make_harness(ports, "sru_array")
    assert len(re.findall(r"h = h \+ mix64\(o_y", text)) == 8
    # The random cycles draw x (64 x 16 bits) from 16 words and rnd from 8; the directed ones
    # pick each lane's extreme from an 8-bit field: 8 words per port.
    assert len(re.findall(r"r_x\[\d+:\d+\] = mix64", text)) == 8 + 16
    assert len(re.findall(r"r_rnd\[\d+:\d+\] = mix64", text)) == 8 + 8


def test_dumps_parse_into_lane_arrays():
    ports = _ports("sc_neuron")
    out = _outputs(ports, 20, 3)
    lines = []
    for t in range(20):
        fields = []
        for p, _, _ in output_words(ports)[0]:
            value = sum(int(w) << (64 * k) for k, w in enumerate(to_words(out[p.name][t:t + 1], p.lane_width)[0]))
            fields.append(f"{value:x}")
        lines.append(" ".join(fields))
    parsed = parse_dump("\n".join(lines), ports)
    assert all(np.array_equal(parsed[k], out[k]) for k in out)
    with pytest.raises(ValueError, match="X/Z"):
        parse_dump("x 0\n", ports)


def test_the_ceiling_harness_brings_the_outputs_out_and_checks_nothing():
    ports = _ports("sru_array", lanes=4, source="external")
    text = make_harness(ports, "sru_array", ceiling=True)
    assert "output [31:0] q_y;" in text and "mix64" not in text and "$fwrite" not in text
