"""Regenerate ``chip_48x16.json``, the example profiled fault map of the ``faulty_sram``
regression (run from the repository root: ``python testbench/profiles/make_example.py``).

It imitates a measured chip at level_bits = 6: fail levels 1..63 (0 = never), 0->1 and 1->0
errors of unequal frequency, two weak columns, and a handful of cells that fail both ways.
Its numbers are made up; what matters is that they exercise every path of the profile ROM.
"""

import json
from pathlib import Path

import numpy as np

DEPTH, WIDTH, TOP = 48, 16, 63

rng = np.random.default_rng(48_16)
rate = np.full((DEPTH, WIDTH), 0.10)
rate[:, [3, 12]] = 0.45                                  # weak columns
f01 = np.where(rng.random((DEPTH, WIDTH)) < rate * 0.7, rng.integers(1, TOP + 1, (DEPTH, WIDTH)), 0)
f10 = np.where(rng.random((DEPTH, WIDTH)) < rate * 0.3, rng.integers(1, TOP + 1, (DEPTH, WIDTH)), 0)
f10[0, 0] = 1                                            # fails 1->0 at the lowest level
f01[DEPTH - 1, WIDTH - 1] = TOP                          # fails 0->1 only at the top level
text = json.dumps({"flip01": f01.tolist(), "flip10": f10.tolist()}, separators=(",", ":"))
Path(__file__).with_name("chip_48x16.json").write_text(text + "\n")
