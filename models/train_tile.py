"""Golden model of ``train_tile``: a representative training tile, i.e. an output-stationary
systolic array of 8-bit x 8-bit multiply-accumulate PEs with 16-bit accumulators, followed by a
stochastic rounding stage that rounds every accumulator to 8 bits.

Dataflow (``rows`` R x ``cols`` C processing elements, PE(i, j) in row i, column j)::

    a[0] ──► a_reg ──► a_reg ──► ...         a: activations, one 8-bit lane per row, moving right
    a[1] ──► a_reg ──► a_reg ──► ...         b: weights, one 8-bit lane per column, moving down
               ▲ b[0]    ▲ b[1]
    PE(i, j): a_reg(i, j) = a[i] delayed j + 1 cycles,  b_reg(i, j) = b[j] delayed i + 1 cycles,
              (clr, en)(i, j) = (clr, en) delayed i + j + 1 cycles (one control shift register
              whose stage d drives the anti-diagonal i + j = d),
              acc(i, j) <= (clr ? 0 : acc) + (en ? a_reg * b_reg : 0)    (16 bits, wraps)

If the user skews the operands (row i's activation of step k in cycle k + i, column j's weight
of step k in cycle k + j) and gives step k's ``clr``/``en`` in cycle k (no skew), PE(i, j)
adds ``A[i, k] * B[k, j]`` at the end of cycle ``k + i + j + 1``: a job of K steps with ``clr``
on its first step and ``en`` on all K leaves ``sum_k A[i, k] B[k, j]`` (mod 2^16) in acc(i, j)
in cycle ``K + i + j + 1``. The clear travels with the wavefront, so jobs can follow each other
with no gap; each PE's result then stays for one cycle.

The accumulator **wraps** modulo 2^16 (two's complement, as a plain adder does; one product
is at most 2^14, so keeping sums in range is the user's scaling choice).

Rounding stage (``rounding``): every cycle each accumulator (lane ``i*C + j``) is rounded to
8 bits with the SRU rule of :mod:`stochhw.models.sru`, ``y = sat(floor((acc + rnd) / 2^8))``
(saturating), by

* ``"lfsr"``: :class:`stochhw.models.sru.SRUArrayModel` with ``source="lfsr"``: one 16-bit Galois
  LFSR per PE (the conventional RNG array), seeded from ``seed``;
* ``"generator_free"``: :class:`stochhw.models.extractor.GFRoundingModel` on the accumulator bus:
  the k = 8 random bits of each lane are the LSBs of other accumulators of the tile
  (``multi_lsb`` with ``reuse``, the circulant assignment of ``gf_rounding`` seeded by
  ``seed``: no PE reads its own accumulator; with 8 PEs or fewer a PE's 8 bits repeat
  words; ``routing`` static or runtime). It needs at least 2 PEs.

Timing (:mod:`stochhw.models.clocked`): the operand, control and accumulator registers and ``y`` are
registered; the K-step job above is rounded into ``y`` of PE(i, j) in cycle
``K + i + j + 2``, one cycle after it is in acc(i, j). Latency from the tile's inputs to ``y``
of PE(0, 0) is 3 cycles (``3 + i + j`` for PE(i, j)). Reset clears every register (pipelines,
accumulators, ``y``) and reloads the LFSRs / routing selects.
"""

import dataclasses
import functools

import numpy as np

from stochhw.models.bits import mask, to_signed
from stochhw.models.checks import ParameterError
from stochhw.models.clocked import check_lanes
from stochhw.models.extractor import ROUTINGS, GFRoundingModel, GFRoundingSpec
from stochhw.models.spec import Spec, Specified, param, spec_from
from stochhw.models.sru import SRUArrayModel, SRUArraySpec

__all__ = ["ROUNDINGS", "MAX_SIZE", "OPERAND_WIDTH", "ACC_WIDTH", "OUT_WIDTH", "LFSR_WIDTH",
           "TrainTileSpec", "TrainTileModel"]

ROUNDINGS = ("lfsr", "generator_free")
#: Largest rows and cols: a 16 x 16 tile is 256 PEs, about what one FPGA tile of a training
#: accelerator holds; larger arrays are built from several tiles.
MAX_SIZE = 16
OPERAND_WIDTH = 8
ACC_WIDTH = 16
OUT_WIDTH = 8
#: Width of each PE's LFSR with ``rounding="lfsr"`` (the registry default of ``sru_array``).
LFSR_WIDTH = 16


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainTileSpec(Spec):
    """Parameters of ``train_tile`` (:class:`stochhw.hw.train_tile.TrainTile`,
    :class:`TrainTileModel`), with the tile's shape and its rounding stage derived from them."""
    rows: int = param(4, "PE rows (larger arrays: several tiles)", lo=1, hi=MAX_SIZE)
    cols: int = param(0, "PE columns; 0: square (cols = rows)", lo=0, hi=MAX_SIZE)
    rounding: str = param("lfsr", "lfsr: one LFSR per PE; generator_free: LSBs of the tile's "
                                  "accumulators", choices=ROUNDINGS)
    routing: str = param("static", "generator_free only: static seeded wiring or runtime "
                                   "selects on cfg_*", choices=ROUTINGS)
    seed: int = param(1, "LFSR lane seeds or static assignment", lo=0, hi=mask(64))

    def validate(self):
        if self.rounding == "generator_free" and self.lanes < 2:
            raise ParameterError(f"rows x cols must give at least 2 PEs with rounding=generator_free "
                                 f"(a lone PE would round with bits of its own accumulator), not "
                                 f"{self.rows}x{self.columns}")
        if self.rounding == "lfsr" and self.routing != "static":
            raise ParameterError(f"routing must be static with rounding=lfsr (the LFSR array has no "
                                 f"routing to configure), not {self.routing!r}")
        self.stage                        # the rounding stage's rules, checked now

    @property
    def columns(self):
        """PE columns in use: ``cols``, or ``rows`` when ``cols`` is 0 (a square tile)."""
        return self.cols or self.rows

    @property
    def lanes(self):
        """Number of PEs, which is also the number of rounding lanes."""
        return self.rows * self.columns

    @property
    def diagonals(self):
        """Stages of the control shift register: one per anti-diagonal i + j."""
        return self.rows + self.columns - 1

    @functools.cached_property
    def stage(self):
        """The rounding stage's spec, ``x`` being the accumulator bus: an
        :class:`~stochhw.models.sru.SRUArraySpec` (``rounding="lfsr"``) or a
        :class:`~stochhw.models.extractor.GFRoundingSpec` (``"generator_free"``)."""
        if self.rounding == "lfsr":
            return SRUArraySpec(lanes=self.lanes, source="lfsr", seed=self.seed, in_width=ACC_WIDTH,
                                out_width=OUT_WIDTH, lfsr_width=LFSR_WIDTH, saturate=True)
        return GFRoundingSpec(lanes=self.lanes, in_width=ACC_WIDTH, out_width=OUT_WIDTH,
                              saturate=True, method="multi_lsb", routing=self.routing, mapping=None,
                              seed=self.seed, reuse=True, source_bus="x")


class TrainTileModel(Specified):
    """Model of :class:`stochhw.hw.train_tile.TrainTile` (rules in the module docstring).

    Parameters
    ----------
    spec : TrainTileSpec, optional
        Or its fields as keyword arguments (``rows``, ``cols``, ``rounding``, ``routing``,
        ``seed``). The rounding stage's model, :attr:`stage_model`, is built from
        ``spec.stage``.

    Ports (stimulus / result keys)
    ------------------------------
    rst, clr, en : inputs, 1 bit
    a : input, ``rows`` signed 8-bit lanes (activations); b : input, ``cols`` signed 8-bit
        lanes (weights)
    cfg_en, cfg_addr, cfg_data : inputs, ``routing="runtime"`` only
    y : output, ``rows * cols`` signed 8-bit lanes, PE(i, j) in lane ``i * cols + j``
    """

    #: Rows of one block: keeps the (block, rows, cols) temporaries near 1 MiB each.
    BLOCK = 4096

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(TrainTileSpec, spec, params)
        model = SRUArrayModel if self.rounding == "lfsr" else GFRoundingModel
        self.stage_model = model(self.stage)

    def accumulators(self, stim, state=None):
        """Raw 16-bit accumulator of every PE in every cycle.

        ``state`` (chunked runs, :mod:`stochhw.models.clocked`) carries the pipelines (the
        last inputs of the previous chunk, the cycles since reset) and the accumulators.

        Returns
        -------
        ndarray of uint16, shape (cycles, rows * cols)
            Lane ``i * cols + j`` is acc(i, j) as seen in that cycle.
        """
        rows, cols, diags = self.rows, self.columns, self.diagonals
        state = {} if state is None else state
        rst = np.asarray(stim["rst"])[:, 0].astype(bool)
        cycles = rst.size
        t_all = np.arange(cycles, dtype=np.int64)
        # age[t]: edges since the last reset edge before cycle t (power-up counts as a reset
        # before edge 0). A chain of d registers shows its input of cycle t - d iff age >= d.
        # age[cycles] is the first cycle of the next chunk.
        age0 = state.get("age", 0)
        last = np.maximum.accumulate(np.where(rst, t_all, -1))
        age = np.empty(cycles + 1, dtype=np.int64)
        age[0] = age0
        age[1:] = np.where(last >= 0, t_all - last, age0 + t_all + 1)

        pad = diags + 1                       # longest register chain: i + j + 1
        def padded(name, values, signed):
            v = np.asarray(values).astype(np.int64)
            v = to_signed(v, OPERAND_WIDTH) if signed else v
            # Before the stimulus: the previous chunk's last inputs (zeros at power-up).
            tail = state.get(f"tail_{name}", np.zeros((pad,) + v.shape[1:], dtype=np.int64))
            v = np.concatenate([tail, v])
            state[f"tail_{name}"] = v[-pad:].copy()
            return v
        a_in, b_in = padded("a", stim["a"], True), padded("b", stim["b"], True)
        clr_in = padded("clr", stim["clr"][:, 0], False).astype(bool)
        en_in = padded("en", stim["en"][:, 0], False).astype(bool)
        diagonal = np.add.outer(np.arange(rows), np.arange(cols))      # (rows, cols): i + j

        acc = np.zeros((cycles + 1, rows, cols), dtype=np.uint16)
        carry = np.asarray(state.get("acc", np.zeros((rows, cols))), dtype=np.int64)
        acc[0] = carry                                     # acc in the cycle the block starts
        block = max(1, self.BLOCK * 16 // self.lanes)
        for a in range(0, cycles, block):                  # edges a .. b-1 give cycles a+1 .. b
            b = min(a + block, cycles)
            n = b - a
            age_b = age[a:b, None]

            def delayed(values, depth):                    # values[t - depth], 0 inside resets
                rows_ = values[a + pad - depth:b + pad - depth]
                return np.where((age_b >= depth).reshape((n,) + (1,) * (rows_.ndim - 1)), rows_, 0)

            a_pe = np.stack([delayed(a_in, j + 1) for j in range(cols)], axis=2)   # (n, rows, cols)
            b_pe = np.stack([delayed(b_in, i + 1) for i in range(rows)], axis=1)
            clr_d = np.stack([delayed(clr_in, d + 1) for d in range(diags)], axis=1)  # (n, diags)
            en_d = np.stack([delayed(en_in, d + 1) for d in range(diags)], axis=1)
            added = np.where(en_d[:, diagonal], a_pe * b_pe, 0)                    # (n, rows, cols)

            # The accumulation a diagonal's acc holds after edge u started at the latest clear
            # edge (that edge's product included) or just after the latest reset edge.
            u = np.arange(a, b, dtype=np.int64)[:, None]
            start = np.where(rst[a:b, None], u + 1, np.where(clr_d, u, -1))
            start = np.maximum.accumulate(start, axis=0)[:, diagonal]              # (n, rows, cols)
            sums = np.zeros((n + 1, rows, cols), dtype=np.int64)
            np.cumsum(added, axis=0, out=sums[1:])
            fresh = start >= a
            before = np.take_along_axis(sums, np.where(fresh, start - a, 0), axis=0)
            after = sums[1:] - before + np.where(fresh, 0, carry)
            acc[a + 1:b + 1] = after & mask(ACC_WIDTH)
            carry = after[-1] & mask(ACC_WIDTH)
        state["age"] = int(age[cycles])
        state["acc"] = carry
        return acc[:cycles].reshape(cycles, self.lanes)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"a": self.rows, "b": self.columns, "clr": 1, "en": 1}, "train_tile")
        tile = None if state is None else state.setdefault("tile", {})
        rounding_stim = {"x": self.accumulators(stim, tile), "rst": stim["rst"]}
        if self.routing == "runtime":
            rounding_stim.update({k: stim[k] for k in ("cfg_en", "cfg_addr", "cfg_data")})
        return self.stage_model.run(rounding_stim, None if state is None else state.setdefault("rounder", {}))
