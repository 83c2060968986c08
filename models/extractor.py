"""Golden models of the generator-free random-number extractors: ``lsb_extractor`` and
``gf_rounding`` (an ``lsb_extractor`` feeding an ``sru_array`` with ``source="external"``).

Random numbers are taken from data that is already on the chip: ``sources`` source words of
``src_width`` bits each (the ``src`` bus; for ``gf_rounding``, by default the unrounded values
themselves). Every lane gets a ``bits``-bit (k-bit) number, made in one of two ways:

* ``multi_lsb`` (the paper's Method #2): bit b of lane i is the least-significant bit (bit 0)
  of source word ``sel[i*k + b]``; the k bits of a number come from k different words;
* ``direct`` (Method #1): lane i is the k low bits of source word ``sel[i]``, bit b of the
  number being bit b of the word.

``sel`` are the *selects*: ``lanes * bits`` of them for ``multi_lsb``, ``lanes`` for
``direct``, each holding a source word index. An optional ``mapping``, a permutation of
``0 .. 2^k - 1``, is then applied to every number: ``out = mapping[number]``.

Static assignment (the wiring of ``routing="static"``, and the reset value of the selects
with ``routing="runtime"``)::

    perm = seeded_permutation(sources, seed)
    sel[s] = perm[s mod sources]        for every select s

:func:`seeded_permutation` is a Fisher-Yates shuffle driven by SplitMix64
(:mod:`stochhw.models.seeds`); it is written out below so that anyone can reproduce it.

No-sharing rule: within one cycle no source bit may feed two lanes, or two bits of one lane.
Without ``reuse`` this means ``lanes * bits <= sources`` (``multi_lsb``) or ``lanes <=
sources`` (``direct``); other configurations are refused with a :class:`ParameterError`
naming ``sources``. ``direct`` also needs ``bits <= src_width`` (a number is the low bits of
*one* word), with or without ``reuse``. With ``reuse=1`` the formula above is applied as it
stands: the selects walk through the permutation and wrap around, so every source word is
used once before any is used twice, and a word feeds at most ``ceil(selects / sources)``
selects. For ``multi_lsb`` the k bits of one lane are k consecutive selects, so they come from
k different words as long as ``bits <= sources``; beyond that a lane repeats words (allowed,
since ``reuse`` waives the rule, but such a number takes only ``sources`` distinct values).

Runtime routing: the selects are registers (reset: the static assignment) written through a
configuration port ``cfg_en``, ``cfg_addr`` (a select index) and ``cfg_data`` (a source word
index). A write in cycle t takes effect at edge t (seen from cycle t+1); ``rst`` wins over it.
A write with ``cfg_addr >= selects`` or ``cfg_data >= sources`` is ignored. Otherwise:

* ``reuse=0``: the write is a *swap*: select ``cfg_addr`` takes ``cfg_data`` and the select
  that held ``cfg_data`` (if any) takes the old value of select ``cfg_addr``. The selects stay
  pairwise distinct, so the no-sharing rule holds in every cycle by construction, and any
  other valid assignment is reachable by a sequence of writes;
* ``reuse=1``: a plain write; selects may then share sources (the user's choice).

Timing (see :mod:`stochhw.models.clocked`): the extraction itself is combinational. The standalone
``lsb_extractor`` registers ``rnd`` (latency 1; reset clears it to 0) so that it has the
``clk``/``rst`` ports every design has; ``gf_rounding`` uses the combinational numbers in the
same cycle and registers only ``y`` (latency 1, as ``sru_array``).
"""

import dataclasses

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_bool, check_choice, check_int
from stochhw.models.clocked import check_lanes, register
from stochhw.models.seeds import splitmix64
from stochhw.models.sru import MAX_LANES, SOURCES, _RoundingModel, check_widths

__all__ = [
    "METHODS", "ROUTINGS", "SOURCE_BUSES", "MAX_SOURCES", "MAX_SRC_WIDTH", "MAX_BITS",
    "MAX_MAPPING_BITS", "seeded_permutation", "ExtractorSpec", "check_extractor",
    "static_routing", "extract_numbers", "runtime_selects", "LSBExtractorModel",
    "GFRoundingModel", "check_mapping", "stream_sources", "extract_stream",
]

METHODS = ("multi_lsb", "direct")
ROUTINGS = ("static", "runtime")
SOURCE_BUSES = ("x", "port")
MAX_SOURCES = 4096
MAX_SRC_WIDTH = 64          # the bulk co-simulation harness handles lanes of up to 64 bits
MAX_BITS = 32
#: A mapping is a 2^bits-entry table per lane: beyond 4096 entries it is not a sensible circuit.
MAX_MAPPING_BITS = 12

assert SOURCES == ("lfsr", "external")      # gf_rounding builds on sru_array's external source


def seeded_permutation(n, seed):
    """The permutation of ``0 .. n-1`` that static routing takes from ``seed``.

    Fisher-Yates, from the top: for ``i = n-1`` down to 1, swap positions ``i`` and
    ``j = splitmix64(seed, n-1-i) mod (i+1)``, starting from the identity. (The modulo makes
    some permutations more likely than others by at most ``n / 2^64``: irrelevant here.)

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = splitmix64(seed, n - 1 - i) % (i + 1)
        perm[i], perm[j] = perm[j], perm[i]
    return np.array(perm, dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class ExtractorSpec:
    """Validated extractor parameters (build with :func:`check_extractor`)."""
    sources: int
    src_width: int
    lanes: int
    bits: int
    method: str
    routing: str
    mapping: tuple | None
    seed: int
    reuse: bool
    avoid_own: bool = False

    @property
    def selects(self):
        """Number of select registers / wires: ``lanes * bits`` or ``lanes``."""
        return self.lanes * self.bits if self.method == "multi_lsb" else self.lanes

    @property
    def data_width(self):
        """Width of ``cfg_data`` and of each select register."""
        return max(1, (self.sources - 1).bit_length())

    @property
    def addr_width(self):
        """Width of ``cfg_addr``."""
        return max(1, (self.selects - 1).bit_length())

    def static_selects(self):
        """Source word index of every select in the static assignment (int64 array)."""
        if self.avoid_own:
            # Circulant: bit b of lane i reads word (i + offset[b]) mod lanes, offsets nonzero.
            offsets = 1 + seeded_permutation(self.lanes - 1, self.seed)
            lane = np.arange(self.lanes)[:, None]
            if self.method == "multi_lsb":
                picks = offsets[np.arange(self.bits) % (self.lanes - 1)][None, :]
            else:
                # Offset lanes/2 would pair lanes i and i + lanes/2 on each other's word: both
                # round up exactly when f_i + f_j >= 2^k, one decision for two lanes.
                picks = offsets[(2 * offsets != self.lanes) | (self.lanes == 2)][:1][None, :]
            return ((lane + picks) % self.lanes).reshape(-1)
        perm = seeded_permutation(self.sources, self.seed)
        return perm[np.arange(self.selects) % self.sources]

    def static_routing(self):
        """``route[i, b]``: the ``src`` bus bit that drives bit b of lane i (before mapping)."""
        sel = self.static_selects()
        if self.method == "multi_lsb":
            return sel.reshape(self.lanes, self.bits) * self.src_width
        return sel[:, None] * self.src_width + np.arange(self.bits)[None, :]


def check_extractor(sources, src_width, lanes, bits, method, routing, mapping, seed, reuse,
                    bits_label="bits", avoid_own=False):
    """Validate extractor parameters; return an :class:`ExtractorSpec`.

    ``bits_label`` names the number width in messages (``gf_rounding`` calls it k).
    ``avoid_own`` selects the circulant static assignment of ``gf_rounding`` on its own x bus
    (source word i is lane i's own value; see :class:`GFRoundingModel`).
    """
    sources = check_int("sources", sources, 1, MAX_SOURCES)
    src_width = check_int("src_width", src_width, 1, MAX_SRC_WIDTH)
    lanes = check_int("lanes", lanes, 1, MAX_LANES)
    bits = check_int("bits", bits, 1, MAX_BITS)
    method = check_choice("method", method, METHODS)
    routing = check_choice("routing", routing, ROUTINGS)
    seed = check_int("seed", seed, 0, mask(64))
    reuse = check_bool("reuse", reuse)
    if method == "direct" and bits > src_width:
        raise ParameterError(f"src_width must be >= {bits_label} = {bits} for method=direct (a "
                             f"number is the low {bits_label} bits of one source word), not {src_width}")
    if not reuse:
        if method == "multi_lsb" and lanes * bits > sources:
            raise ParameterError(
                f"sources must be >= lanes * {bits_label} = {lanes * bits} for method=multi_lsb "
                f"without reuse (every bit takes the LSB of its own source word), not {sources}; "
                f"add sources, lower lanes or {bits_label}, or set reuse=1")
        if method == "direct" and lanes > sources:
            raise ParameterError(
                f"sources must be >= lanes = {lanes} for method=direct without reuse (every lane "
                f"takes its own source word), not {sources}; add sources, lower lanes, or set reuse=1")
    mapping = _check_mapping(mapping, bits, bits_label)
    if avoid_own and (sources != lanes or lanes < 2):
        raise ParameterError(
            f"lanes must be >= 2 when the source words are the lanes' own values (source_bus=x), "
            f"not {lanes}: a single lane would round with bits of the very value it rounds; "
            f"use source_bus=port")
    return ExtractorSpec(sources, src_width, lanes, bits, method, routing, mapping, seed, reuse,
                         avoid_own)


def _check_mapping(mapping, bits, bits_label):
    if mapping is None:
        return None
    if isinstance(mapping, (str, bytes)) or not hasattr(mapping, "__iter__"):
        raise ParameterError(f"mapping must be a sequence of integers or None, not {mapping!r}")
    if bits > MAX_MAPPING_BITS:
        raise ParameterError(f"mapping needs {bits_label} <= {MAX_MAPPING_BITS} (it is a "
                             f"2^{bits_label}-entry table per lane), not {bits}")
    values = tuple(check_int("mapping", v) for v in mapping)
    size = 1 << bits
    if len(values) != size:
        raise ParameterError(f"mapping must list 2^{bits_label} = {size} values (a permutation of "
                             f"0..{size - 1}), not {len(values)}")
    counts = np.bincount([v for v in values if 0 <= v < size], minlength=size)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        extra = sorted({v for v in values if not 0 <= v < size} |
                       set(np.flatnonzero(counts > 1).tolist()))
        raise ParameterError(f"mapping must be a permutation of 0..{size - 1}: "
                             f"{int(missing[0])} is missing and {extra[0]} is "
                             f"{'repeated' if 0 <= extra[0] < size else 'out of range'}")
    return values


def static_routing(sources, lanes, bits, method, seed, reuse=False, src_width=16):
    """The documented wiring of static routing.

    Returns
    -------
    ndarray of int64, shape (lanes, bits)
        ``route[i, b]`` is the ``src`` bus bit position (``word * src_width + bit``) that drives
        bit b of lane i's number (before ``mapping``): for ``multi_lsb`` always bit 0 of a word,
        for ``direct`` bit b of one word per lane.

    Raises
    ------
    ParameterError
        For configurations the no-sharing rule refuses (see the module docstring).
    """
    return check_extractor(sources, src_width, lanes, bits, method, "static", None, seed,
                           reuse).static_routing()


def _raw_words(words, src_width, name="words"):
    """Low ``src_width`` bits (two's complement for negative values) as ``uint64``."""
    words = np.asarray(words)
    if not np.issubdtype(words.dtype, np.integer):
        raise ParameterError(f"{name} must hold integers, not {words.dtype}")
    if words.ndim != 2:
        raise ParameterError(f"{name} must be 2-D (samples, sources), not of shape {words.shape}")
    # Casting a signed integer to uint64 wraps modulo 2^64: the two's-complement bits.
    return words.astype(np.uint64) & np.uint64(mask(src_width))


def _numbers(raw, selects, spec):
    """Numbers of every lane, before mapping.

    ``raw``: (samples, sources) uint64 words; ``selects``: (1 or samples, spec.selects) word
    indices (one row: the same routing for every sample).
    """
    samples, k = raw.shape[0], spec.bits

    def pick(values, cols):              # values[t, cols[t, j]] for every t, j
        if cols.shape[0] == 1:
            return values[:, cols[0]]
        return np.take_along_axis(values, cols, axis=1)

    if spec.method == "direct":
        return pick(raw, selects) & np.uint64(mask(k))
    lsb = raw & np.uint64(1)
    numbers = np.zeros((samples, spec.lanes), dtype=np.uint64)
    for b in range(k):                   # bit b of lane i: select i*k + b
        numbers |= pick(lsb, selects[:, b::k]) << np.uint64(b)
    return numbers


def _mapped(numbers, spec):
    if spec.mapping is None:
        return numbers
    return np.asarray(spec.mapping, dtype=np.uint64)[numbers]


def extract_numbers(words, bits, method, lanes, seed, mapping=None, reuse=False, src_width=16):
    """Numbers that static routing extracts from ``words``, vectorized over samples.

    This is the rule of ``lsb_extractor`` (static routing) with the register left out; it is
    also what the randomness analyses apply to recorded tensors.

    Parameters
    ----------
    words : array_like of int, shape (samples, sources)
        Source words; only their low ``src_width`` bits count (two's complement for negative
        values). A tensor is reshaped by the caller so that a row is one cycle's source bus.
    bits, method, lanes, seed, mapping, reuse, src_width
        As for the design.

    Returns
    -------
    ndarray of uint64, shape (samples, lanes)
    """
    words = np.asarray(words)
    sources = words.shape[1] if words.ndim == 2 else None
    if sources is None:
        raise ParameterError(f"words must be 2-D (samples, sources), not of shape {words.shape}")
    spec = check_extractor(sources, src_width, lanes, bits, method, "static", mapping, seed, reuse)
    raw = _raw_words(words, spec.src_width)
    return _mapped(_numbers(raw, spec.static_selects()[None, :], spec), spec)


def check_mapping(mapping, bits):
    """Validate a mapping for ``bits``-bit numbers (``None`` allowed); return it as a tuple."""
    return _check_mapping(mapping, check_int("bits", bits, 1, MAX_BITS), "bits")


def stream_sources(method, lanes, bits):
    """Source words one cycle of :func:`extract_stream` consumes: ``lanes * bits`` or ``lanes``."""
    method = check_choice("method", method, METHODS)
    return lanes * bits if method == "multi_lsb" else lanes


def extract_stream(words, bits, method, lanes=16, seed=1, mapping=None, src_width=8):
    """Numbers a static-routing extractor takes from a stream of words, one cycle after another.

    The stream is cut into cycles of :func:`stream_sources` consecutive words (a leftover
    shorter than one cycle is dropped), each cycle is the ``src`` bus of an extractor with
    exactly that many sources and no reuse (every word feeds one number: ``multi_lsb`` takes
    its LSB, ``direct`` its ``bits`` low bits), and the numbers come out cycle by cycle, lane
    0 first. This is how the randomness analyses apply ``lsb_extractor`` to recorded tensors.

    Parameters
    ----------
    words : array_like of int, 1-D
        Source words in stream order (two's complement for negative values).
    bits, method, lanes, seed, mapping, src_width
        As for the design (``direct`` needs ``bits <= src_width``).

    Returns
    -------
    ndarray of uint64, 1-D
        ``lanes`` numbers per complete cycle.
    """
    words = np.asarray(words)
    if words.ndim != 1:
        raise ParameterError(f"words must be 1-D (a stream), not of shape {words.shape}")
    sources = stream_sources(method, check_int("lanes", lanes, 1, MAX_LANES),
                             check_int("bits", bits, 1, MAX_BITS))
    cycles = words.size // sources
    rows = words[:cycles * sources].reshape(cycles, sources)
    return extract_numbers(rows, bits, method, lanes, seed, mapping, src_width=src_width).ravel()


def runtime_selects(spec, rst, cfg_en, cfg_addr, cfg_data, state=None):
    """The select registers in every cycle, for runtime routing (rules in the module docstring).

    Parameters
    ----------
    spec : ExtractorSpec
    rst, cfg_en, cfg_addr, cfg_data : ndarray, shape (cycles,)
    state : dict, optional
        Chunked runs (:mod:`stochhw.models.clocked`): ``state["selects"]`` holds the select
        registers when the chunk starts and is replaced by their content after its last edge.

    Returns
    -------
    ndarray of int64, shape (cycles, spec.selects)
    """
    rst = np.asarray(rst).astype(bool)
    addr = np.asarray(cfg_addr).astype(np.int64)
    data = np.asarray(cfg_data).astype(np.int64)
    valid = np.asarray(cfg_en).astype(bool) & (addr < spec.selects) & (data < spec.sources)
    init = spec.static_selects().tolist()
    sel = list(state["selects"]) if state is not None and "selects" in state else init
    rows, starts = [sel], [0]            # rows[r] holds from cycle starts[r] on
    # A Python loop over the cycles that can change something: writes are sequential by nature.
    for t in np.flatnonzero(rst | valid).tolist():
        if rst[t]:
            new = init
        else:
            a, d = int(addr[t]), int(data[t])
            if sel[a] == d:
                continue
            new = list(sel)
            if not spec.reuse and d in sel:
                new[sel.index(d)] = sel[a]   # swap: selects are distinct, one holds d
            new[a] = d
        sel = new
        rows.append(sel)
        starts.append(t + 1)
    if state is not None:
        state["selects"] = tuple(sel)
    which = np.searchsorted(starts, np.arange(rst.size), side="right") - 1
    return np.array(rows, dtype=np.int64)[which]


class LSBExtractorModel:
    """Model of :class:`stochhw.hw.lsb_extractor.LSBExtractor`.

    Parameters
    ----------
    sources, src_width, lanes, bits, method, routing, mapping, seed, reuse
        As for the component (rules in the module docstring).

    Ports (stimulus / result keys)
    ------------------------------
    rst : input
    src : input, ``sources`` lanes of ``src_width`` bits
    cfg_en, cfg_addr, cfg_data : inputs, with ``routing="runtime"`` only
    rnd : output, ``lanes`` lanes of ``bits`` bits; registered (latency 1), reset to 0.
    """

    def __init__(self, sources=128, src_width=16, lanes=16, bits=8, method="multi_lsb",
                 routing="static", mapping=None, seed=1, reuse=False, *, spec=None):
        # ``spec``: an already checked ExtractorSpec (gf_rounding passes its own).
        self.spec = spec if spec is not None else check_extractor(
            sources, src_width, lanes, bits, method, routing, mapping, seed, reuse)

    def selects(self, stim, state=None):
        """Select values: one row (static) or one row per cycle (runtime)."""
        if self.spec.routing == "static":
            return self.spec.static_selects()[None, :]
        return runtime_selects(self.spec, stim["rst"][:, 0], stim["cfg_en"][:, 0],
                               stim["cfg_addr"][:, 0], stim["cfg_data"][:, 0], state)

    def numbers(self, stim, state=None):
        """The combinational numbers of every cycle (before the output register)."""
        raw = _raw_words(stim["src"], self.spec.src_width, "src")
        return _mapped(_numbers(raw, self.selects(stim, state), self.spec), self.spec)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"src": self.spec.sources}, "lsb_extractor")
        return {"rnd": register(self.numbers(stim, state), stim["rst"][:, 0], state=state, key="rnd")}


class GFRoundingModel(_RoundingModel):
    """Model of :class:`stochhw.hw.gf_rounding.GFRounding`: an extractor feeding ``sru_array``.

    Lane i computes ``y = sat(floor((x + rnd) / 2^k))`` (:mod:`stochhw.models.sru`) with ``rnd`` the
    number the extractor gives lane i in the same cycle, ``k = in_width - out_width`` bits.
    The source words are the raw bits of the ``x`` lanes (``source_bus="x"``: ``sources =
    lanes``, ``src_width = in_width``; the ``sources``/``src_width`` parameters are then
    unused) or the ``src`` port (``source_bus="port"``). ``y`` is registered: latency 1.

    ``reuse`` defaults to on here: on its own x bus, ``multi_lsb`` has only ``lanes`` LSBs for
    ``lanes * k`` bits, so every LSB feeds k bits (of k different lanes while ``lanes > k``).

    On its own x bus a lane must never round with bits of its own value: its number would then
    be correlated with the fraction it rounds, which biases the rounding by up to half an
    output step at some fractions (``stochhw analyze extraction`` measures it). The static
    assignment (and the reset value of runtime selects) is therefore *circulant* there::

        offset = 1 + seeded_permutation(lanes - 1, seed)     # distinct, nonzero
        multi_lsb: bit b of lane i is the LSB of x[(i + offset[b mod (lanes-1)]) mod lanes]
        direct:    lane i is the k low bits of x[(i + o) mod lanes], o the first offset
                   with 2 * o != lanes (offset[0] when lanes = 2)

    so no lane reads its own word, every word feeds exactly one bit position of k lanes (one
    lane for ``direct``), and no two lanes get the same number. ``direct`` also avoids the
    half-way offset, which would pair two lanes on each other's word into one rounding
    decision. Lanes still share source bits at different bit positions (``multi_lsb``), so
    their numbers are correlated (``stochhw analyze extraction`` measures by how much). With
    ``lanes <= k`` a lane's k bits repeat words (its number then takes fewer than 2^k values);
    one lane alone is refused. Runtime writes may still route a lane to its own word: that is
    the user's call.
    """

    def __init__(self, lanes=16, in_width=16, out_width=8, saturate=True, method="multi_lsb",
                 routing="static", mapping=None, seed=1, reuse=True, source_bus="x",
                 sources=64, src_width=16):
        self.lanes = check_int("lanes", lanes, 1, MAX_LANES)
        self.in_width, self.out_width, self.k = check_widths(in_width, out_width)
        self.saturate = check_bool("saturate", saturate)
        self.source_bus = check_choice("source_bus", source_bus, SOURCE_BUSES)
        if self.source_bus == "x":
            # Unused, but still numbers.
            check_int("sources", sources, 1, MAX_SOURCES)
            check_int("src_width", src_width, 1, MAX_SRC_WIDTH)
            sources, src_width = self.lanes, self.in_width
            if (method == "multi_lsb" and self.lanes * self.k > self.lanes
                    and not check_bool("reuse", reuse)):
                raise ParameterError(
                    f"reuse must be 1 for method=multi_lsb on source_bus=x with k = in_width - "
                    f"out_width = {self.k} > 1: the x bus holds lanes = {self.lanes} LSBs for "
                    f"lanes * k = {self.lanes * self.k} bits; set reuse=1, method=direct or "
                    f"source_bus=port")
        self.spec = check_extractor(sources, src_width, self.lanes, self.k, method, routing,
                                    mapping, seed, reuse, bits_label="k",
                                    avoid_own=self.source_bus == "x")
        self.extractor = LSBExtractorModel(spec=self.spec)

    def rnd(self, stim, state=None):
        """The random number of every lane in every cycle (combinational)."""
        words = stim["x"] if self.source_bus == "x" else stim["src"]
        return self.extractor.numbers(dict(stim, src=words), state)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        self._check(stim, ("x",))
        if self.source_bus == "port":
            check_lanes(stim, {"src": self.spec.sources}, "gf_rounding")
        rnd = self.rnd(stim, state)
        return self._round_registered(stim, lambda a, b: rnd[a:b], state)
