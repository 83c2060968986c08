"""Bit errors in quantized weights stored in low-voltage SRAM, following Stutz et al. (MLSys 2021).

**Memory image.** ``n`` weights of ``m`` bits are packed into rows of ``row_bits`` cells
(default 64, the width of the profiled 512x64 arrays and of the ``faulty_sram`` default):
``k = row_bits // m`` weights per row, weight ``i`` in row ``i // k``, bit ``j`` (0 = LSB) of that
weight in column ``(i mod k) * m + j``. Columns beyond ``k*m`` and slots after the last weight
hold no weight bit. A network's tensors are concatenated in order, each flattened in C order.

**Chips.** A chip is a seed. It fixes, for every cell ``(r, c)``, a vulnerability
``u[r, c] ~ U(0, 1]`` and a stuck value draw ``v[r, c] ~ U(0, 1]``, and a random order of the
columns. The values of a cell do not depend on how many rows are drawn, so a chip is one physical
memory whatever is stored in it. ``u``, ``v`` and the column order come from independent child
streams of ``numpy.random.SeedSequence([CHIP_DOMAIN, seed])`` (PCG64).

**Error models** (:class:`FaultModel`), for a bit error rate ``p`` in [0, 1]:

* ``random`` (the paper's model and its training distribution): the cell flips, 0->1 or 1->0,
  iff ``u <= p``;
* ``column`` (faults aligned along bit lines, like the paper's profiled chip 2): the first
  ``round(weak_columns * row_bits)`` columns in the chip's column order are weak and carry a
  fraction ``concentration`` of the faults: a cell flips iff ``u <= min(1, p * g_c)`` with
  ``g_c = (1 - concentration) + concentration / weak_columns`` in weak columns and
  ``1 - concentration`` elsewhere, so that the mean rate over columns is ``p`` (below the cap);
* ``stuck`` (biased 0->1 against 1->0 flips): a cell is faulty iff ``u <= p``; a faulty cell
  reads 1 if ``v <= p01`` and 0 otherwise, so it changes the stored bit only when that bit
  differs from its stuck value. ``p01 = 1`` gives only 0->1 flips, ``p01 = 0`` only 1->0. The rate of
  changed bits depends on the data (about ``p/2`` for balanced bits);
* ``profiled``: given per-cell 0->1 and 1->0 flip maps (e.g. measured on a chip at one voltage,
  or the fault map of a ``faulty_sram`` chip at one level, :meth:`FaultModel.from_fault_map`),
  tiled over the rows of the memory image; ``p`` and the chip seed are ignored. With
  ``row_bits`` equal to the SRAM width, row r of the image is the word at address r.

Because every decision is ``u <= threshold(p)`` with a threshold that grows with ``p``, the
faulty cells at ``p' < p`` are a subset of those at ``p``, on every chip and for every model.

Every model reduces to two boolean maps over the cells, ``flip01`` (a stored 0 reads 1) and
``flip10`` (a stored 1 reads 0); a stored pattern ``b`` reads back as
``b XOR ((~b & mask01) | (b & mask10))``, with the maps gathered per weight into bit masks.
"""

import dataclasses
import math
import numbers

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.ml.quantization import check_bits

__all__ = ["CHIP_DOMAIN", "ROW_BITS", "MODEL_KINDS", "check_probability", "FaultModel",
           "MemoryLayout", "Chips", "weight_masks", "apply_masks", "inject", "chip_seeds"]

#: Domain tag mixed into every chip's seed, so chip streams differ from other uses of a seed.
CHIP_DOMAIN = 0xB17E_5EED
#: Default SRAM row width in bits.
ROW_BITS = 64
MODEL_KINDS = ("random", "column", "stuck", "profiled")


def check_probability(name, value):
    """Return ``value`` as a float after checking ``0 <= value <= 1``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or not 0.0 <= value <= 1.0:
        raise ParameterError(f"{name} must be a probability in [0, 1], not {value!r}")
    return float(value)


@dataclasses.dataclass(frozen=True)
class FaultModel:
    """How a chip's cells fail at a bit error rate ``p`` (see the module doc).

    Attributes
    ----------
    kind : {"random", "column", "stuck", "profiled"}
    p01 : float
        ``stuck``: fraction of faulty cells stuck at 1.
    weak_columns : float
        ``column``: fraction of the columns that are weak, in (0, 1].
    concentration : float
        ``column``: fraction of the faults carried by the weak columns, in [0, 1].
    flip01, flip10 : numpy.ndarray of bool, optional
        ``profiled``: per-cell maps, shape ``(rows, row_bits)``.
    """
    kind: str = "random"
    p01: float = 0.5
    weak_columns: float = 0.125
    concentration: float = 1.0
    flip01: np.ndarray = dataclasses.field(default=None, repr=False, compare=False)
    flip10: np.ndarray = dataclasses.field(default=None, repr=False, compare=False)

    def __post_init__(self):
        check_choice("kind", self.kind, MODEL_KINDS)
        check_probability("p01", self.p01)
        check_probability("concentration", self.concentration)
        if check_probability("weak_columns", self.weak_columns) == 0.0:
            raise ParameterError("weak_columns must be in (0, 1], not 0")
        if self.kind == "profiled":
            maps = []
            for name in ("flip01", "flip10"):
                value = getattr(self, name)
                if value is None:
                    raise ParameterError(f"{name} is required for a profiled fault model")
                value = np.asarray(value)
                if value.ndim != 2 or value.size == 0:
                    raise ParameterError(f"{name} must be a non-empty 2-D (rows, columns) map, "
                                         f"not shape {value.shape}")
                if value.dtype != np.bool_ and not (np.issubdtype(value.dtype, np.number)
                                                    and np.all((value == 0) | (value == 1))):
                    raise ParameterError(f"{name} must hold only 0 and 1")
                maps.append(value.astype(bool))
            if maps[0].shape != maps[1].shape:
                raise ParameterError(f"flip01 and flip10 must have one shape, not {maps[0].shape} "
                                     f"and {maps[1].shape}")
            object.__setattr__(self, "flip01", maps[0])
            object.__setattr__(self, "flip10", maps[1])

    @classmethod
    def from_fault_map(cls, fault_map):
        """A ``profiled`` model from anything with ``flip01``/``flip10`` maps, e.g. the
        :class:`stochhw.models.faulty_sram.FaultMap` of a ``faulty_sram`` chip at one level (a profiled
        file or a seeded chip): its addresses are the rows, its bits the columns."""
        return cls("profiled", flip01=fault_map.flip01, flip10=fault_map.flip10)

    @property
    def label(self):
        """A short description for tables."""
        if self.kind == "column":
            return (f"column-aligned ({self.concentration:.0%} of faults in "
                    f"{self.weak_columns:.1%} of columns)")
        if self.kind == "stuck":
            return f"stuck-at (p01 = {self.p01:g})"
        if self.kind == "profiled":
            return f"profiled map {self.flip01.shape[0]}x{self.flip01.shape[1]}"
        return "random"


@dataclasses.dataclass(frozen=True)
class MemoryLayout:
    """Where the bits of ``n`` ``m``-bit weights sit in rows of ``row_bits`` cells."""
    n: int
    m: int
    row_bits: int = ROW_BITS

    def __post_init__(self):
        check_int("n", self.n, 1)
        check_bits(self.m)
        check_int("row_bits", self.row_bits, self.m, 4096)

    @property
    def per_row(self):
        """Weights per row, ``row_bits // m``."""
        return self.row_bits // self.m

    @property
    def rows(self):
        """Rows needed for all ``n`` weights."""
        return -(-self.n // self.per_row)

    def cell(self, i, j):
        """``(row, column)`` of bit ``j`` of weight ``i``."""
        return i // self.per_row, (i % self.per_row) * self.m + j


def chip_seeds(seed, chips):
    """Seeds of ``chips`` chips of one study: ``seed * 1000 + i`` keeps studies apart."""
    seed = check_int("seed", seed, 0)
    chips = check_int("chips", chips, 1, 999)
    return [seed * 1000 + i for i in range(chips)]


class Chips:
    """The fixed random draws of one or more chips, stacked on a leading chip axis.

    Parameters
    ----------
    seeds : sequence of int
        One nonnegative seed per chip.
    rows : int
        Rows to draw (cells are ``rows x row_bits``).
    row_bits : int
    """

    def __init__(self, seeds, rows, row_bits=ROW_BITS):
        self.seeds = [check_int("seed", s, 0) for s in seeds]
        if not self.seeds:
            raise ParameterError("seeds must name at least one chip")
        self.rows = check_int("rows", rows, 1)
        self.row_bits = check_int("row_bits", row_bits, 1, 4096)
        u, v, order = [], [], []
        for s in self.seeds:
            streams = np.random.SeedSequence([CHIP_DOMAIN, s]).spawn(3)
            # 1 - U[0, 1) lies in (0, 1]: no cell fails at p = 0, every cell at p = 1.
            u.append(1.0 - np.random.default_rng(streams[0]).random((self.rows, self.row_bits)))
            v.append(1.0 - np.random.default_rng(streams[1]).random((self.rows, self.row_bits)))
            order.append(np.random.default_rng(streams[2]).permutation(self.row_bits))
        self.u, self.v = np.stack(u), np.stack(v)
        #: rank[c, col]: position of column col in chip c's column order.
        self.rank = np.argsort(np.stack(order), axis=1)

    @classmethod
    def for_layout(cls, seeds, layout):
        """Chips just large enough for ``layout``."""
        return cls(seeds, layout.rows, layout.row_bits)

    def cell_maps(self, p, model=FaultModel()):
        """Boolean ``(flip01, flip10)`` of shape ``(chips, rows, row_bits)`` at error rate ``p``."""
        p = check_probability("p", p)
        if not isinstance(model, FaultModel):
            raise ParameterError(f"model must be a FaultModel, not {type(model).__name__}")
        if model.kind == "random":
            faulty = self.u <= p
            return faulty, faulty
        if model.kind == "column":
            weak = self.rank < round(model.weak_columns * self.row_bits)
            gain = np.where(weak, (1 - model.concentration) + model.concentration /
                            model.weak_columns, 1 - model.concentration)
            faulty = self.u <= np.minimum(1.0, p * gain)[:, None, :]
            return faulty, faulty
        if model.kind == "stuck":
            faulty = self.u <= p
            high = self.v <= model.p01
            return faulty & high, faulty & ~high
        if model.flip01.shape[1] != self.row_bits:
            raise ParameterError(f"profiled map must have {self.row_bits} columns, not "
                                 f"{model.flip01.shape[1]}")
        index = np.arange(self.rows) % model.flip01.shape[0]
        shape = (len(self.seeds), self.rows, self.row_bits)
        return (np.broadcast_to(model.flip01[index], shape),
                np.broadcast_to(model.flip10[index], shape))


def weight_masks(cells, layout):
    """Gather a cell map ``(..., rows, row_bits)`` into per-weight bit masks ``(..., n)`` (uint8)."""
    cells = np.asarray(cells, dtype=bool)
    if cells.shape[-2] < layout.rows or cells.shape[-1] != layout.row_bits:
        raise ParameterError(f"cell map of shape {cells.shape[-2:]} does not hold {layout.rows} "
                             f"rows of {layout.row_bits} bits")
    used = cells[..., :layout.rows, :layout.per_row * layout.m]
    per_weight = used.reshape(*cells.shape[:-2], layout.rows * layout.per_row, layout.m)
    weights = (1 << np.arange(layout.m)).astype(np.uint8)
    packed = (per_weight.astype(np.uint8) * weights).sum(axis=-1, dtype=np.uint8)
    return packed[..., :layout.n]


def apply_masks(bits, mask01, mask10, m):
    """Read ``m``-bit patterns ``bits`` through flip masks: ``b ^ ((~b & mask01) | (b & mask10))``."""
    bits = np.asarray(bits, dtype=np.uint8)
    flips = (~bits & mask01) | (bits & mask10)
    return (bits ^ flips) & np.uint8(mask(m))


def inject(bits, m, p, chips, model=FaultModel(), row_bits=ROW_BITS):
    """Stored patterns as read from faulty chips.

    Parameters
    ----------
    bits : array_like of uint8
        ``m``-bit patterns of one network, flattened (the memory image, see the module doc).
    m : int
    p : float
        Bit error rate in [0, 1].
    chips : Chips or sequence of int
        Chip draws, or chip seeds to draw them from.
    model : FaultModel

    Returns
    -------
    numpy.ndarray of uint8, shape ``(chips, n)``
    """
    m = check_bits(m)
    p = check_probability("p", p)
    bits = np.asarray(bits).ravel()
    if bits.size == 0:
        raise ParameterError("bits must hold at least one weight")
    if not np.issubdtype(bits.dtype, np.integer) or int(bits.min()) < 0 or int(bits.max()) > mask(m):
        raise ParameterError(f"bits must hold {m}-bit patterns (integers in 0..{mask(m)})")
    layout = MemoryLayout(bits.size, m, row_bits if not isinstance(chips, Chips) else chips.row_bits)
    if not isinstance(chips, Chips):
        chips = Chips.for_layout(chips, layout)
    flip01, flip10 = chips.cell_maps(p, model)
    return apply_masks(bits.astype(np.uint8), weight_masks(flip01, layout),
                       weight_masks(flip10, layout), m)
