"""Generator-free training in a closed loop: the network's own tensors feed its stochastic rounding.

The random numbers of every stochastic rounding at training step t are taken, by the extractor
models themselves, from tensors of the network being trained, so that the rule trained with is
the rule the hardware would apply:

* :class:`ExtractedSource`, a tensor of step t - 1 through ``lsb_extractor``: the codes one
  tensor (``kind`` weight, activation, error or gradient, of one ``layer``) held at the end of
  step t - 1 sit in a source memory; every rounding of step t streams that memory past a
  static-routing ``lsb_extractor`` of ``lanes`` lanes (:func:`stochhw.models.extractor.extract_stream`,
  Method #1 ``direct`` or Method #2 ``multi_lsb``, optional number ``mapping``), one cycle per
  ``lanes`` elements to round. Weights are the one tensor the hardware holds throughout step t
  already: the codes "of step t - 1" are the weights step t - 1 stored, which step t starts from.
* :class:`OwnValuesSource`, the values of step t themselves, through ``gf_rounding`` on its own
  ``x`` bus (``source_bus="x"``): each cycle rounds ``lanes`` wide values with numbers taken
  from the other lanes' values of the same cycle, with the circulant wiring of
  :class:`stochhw.models.extractor.GFRoundingModel`.

Both are :class:`stochhw.models.ml.random_sources.RandomSource` objects, given to
:func:`stochhw.models.ml.training.train` in place of a generator; the training loop tells them
when a step starts and shows them every tensor it stores.

Source memory and its read pointer (:class:`ExtractedSource`). At the start of step t the
memory holds the tensor's codes in C order, ``S`` words of ``code_bits`` bits (two's complement).
A cycle reads ``W = stream_sources(method, lanes, bits)`` consecutive words (``lanes * bits``
for ``multi_lsb``, ``lanes`` for ``direct``) at a read pointer that starts at word 0 with every
step and wraps around the end of the memory; a rounding of ``n`` elements takes ``ceil(n /
lanes)`` cycles (the unused lanes of its last cycle are discarded), and the next rounding
continues at the next cycle. A step draws far more numbers than one pass over a small tensor
holds, so the memory is read several times per step: :attr:`ExtractedSource.passes_per_step`
says how many. Whether a pass repeats the previous one exactly depends on ``S mod W``:
``direct`` with ``S`` a multiple of ``lanes`` repeats its numbers exactly, ``multi_lsb`` with
``S`` not a multiple of ``W`` regroups the same bits into other numbers. Before step 0 the
memory holds the initial weights (weight sources) or zeros (every other tensor: the memory's
reset value), which gives the number 0 (``mapping[0]`` with a mapping) for that one step.

Both sources count every number they hand out in :attr:`histogram` (after mapping), which
gives the entropy and the rounding bias of what the network actually rounded with.
"""

import dataclasses

import numpy as np

from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.extractor import METHODS, GFRoundingModel, extract_stream, stream_sources
from stochhw.models.ml.random_sources import RandomSource
from stochhw.models.ml.training import TENSOR_KINDS, TrainingConfig
from stochhw.models.stats.mapping import even_middle_mapping, paper_mapping

__all__ = ["MAPPINGS", "LAYER_NAMES", "SOURCE_TENSORS", "ExtractedSource", "OwnValuesSource",
           "ClosedLoop", "layer_index", "mapping_table"]

#: Number mappings of the closed-loop sources: none, the paper's table
#: (:func:`stochhw.models.stats.mapping.paper_mapping`) and the paper's selection rule
#: (:func:`stochhw.models.stats.mapping.even_middle_mapping`).
MAPPINGS = ("none", "paper", "even_middle")
#: Named layers: the first, the middle (``(L - 1) // 2``) and the last of L layers.
LAYER_NAMES = ("first", "middle", "last")
#: What a closed-loop source may take its numbers from: a recorded tensor kind, or ``"own"``
#: (the values being rounded, :class:`OwnValuesSource`).
SOURCE_TENSORS = (*TENSOR_KINDS, "own")
#: Default lanes of the extractor / rounding array (as the extraction analyses use it).
DEFAULT_LANES = 16


def mapping_table(name, bits):
    """The permutation that mapping ``name`` (one of :data:`MAPPINGS`) applies to ``bits``-bit numbers.

    Returns ``None`` for ``"none"``.
    """
    name = check_choice("mapping", name, MAPPINGS)
    if name == "none":
        return None
    if name == "paper":
        if bits < 3:
            raise ParameterError(f"mapping 'paper' needs numbers of at least 3 bits (its table "
                                 f"is 3-bit), not {bits}")
        return paper_mapping(bits)
    return even_middle_mapping(bits)


def layer_index(layer, n_layers):
    """A layer given as an index or as ``"first"``, ``"middle"`` or ``"last"``, as an index."""
    n_layers = check_int("n_layers", n_layers, 1)
    if isinstance(layer, str):
        layer = check_choice("layer", layer, LAYER_NAMES)
        return {"first": 0, "middle": (n_layers - 1) // 2, "last": n_layers - 1}[layer]
    return check_int("layer", layer, 0, n_layers - 1)


class _CountingSource(RandomSource):
    """A source that counts what it hands out; it never draws blindly.

    :attr:`histogram` counts every number handed out. :attr:`repeat_fraction` is the share of
    roundings that got the same number as the same rounding (same tensor, same element) of the
    previous step: ``2^-bits`` for a source without memory, near 1 for numbers that hardly
    change from step to step, which then round every element the same way step after step.
    """

    def __init__(self, bits):
        super().__init__(bits)
        self.histogram = np.zeros(1 << self.bits, dtype=np.int64)
        self._this_step, self._last_step = [], None
        self._repeats = self._compared = 0

    def _hand_out(self, numbers):
        numbers = numbers.astype(np.int64)
        self.histogram += np.bincount(numbers, minlength=self.histogram.size)
        self.drawn += numbers.size
        self._this_step.append(numbers)
        return numbers

    def start_step(self, step):
        if self._this_step:
            numbers = np.concatenate(self._this_step)
            if self._last_step is not None and self._last_step.size == numbers.size:
                self._repeats += int(np.count_nonzero(numbers == self._last_step))
                self._compared += numbers.size
            self._last_step, self._this_step = numbers, []

    @property
    def repeat_fraction(self):
        """Share of roundings whose number equals the previous step's at the same position
        (over the completed steps; ``nan`` before two steps have completed)."""
        return self._repeats / self._compared if self._compared else float("nan")

    def draw(self, n):
        raise ParameterError(f"{type(self).__name__} gives numbers only to the roundings of a "
                             f"training run (numbers_for), not on their own")


class ExtractedSource(_CountingSource):
    """Numbers an ``lsb_extractor`` takes at step t from one tensor's codes of step t - 1.

    Rules in the module docstring.

    Parameters
    ----------
    bits : int
        k, the width of every number (the training's ``rnd_bits``), 1..8 and
        ``<= code_bits`` for ``direct``.
    kind : {"weight", "activation", "error", "gradient"}
        The tensor read.
    layer : int
        Its layer, 0 = first.
    code_bits : int
        Width of the tensor's codes (the training's ``bits``), 2..8: the extractor's
        ``src_width``.
    method : {"multi_lsb", "direct"}
        Method #2 (each number from the LSBs of k words) or Method #1 (the k low bits of one).
    lanes : int
        Numbers per extractor cycle.
    seed : int
        Seed of the extractor's static routing.
    mapping : sequence of int, optional
        A permutation of ``0 .. 2^bits - 1`` applied to every number (``lsb_extractor``'s
        ``mapping``).
    """

    kind = "extracted"

    def __init__(self, bits, *, kind, layer, code_bits=8, method="multi_lsb",
                 lanes=DEFAULT_LANES, seed=1, mapping=None):
        super().__init__(bits)
        self.tensor = check_choice("kind", kind, TENSOR_KINDS)
        self.layer = check_int("layer", layer, 0)
        self.code_bits = check_int("code_bits", code_bits, 2, 8)
        self.method = check_choice("method", method, METHODS)
        self.lanes = check_int("lanes", lanes, 1)
        self.seed = check_int("seed", seed, 0)
        if self.method == "direct" and self.bits > self.code_bits:
            raise ParameterError(f"bits must be <= code_bits = {self.code_bits} for method=direct "
                                 f"(a number is the low bits of one code), not {self.bits}")
        self.mapping = None if mapping is None else tuple(mapping)
        self.words_per_cycle = stream_sources(self.method, self.lanes, self.bits)
        # Checks the whole configuration once, with the extractor's own messages.
        self._extract(np.zeros(self.words_per_cycle, dtype=np.int8))
        self._latest = None          # codes of the tensor as last stored
        self._memory = None          # what step t reads: the codes latched at its start
        self._cycle = 0              # read pointer, in cycles
        self._numbers = np.empty((0, self.lanes), dtype=np.int64)    # cycles extracted so far
        self._expected_cycles = 0    # cycles the previous step took
        self._steps = 0
        self._counted = False        # whether this step's memory is a tensor (not the reset)
        self._words_read = 0
        self._words_held = 0

    def _extract(self, words):
        return extract_stream(words, bits=self.bits, method=self.method, lanes=self.lanes,
                              seed=self.seed, mapping=self.mapping, src_width=self.code_bits)

    def observe(self, kind, layer, codes):
        if kind == self.tensor and layer == self.layer:
            self._latest = np.array(codes, dtype=np.int8).ravel()

    def start_step(self, step):
        super().start_step(step)
        self._close_step()
        self._counted = self._latest is not None
        if self._latest is None:
            # The memory's reset value; its size is irrelevant, every word reads 0.
            self._memory = np.zeros(self.words_per_cycle, dtype=np.int8)
        else:
            self._memory = self._latest
            self._words_held += self._memory.size
        self._cycle = 0
        self._numbers = np.empty((0, self.lanes), dtype=np.int64)
        self._steps += 1

    def _close_step(self):
        """Book the step that ends: its cycles, and its reads if it read a tensor."""
        if self._steps:
            self._expected_cycles = max(self._expected_cycles, self._cycle)
            if self._counted:
                self._words_read += self._cycle * self.words_per_cycle
            self._cycle = 0

    def _cycles(self, start, count):
        """The numbers of cycles ``start .. start + count - 1`` of this step, (count, lanes)."""
        end = start + count
        if end > self._numbers.shape[0]:
            # Extract up to the previous step's total at once: one extractor call per step.
            first, last = self._numbers.shape[0], max(end, self._expected_cycles)
            w = self.words_per_cycle
            index = (first * w + np.arange((last - first) * w)) % self._memory.size
            fresh = self._extract(self._memory[index]).astype(np.int64).reshape(-1, self.lanes)
            self._numbers = np.concatenate([self._numbers, fresh])
        return self._numbers[start:end]

    def numbers_for(self, wide):
        if self._memory is None:
            raise ParameterError("start_step must be called before the first rounding")
        n = np.asarray(wide).size
        count = -(-n // self.lanes)
        numbers = self._cycles(self._cycle, count).ravel()[:n]
        self._cycle += count
        return self._hand_out(numbers)

    @property
    def passes_per_step(self):
        """Mean times per step the source memory was read through: words read / words held,
        over the steps that read a tensor (not the reset memory of a step 0)."""
        read = self._words_read + (self._cycle * self.words_per_cycle if self._counted else 0)
        return read / self._words_held if self._words_held else 0.0

    def describe(self):
        mapping = "" if self.mapping is None else ", mapped"
        return (f"lsb_extractor {self.method} ({self.lanes} lanes, seed {self.seed}{mapping}) on "
                f"the {self.tensor} codes of layer {self.layer} of the previous step")


class OwnValuesSource(_CountingSource):
    """Numbers ``gf_rounding`` takes from the values it rounds (its own ``x`` bus).

    Every rounding of ``n`` wide values (``code_bits + bits`` bits each, as
    :func:`stochhw.models.ml.training.quantize` forms them) is cut into cycles of ``lanes``
    values (the last cycle padded with zeros); a
    :class:`stochhw.models.extractor.GFRoundingModel` with ``source_bus="x"``,
    ``in_width = code_bits + bits`` and ``out_width = code_bits`` gives each lane its number
    from the other lanes' values of the same cycle.

    Parameters
    ----------
    bits : int
        k, the width of every number (the training's ``rnd_bits``).
    code_bits : int
        Width of the rounded codes (the training's ``bits``), 2..8.
    method, lanes, seed, mapping
        As for ``gf_rounding`` (``lanes >= 2``: one lane alone would read its own value).
    """

    kind = "own"

    def __init__(self, bits, *, code_bits=8, method="multi_lsb", lanes=DEFAULT_LANES, seed=1,
                 mapping=None):
        super().__init__(bits)
        self.code_bits = check_int("code_bits", code_bits, 2, 8)
        self.method = check_choice("method", method, METHODS)
        self.lanes = check_int("lanes", lanes, 2)
        self.seed = check_int("seed", seed, 0)
        self.mapping = None if mapping is None else tuple(mapping)
        self.model = GFRoundingModel(lanes=self.lanes, in_width=self.code_bits + self.bits,
                                     out_width=self.code_bits, method=self.method,
                                     mapping=self.mapping, seed=self.seed, reuse=True,
                                     source_bus="x")

    def numbers_for(self, wide):
        wide = np.asarray(wide, dtype=np.int64).ravel()
        n = wide.size
        rows = np.zeros(-(-n // self.lanes) * self.lanes, dtype=np.int64)
        rows[:n] = wide
        numbers = self.model.rnd({"x": rows.reshape(-1, self.lanes)}).ravel()[:n]
        return self._hand_out(numbers)

    def describe(self):
        mapping = "" if self.mapping is None else ", mapped"
        return (f"gf_rounding {self.method} on its own x bus ({self.lanes} lanes, seed "
                f"{self.seed}{mapping})")


@dataclasses.dataclass(frozen=True)
class ClosedLoop:
    """One closed-loop source configuration, buildable for any :class:`TrainingConfig`.

    Attributes
    ----------
    tensor : str
        One of :data:`SOURCE_TENSORS`.
    layer : int or str or None
        For a tensor kind: an index or ``"first"``, ``"middle"``, ``"last"``; ``None`` for
        ``"own"``.
    method : {"multi_lsb", "direct"}
    mapping : {"none", "paper", "even_middle"}
    lanes, seed : int
        The extractor's lanes and routing seed.
    """

    tensor: str = "gradient"
    layer: object = "middle"
    method: str = "multi_lsb"
    mapping: str = "none"
    lanes: int = DEFAULT_LANES
    seed: int = 1

    def __post_init__(self):
        check_choice("tensor", self.tensor, SOURCE_TENSORS)
        if self.tensor == "own":
            if self.layer is not None:
                raise ParameterError(f"layer must be None for tensor 'own' (the values being "
                                     f"rounded), not {self.layer!r}")
        elif isinstance(self.layer, str):
            check_choice("layer", self.layer, LAYER_NAMES)
        else:
            check_int("layer", self.layer, 0)
        check_choice("method", self.method, METHODS)
        check_choice("mapping", self.mapping, MAPPINGS)
        check_int("lanes", self.lanes, 2 if self.tensor == "own" else 1)
        check_int("seed", self.seed, 0)

    @property
    def label(self):
        """A short name, e.g. ``"gradient[middle] multi_lsb"``."""
        where = "own values" if self.tensor == "own" else f"{self.tensor}[{self.layer}]"
        mapped = "" if self.mapping == "none" else f", {self.mapping} mapping"
        return f"{where} {self.method}{mapped}"

    def build(self, config):
        """The :class:`ExtractedSource` or :class:`OwnValuesSource` for a training ``config``."""
        if not isinstance(config, TrainingConfig):
            raise ParameterError(f"config must be a TrainingConfig, not {type(config).__name__}")
        mapping = mapping_table(self.mapping, config.rnd_bits)
        common = dict(code_bits=config.bits, method=self.method, lanes=self.lanes,
                      seed=self.seed, mapping=mapping)
        if self.tensor == "own":
            return OwnValuesSource(config.rnd_bits, **common)
        layer = layer_index(self.layer, len(config.layers) - 1)
        return ExtractedSource(config.rnd_bits, kind=self.tensor, layer=layer, **common)

