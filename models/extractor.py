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
:attr:`LSBExtractorSpec.static_selects` holds the result and
:attr:`LSBExtractorSpec.static_routing` every wire it gives.

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
import functools

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.clocked import check_lanes, register
from stochhw.models.seeds import splitmix64
from stochhw.models.spec import Spec, Specified, param, spec_from
from stochhw.models.sru import (
    MAX_LANES,
    SOURCES,
    SRUArraySpec,
    _in_width,
    _out_width,
    _RoundingModel,
    _RoundingSpec,
    _saturate,
)

__all__ = [
    "METHODS", "ROUTINGS", "SOURCE_BUSES", "MAX_SOURCES", "MAX_SRC_WIDTH", "MAX_BITS",
    "MAX_MAPPING_BITS", "seeded_permutation", "LSBExtractorSpec", "GFExtractorSpec",
    "GFRoundingSpec", "extract_numbers", "runtime_selects", "LSBExtractorModel",
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


def _frozen(array):
    """``array``, read-only: a spec's derived tables are shared by everyone who reads them."""
    array.flags.writeable = False
    return array


# The parameters lsb_extractor and gf_rounding share, declared once.
def _method():
    return param("multi_lsb", "multi_lsb: LSBs of k words; direct: k low bits of one word",
                 choices=METHODS)


def _routing():
    return param("static", "static: seeded wiring; runtime: select registers on cfg_*",
                 choices=ROUTINGS)


def _mapping(bits):
    return param(None, f"permutation of 0..2^{bits}-1 applied to each number ({bits} <= "
                       f"{MAX_MAPPING_BITS}); none", kind="ints", lo=0, hi=mask(MAX_MAPPING_BITS))


def _seed():
    return param(1, "seed of the static assignment", lo=0, hi=mask(64))


@dataclasses.dataclass(frozen=True, kw_only=True)
class LSBExtractorSpec(Spec):
    """Parameters of ``lsb_extractor`` (:class:`stochhw.hw.lsb_extractor.LSBExtractor`,
    :class:`LSBExtractorModel`), with the wiring they give (rules in the module docstring)."""
    sources: int = param(128, "source words on src", lo=1, hi=MAX_SOURCES)
    src_width: int = param(16, "bits per source word", lo=1, hi=MAX_SRC_WIDTH)
    lanes: int = param(16, "output numbers", lo=1, hi=MAX_LANES)
    bits: int = param(8, "bits k per number", lo=1, hi=MAX_BITS)
    method: str = _method()
    routing: str = _routing()
    mapping: tuple = _mapping("bits")
    seed: int = _seed()
    reuse: bool = param(False, "allow one source bit to feed several bits (wrap around)")

    #: How messages name the number width (``gf_rounding`` calls it k).
    BITS = "bits"
    #: The circulant assignment for a bus of the lanes' own values (:class:`GFExtractorSpec`).
    avoid_own = False

    def validate(self):
        bits = self.BITS
        if self.method == "direct" and self.bits > self.src_width:
            raise ParameterError(f"src_width must be >= {bits} = {self.bits} for method=direct (a "
                                 f"number is the low {bits} bits of one source word), not {self.src_width}")
        if not self.reuse:
            if self.method == "multi_lsb" and self.lanes * self.bits > self.sources:
                raise ParameterError(
                    f"sources must be >= lanes * {bits} = {self.lanes * self.bits} for method=multi_lsb "
                    f"without reuse (every bit takes the LSB of its own source word), not {self.sources}; "
                    f"add sources, lower lanes or {bits}, or set reuse=1")
            if self.method == "direct" and self.lanes > self.sources:
                raise ParameterError(
                    f"sources must be >= lanes = {self.lanes} for method=direct without reuse (every lane "
                    f"takes its own source word), not {self.sources}; add sources, lower lanes, or set reuse=1")
        _check_permutation(self.mapping, self.bits, bits)

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

    @functools.cached_property
    def static_selects(self):
        """Source word index of every select in the static assignment (read-only int64 array)."""
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
            return _frozen(((lane + picks) % self.lanes).reshape(-1))
        perm = seeded_permutation(self.sources, self.seed)
        return _frozen(perm[np.arange(self.selects) % self.sources])

    @functools.cached_property
    def static_routing(self):
        """``route[i, b]``: the ``src`` bus bit (``word * src_width + bit``) that drives bit b of
        lane i's number before ``mapping`` in the static assignment: for ``multi_lsb`` always
        bit 0 of a word, for ``direct`` bit b of one word per lane (read-only int64 array,
        shape (lanes, bits)). This is the wiring of ``routing="static"``."""
        sel = self.static_selects
        if self.method == "multi_lsb":
            return _frozen(sel.reshape(self.lanes, self.bits) * self.src_width)
        return _frozen(sel[:, None] * self.src_width + np.arange(self.bits)[None, :])


@dataclasses.dataclass(frozen=True, kw_only=True)
class GFExtractorSpec(LSBExtractorSpec):
    """The extractor inside ``gf_rounding`` (:attr:`GFRoundingSpec.extractor`): an
    :class:`LSBExtractorSpec` whose number width is k, and, on the ``x`` bus, the circulant
    assignment (see :class:`GFRoundingModel`). Not a registered design."""
    avoid_own: bool = param(False, "circulant assignment: no lane reads its own word "
                                   "(the source words are the lanes' own values)")

    BITS = "k"

    def validate(self):
        super().validate()
        if self.avoid_own and (self.sources != self.lanes or self.lanes < 2):
            raise ParameterError(
                f"lanes must be >= 2 when the source words are the lanes' own values (source_bus=x), "
                f"not {self.lanes}: a single lane would round with bits of the very value it rounds; "
                f"use source_bus=port")


@dataclasses.dataclass(frozen=True, kw_only=True)
class GFRoundingSpec(_RoundingSpec):
    """Parameters of ``gf_rounding`` (:class:`stochhw.hw.gf_rounding.GFRounding`,
    :class:`GFRoundingModel`); its extractor and rounding array are derived specs."""
    lanes: int = param(16, "number of lanes (>= 2 on source_bus=x)", lo=1, hi=MAX_LANES)
    in_width: int = _in_width()
    out_width: int = _out_width()
    saturate: bool = _saturate()
    method: str = _method()
    routing: str = _routing()
    mapping: tuple = _mapping("k")
    seed: int = _seed()
    reuse: bool = param(True, "allow one source bit to feed several bits (needed for multi_lsb "
                              "on the x bus)")
    source_bus: str = param("x", "source words: the x lanes or a src port", choices=SOURCE_BUSES)
    sources: int = param(64, "source words on src (source_bus=port)", lo=1, hi=MAX_SOURCES)
    src_width: int = param(16, "bits per source word (source_bus=port)", lo=1, hi=MAX_SRC_WIDTH)

    def validate(self):
        super().validate()
        if (self.source_bus == "x" and self.method == "multi_lsb" and self.k > 1
                and not self.reuse):
            raise ParameterError(
                f"reuse must be 1 for method=multi_lsb on source_bus=x with k = in_width - "
                f"out_width = {self.k} > 1: the x bus holds lanes = {self.lanes} LSBs for "
                f"lanes * k = {self.lanes * self.k} bits; set reuse=1, method=direct or "
                f"source_bus=port")
        self.extractor                    # its rules, checked now

    @functools.cached_property
    def extractor(self):
        """The extractor's spec: on the ``x`` bus ``sources = lanes`` and ``src_width =
        in_width`` (the ``sources``/``src_width`` parameters are then unused), bits = k."""
        own = self.source_bus == "x"
        return GFExtractorSpec(
            sources=self.lanes if own else self.sources,
            src_width=self.in_width if own else self.src_width,
            lanes=self.lanes, bits=self.k, method=self.method, routing=self.routing,
            mapping=self.mapping, seed=self.seed, reuse=self.reuse, avoid_own=own)

    @functools.cached_property
    def array(self):
        """The rounding lanes: ``sru_array`` with ``source="external"``."""
        return SRUArraySpec(lanes=self.lanes, source="external", in_width=self.in_width,
                            out_width=self.out_width, saturate=self.saturate)


def _check_permutation(mapping, bits, bits_label):
    """Refuse a ``mapping`` (already a tuple of integers >= 0, or None) that is not a
    permutation of ``0 .. 2^bits - 1``."""
    if mapping is None:
        return
    if bits > MAX_MAPPING_BITS:
        raise ParameterError(f"mapping needs {bits_label} <= {MAX_MAPPING_BITS} (it is a "
                             f"2^{bits_label}-entry table per lane), not {bits}")
    size = 1 << bits
    if len(mapping) != size:
        raise ParameterError(f"mapping must list 2^{bits_label} = {size} values (a permutation of "
                             f"0..{size - 1}), not {len(mapping)}")
    counts = np.bincount([v for v in mapping if 0 <= v < size], minlength=size)
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        extra = sorted({v for v in mapping if not 0 <= v < size} |
                       set(np.flatnonzero(counts > 1).tolist()))
        raise ParameterError(f"mapping must be a permutation of 0..{size - 1}: "
                             f"{int(missing[0])} is missing and {extra[0]} is "
                             f"{'repeated' if 0 <= extra[0] < size else 'out of range'}")


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


def extract_numbers(words, spec):
    """Numbers that the static assignment of ``spec`` extracts from ``words``, vectorized over
    samples: the rule of ``lsb_extractor`` with the register left out (and, with
    ``routing="runtime"``, the selects at their reset value).

    Parameters
    ----------
    words : array_like of int, shape (samples, spec.sources)
        Source words; only their low ``src_width`` bits count (two's complement for negative
        values). A tensor is reshaped by the caller so that a row is one cycle's source bus.
    spec : LSBExtractorSpec

    Returns
    -------
    ndarray of uint64, shape (samples, lanes)
    """
    raw = _raw_words(words, spec.src_width)
    if raw.shape[1] != spec.sources:
        raise ParameterError(f"words must have sources = {spec.sources} columns (one per source "
                             f"word), not {raw.shape[1]}")
    return _mapped(_numbers(raw, spec.static_selects[None, :], spec), spec)


def check_mapping(mapping, bits):
    """Validate a mapping for ``bits``-bit numbers (``None`` allowed); return it as a tuple."""
    bits = check_int("bits", bits, 1, MAX_BITS)
    mapping = LSBExtractorSpec.param("mapping").check(mapping)
    _check_permutation(mapping, bits, "bits")
    return mapping


def stream_sources(method, lanes, bits):
    """Source words one cycle of :func:`extract_stream` consumes: ``lanes * bits`` or ``lanes``."""
    method = check_choice("method", method, METHODS)
    return lanes * bits if method == "multi_lsb" else lanes


def extract_stream(words, *, bits, method, lanes, seed, src_width, mapping=None):
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
    bits, method, lanes, seed, src_width, mapping
        As for the design (:class:`LSBExtractorSpec`; ``direct`` needs ``bits <= src_width``).

    Returns
    -------
    ndarray of uint64, 1-D
        ``lanes`` numbers per complete cycle.
    """
    words = np.asarray(words)
    if words.ndim != 1:
        raise ParameterError(f"words must be 1-D (a stream), not of shape {words.shape}")
    lanes = LSBExtractorSpec.param("lanes").check(lanes)
    bits = LSBExtractorSpec.param("bits").check(bits)
    sources = stream_sources(method, lanes, bits)
    spec = LSBExtractorSpec(sources=sources, src_width=src_width, lanes=lanes, bits=bits,
                            method=method, mapping=mapping, seed=seed)
    cycles = words.size // sources
    return extract_numbers(words[:cycles * sources].reshape(cycles, sources), spec).ravel()


def runtime_selects(spec, rst, cfg_en, cfg_addr, cfg_data, state=None):
    """The select registers in every cycle, for runtime routing (rules in the module docstring).

    Parameters
    ----------
    spec : LSBExtractorSpec
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
    init = spec.static_selects.tolist()
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


class LSBExtractorModel(Specified):
    """Model of :class:`stochhw.hw.lsb_extractor.LSBExtractor`.

    Parameters
    ----------
    spec : LSBExtractorSpec, optional
        Or its fields as keyword arguments (rules in the module docstring). ``gf_rounding``
        passes its :class:`GFExtractorSpec`.

    Ports (stimulus / result keys)
    ------------------------------
    rst : input
    src : input, ``sources`` lanes of ``src_width`` bits
    cfg_en, cfg_addr, cfg_data : inputs, with ``routing="runtime"`` only
    rnd : output, ``lanes`` lanes of ``bits`` bits; registered (latency 1), reset to 0.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(LSBExtractorSpec, spec, params)

    def selects(self, stim, state=None):
        """Select values: one row (static) or one row per cycle (runtime)."""
        if self.routing == "static":
            return self.static_selects[None, :]
        return runtime_selects(self.spec, stim["rst"][:, 0], stim["cfg_en"][:, 0],
                               stim["cfg_addr"][:, 0], stim["cfg_data"][:, 0], state)

    def numbers(self, stim, state=None):
        """The combinational numbers of every cycle (before the output register)."""
        raw = _raw_words(stim["src"], self.src_width, "src")
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

    Parameters
    ----------
    spec : GFRoundingSpec, optional
        Or its fields as keyword arguments. The extractor is built from ``spec.extractor``
        (:attr:`extractor_model`).
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(GFRoundingSpec, spec, params)
        self.extractor_model = LSBExtractorModel(self.spec.extractor)

    def rnd(self, stim, state=None):
        """The random number of every lane in every cycle (combinational)."""
        words = stim["x"] if self.source_bus == "x" else stim["src"]
        return self.extractor_model.numbers(dict(stim, src=words), state)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        self._check(stim, ("x",))
        if self.source_bus == "port":
            check_lanes(stim, {"src": self.spec.sources}, "gf_rounding")
        rnd = self.rnd(stim, state)
        return self._round_registered(stim, lambda a, b: rnd[a:b], state)
