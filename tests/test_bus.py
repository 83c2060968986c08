"""Lane packing round trips, including buses far wider than 64 bits."""

import numpy as np
import pytest

from stochhw.testbench.bus import pack, unpack


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
