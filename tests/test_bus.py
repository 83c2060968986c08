"""Lane packing round trips, including buses far wider than 64 bits."""

import numpy as np
import pytest

from stochhw.testbench.bus import from_words, pack, to_words, unpack, word_count


@pytest.mark.parametrize("lanes,width", [(1, 1), (1, 16), (3, 5), (64, 16), (256, 8), (2, 64)])
def test_pack_unpack_round_trip(lanes, width):
    rng = np.random.default_rng(lanes * 100 + width)
    hi = np.uint64((1 << width) - 1) if width < 64 else np.uint64(2 ** 64 - 1)
    arr = rng.integers(0, 2 ** 63, size=(50, lanes), dtype=np.uint64) * np.uint64(2) & hi
    values = pack(arr, width)
    assert np.array_equal(unpack(values, lanes, width), arr)


def test_lane_major_layout():
    """Lane i occupies bits [i*w, (i+1)*w)."""
    arr = np.array([[0x1, 0x2, 0x3]], dtype=np.uint64)
    assert pack(arr, 4) == [0x321]
    assert unpack([0xABC], 3, 4).tolist() == [[0xC, 0xB, 0xA]]


@pytest.mark.parametrize("lanes,width", [(1, 1), (3, 5), (64, 16), (7, 24), (256, 8), (2, 64), (5, 12)])
def test_words_round_trip_and_hold_the_bus(lanes, width):
    rng = np.random.default_rng(lanes * 100 + width)
    top = 2 ** width - 1
    arr = (rng.integers(0, 2 ** 63, size=(40, lanes), dtype=np.uint64) * np.uint64(2)
           + np.uint64(1)) & np.uint64(top)
    words = to_words(arr, width)
    assert words.shape == (40, word_count(lanes, width)) and words.dtype == np.uint64
    assert np.array_equal(from_words(words, lanes, width), arr)
    # Word k holds bits [64k, 64k+64) of the flat bus pack() gives.
    buses = pack(arr, width)
    assert [sum(int(w) << (64 * k) for k, w in enumerate(row)) for row in words] == buses
