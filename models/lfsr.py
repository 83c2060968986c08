"""Golden model of the ``lfsr`` design: Galois and Fibonacci linear-feedback shift registers.

Both forms shift right. With tap list ``taps`` (see :mod:`stochhw.models.gf2`):

* **galois**: ``out = s & 1; s = (s >> 1) ^ (mask if out else 0)`` where ``mask`` has bit
  ``t-1`` set for every tap ``t``. One XOR per tap, no XOR chain: the usual FPGA choice.
* **fibonacci**: ``fb = XOR of bits (w - t) for every tap t; s = (s >> 1) | (fb << (w-1))``.

Both have period ``2^w - 1`` for the table's (primitive) taps and never reach the all-zero
state from a nonzero seed.
"""

import dataclasses
import functools

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.clocked import check_lanes, steps_since_reset
from stochhw.models.gf2 import MAX_WIDTH, MIN_WIDTH, check_taps
from stochhw.models.spec import Spec, Specified, param, spec_from

__all__ = ["FORMS", "check_lfsr", "check_seed", "galois_mask", "lfsr_step", "lfsr_sequence", "lfsr_jump", "lfsr_states", "LFSRSpec",
           "LFSRModel"]

FORMS = ("galois", "fibonacci")


def check_lfsr(width, form, seed, taps, *, width_name="width", seed_name="seed"):
    """Validate LFSR parameters; return ``(width, form, seed, taps)`` normalized."""
    width = check_int(width_name, width, MIN_WIDTH, MAX_WIDTH)
    form = check_choice("form", form, FORMS)
    seed = check_seed(check_int(seed_name, seed, 0), width, seed_name)
    taps = check_taps(width, taps)
    return width, form, seed, taps


def check_seed(seed, width, name="seed"):
    """``seed`` after checking it is a nonzero ``width``-bit state."""
    if not 1 <= seed <= mask(width):
        raise ParameterError(f"{name} must be in 1..{mask(width)} (a nonzero {width}-bit state), not {seed}")
    return seed


@dataclasses.dataclass(frozen=True, kw_only=True)
class LFSRSpec(Spec):
    """Parameters of ``lfsr`` (:class:`stochhw.hw.lfsr.LFSR`, :class:`LFSRModel`)."""
    width: int = param(16, "state width", lo=MIN_WIDTH, hi=MAX_WIDTH)
    form: str = param("galois", "feedback structure", choices=FORMS)
    seed: int = param(1, "reset state, 1..2^width-1")
    taps: tuple = param(None, "XAPP052 tap list (must be primitive); default: table", kind="ints")

    def validate(self):
        check_seed(self.seed, self.width)
        self.feedback_taps        # a user's taps must be primitive: checked now, not at elaboration

    @functools.cached_property
    def feedback_taps(self):
        """The taps in use: ``taps``, or the maximal-length table's when it is None."""
        return check_taps(self.width, self.taps)


def galois_mask(taps):
    """XOR mask of the right-shifting Galois form."""
    return sum(1 << (t - 1) for t in taps)


def lfsr_step(state, width, taps, form):
    """One step of the LFSR; ``state`` may be a Python int or a ``uint64`` array.

    The step is linear over GF(2) in both forms (:func:`lfsr_sequence` relies on it).
    """
    if isinstance(state, np.ndarray):
        one, shift = np.uint64(1), np.uint64
    else:
        one, shift = 1, int
    if form == "galois":
        return (state >> shift(1)) ^ ((state & one) * shift(galois_mask(taps)))
    feedback = state & 0
    for t in taps:
        feedback ^= state >> shift(width - t)
    return (state >> shift(1)) | ((feedback & one) << shift(width - 1))


def _apply(columns, states, width):
    """Multiply ``states`` by the GF(2) matrix whose column i is ``columns[i]``."""
    out = np.zeros_like(states)
    one = np.uint64(1)
    for i in range(width):
        out ^= columns[i] * ((states >> np.uint64(i)) & one)
    return out


def lfsr_sequence(seeds, steps, width, taps, form, blocks=1024, *, stride=1):
    """States ``0, stride, 2*stride, .. steps*stride`` of LFSRs started at ``seeds``.

    The step is linear over GF(2), so the run is cut into ``blocks`` segments that are stepped
    side by side: the state at the start of each segment comes from jump matrices (the step
    applied L times to every unit vector, then squared). That turns ``steps`` NumPy iterations
    over ``lanes`` values into about ``2*steps/blocks`` iterations over ``blocks * lanes``.

    Parameters
    ----------
    seeds : sequence of int, length ``lanes``
    steps : int
        Number of rows after the first; the result has ``steps + 1`` rows (row 0 = the seeds).
    blocks : int
        Segments stepped in parallel (1 = plain stepping).
    stride : int
        Steps from one row to the next (a leap-forward LFSR leaps ``stride`` steps a cycle).

    Returns
    -------
    ndarray of uint64, shape (steps + 1, lanes)
    """
    seeds = np.asarray(seeds, dtype=np.uint64)
    rows = steps + 1
    blocks = max(1, min(blocks, rows // 256))          # short runs: plain stepping
    length = -(-rows // blocks)                         # rows per segment
    starts = seeds[None, :]
    if blocks > 1:
        # Columns of the jump matrix J = step^(length*stride); each round doubles the known
        # segment starts (J^(2^r) applied to all of them) and squares J.
        columns = np.uint64(1) << np.arange(width, dtype=np.uint64)
        for _ in range(length * stride):
            columns = lfsr_step(columns, width, taps, form)
        while starts.shape[0] < blocks:
            starts = np.concatenate([starts, _apply(columns, starts, width)])
            columns = _apply(columns, columns, width)
        starts = starts[:blocks]
    seq = np.empty((length, blocks, seeds.size), dtype=np.uint64)
    state = starts
    for i in range(length):
        seq[i] = state
        for _ in range(stride):
            state = lfsr_step(state, width, taps, form)
    return seq.transpose(1, 0, 2).reshape(blocks * length, seeds.size)[:rows]


@functools.lru_cache(maxsize=64)
def _jump_columns(width, taps, form, power):
    """Columns of the step matrix raised to ``2^power`` (read-only)."""
    if power == 0:
        columns = lfsr_step(np.uint64(1) << np.arange(width, dtype=np.uint64), width, taps, form)
    else:
        half = _jump_columns(width, taps, form, power - 1)
        columns = _apply(half, half, width)
    columns.flags.writeable = False
    return columns


def lfsr_jump(states, steps, width, taps, form):
    """LFSRs in ``states`` advanced by ``steps`` steps, any number of them: one product with
    the step matrix raised to ``2^i`` for every bit ``i`` of ``steps`` (cached powers)."""
    states = np.asarray(states, dtype=np.uint64)
    taps = tuple(taps)
    n, power = int(steps), 0
    while n:
        if n & 1:
            states = _apply(_jump_columns(width, taps, form, power), states, width)
        n >>= 1
        power += 1
    return states


def lfsr_states(seeds, steps, width, taps, form, *, stride=1):
    """States of LFSRs started at ``seeds`` after ``steps[t] * stride`` steps, for every ``t``.

    Step counts far from 0 (a chunk late in a long run, its LFSRs never reset) cost a jump,
    not a walk from the seed: memory follows the number and the spread of ``steps``, not
    their size.

    Parameters
    ----------
    seeds : sequence of int, length ``lanes``
    steps : ndarray of int, shape (n,)
    stride : int
        Steps per unit of ``steps``.

    Returns
    -------
    ndarray of uint64, shape (n, lanes)
    """
    steps = np.asarray(steps, dtype=np.int64).ravel()
    seeds = np.asarray(seeds, dtype=np.uint64)
    if steps.size == 0:
        return np.empty((0, seeds.size), dtype=np.uint64)
    gap = max(steps.size, 1024)             # stepping through a gap this wide beats a jump
    lo, hi = int(steps.min()), int(steps.max())
    if hi - lo <= 2 * gap:
        start = lfsr_jump(seeds, lo * stride, width, taps, form)
        return lfsr_sequence(start, hi - lo, width, taps, form, stride=stride)[steps - lo]
    # Several clusters (a reset inside the chunk restarts the count): one jump each.
    values, inverse = np.unique(steps, return_inverse=True)
    rows = np.empty((values.size, seeds.size), dtype=np.uint64)
    for run in np.split(np.arange(values.size), np.flatnonzero(np.diff(values) > gap) + 1):
        first = int(values[run[0]])
        start = lfsr_jump(seeds, first * stride, width, taps, form)
        seq = lfsr_sequence(start, int(values[run[-1]]) - first, width, taps, form, stride=stride)
        rows[run] = seq[values[run] - first]
    return rows[inverse]


class LFSRModel(Specified):
    """Model of :class:`stochhw.hw.lfsr.LFSR`.

    Parameters
    ----------
    spec : LFSRSpec, optional
        Or its fields as keyword arguments (``width``, ``form``, ``seed``, ``taps``).

    Ports (stimulus / result keys)
    ------------------------------
    rst, en : inputs, 1 bit
    state : output, ``width`` bits: the register; ``en`` in cycle t advances it at edge t
        (latency 1). Reset reloads ``seed``.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(LFSRSpec, spec, params)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"en": 1}, "lfsr")
        rst = stim["rst"][:, 0].astype(bool)
        k = steps_since_reset(stim["en"][:, 0].astype(bool), rst, state=state, key="steps")
        return {"state": lfsr_states([self.seed], k, self.width, self.feedback_taps, self.form)}
