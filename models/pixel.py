"""Golden model of ``pixel_extractor``: n-bit random numbers from input pixels and thresholds.

Every lane watches one pixel location. Its ``2^n - 1`` thresholds ``t_1 <= ... <= t_{2^n-1}``
turn the pixel value ``p`` into the n-bit number ``#{j : p >= t_j}`` (a thermometer code,
counted). The thresholds are constants, computed offline from a dataset so that, over that
dataset, the number of each lane follows a target distribution; or they are read from a file.

Dataset: scikit-learn's bundled 8x8 digits (1797 images, values 0..16, no download), scaled to
``pixel_width`` bits as ``p = (v * (2^pixel_width - 1) + 8) // 16`` (round half up).

Pixel locations: the outer ring of the 8x8 image is excluded (the paper excludes borders), and
so is every location whose most frequent (scaled) value occurs in more than half of the images
(nearly constant: its numbers would mostly be one value). The remaining locations (29 at
``pixel_width=8``) are ordered by increasing frequency of their most frequent value (the most
evenly spread first; ties by row-major index); lane i watches location
``eligible_locations(pixel_width)[i]`` (index ``row * 8 + col``).

Target distributions, as the CDF at the inner bin edges ``e_j = j / 2^n``, j = 1 .. 2^n - 1
(number j covers ``[e_j, e_{j+1})`` of [0, 1]):

* ``uniform``: ``C_j = e_j``;
* ``gauss``: a normal distribution of standard deviation ``sigma`` centred on the range mapped
  to [-1, 1] and truncated to it: ``C_j = (Phi((2 e_j - 1) / sigma) - Phi(-1 / sigma)) /
  (Phi(1 / sigma) - Phi(-1 / sigma))``;
* ``beta``: Beta(``alpha``, ``beta``) on [0, 1]: ``C_j = I_{e_j}(alpha, beta)``.

Thresholds: with ``G(v)`` the fraction of images whose pixel at the location is ``< v``,
``t_j`` is the value ``v`` in ``0 .. 2^pixel_width`` that minimizes ``|G(v) - C_j|`` (the
smallest such v). ``2^pixel_width`` is a threshold no pixel reaches: it is needed because the
digits saturate (value 16 is common), and without it the top number could not be made rare. Then ``P(number < j) = G(t_j)``, as close to ``C_j`` as the data allows
(the digits have only 17 levels, so the achieved distribution is a coarse version of the
target: :func:`number_pmf` measures it). The t_j come out sorted because G is monotone.

Threshold files (``thresholds`` parameter): ``.json`` (a list of ``lanes`` lists) or ``.npy``
(an integer array), shape ``(lanes, 2^bits - 1)``, values in ``0 .. 2^pixel_width``, each
row sorted (non-decreasing). A file replaces the dataset; ``distribution``, ``sigma``,
``alpha`` and ``beta`` are then unused.

The output is registered: latency 1, reset clears it to 0.
"""

import dataclasses
import functools
import json
from pathlib import Path

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_array_file, check_int
from stochhw.models.clocked import check_lanes, register
from stochhw.models.spec import Spec, Specified, param, spec_from

__all__ = [
    "DISTRIBUTIONS", "MODE_LIMIT", "MAX_LANES", "digits_pixels", "eligible_locations",
    "target_cdf", "load_thresholds", "pixel_numbers", "number_pmf", "lane_pixels",
    "PixelExtractorSpec", "PixelExtractorModel",
]

DISTRIBUTIONS = ("uniform", "gauss", "beta")
#: A location whose most frequent value occurs in more than this fraction of images is excluded.
MODE_LIMIT = 0.5
SIDE = 8                    # the digits are 8x8
DIGITS_MAX = 16             # digits pixel values are 0..16
MAX_PIXEL_WIDTH = 16
MAX_BITS = 8
#: Lanes with a threshold file (dataset thresholds have one lane per eligible location).
MAX_LANES = 4096


@functools.lru_cache(maxsize=None)
def _digits():
    from sklearn.datasets import load_digits  # late: only the pixel design needs it
    images = load_digits().images                   # (1797, 8, 8) floats holding 0..16
    return images.reshape(len(images), SIDE * SIDE).astype(np.int64)


def digits_pixels(pixel_width=8):
    """The digits scaled to ``pixel_width`` bits: (1797, 64) int64, column ``row * 8 + col``."""
    return (_digits() * mask(pixel_width) + DIGITS_MAX // 2) // DIGITS_MAX


@functools.lru_cache(maxsize=None)
def _eligible(pixel_width):
    pixels = digits_pixels(pixel_width)
    mode = np.array([np.bincount(pixels[:, loc]).max() for loc in range(SIDE * SIDE)]) / len(pixels)
    row, col = np.divmod(np.arange(SIDE * SIDE), SIDE)
    inner = (row > 0) & (row < SIDE - 1) & (col > 0) & (col < SIDE - 1)
    keep = np.flatnonzero(inner & (mode <= MODE_LIMIT))
    return tuple(int(loc) for loc in keep[np.argsort(mode[keep], kind="stable")])


def eligible_locations(pixel_width=8):
    """Pixel locations (``row * 8 + col``) in lane order; see the module docstring."""
    return list(_eligible(check_int("pixel_width", pixel_width, 1, MAX_PIXEL_WIDTH)))


def target_cdf(bits, distribution, *, sigma=None, alpha=None, beta=None):
    """``C_j = P(number < j)`` of the target, j = 1 .. 2^bits - 1 (float64 array).

    ``sigma`` is needed for ``gauss``, ``alpha`` and ``beta`` for ``beta``
    (:class:`PixelExtractorSpec` declares their defaults).
    """
    from scipy.special import betainc, ndtr
    edges = np.arange(1, 1 << bits) / (1 << bits)
    if distribution == "uniform":
        return edges
    needs = {"gauss": {"sigma": sigma}, "beta": {"alpha": alpha, "beta": beta}}[distribution]
    missing = [name for name, value in needs.items() if value is None]
    if missing:
        raise ParameterError(f"{missing[0]} must be given for distribution={distribution}")
    if distribution == "gauss":
        lo, hi = ndtr(-1 / sigma), ndtr(1 / sigma)
        return (ndtr((2 * edges - 1) / sigma) - lo) / (hi - lo)
    return betainc(alpha, beta, edges)


def lane_pixels(lanes, pixel_width=8):
    """Dataset pixels of the locations lanes 0 .. lanes-1 watch: (1797, lanes) int64."""
    return digits_pixels(pixel_width)[:, eligible_locations(pixel_width)[:lanes]]


@functools.lru_cache(maxsize=64)
def _dataset_thresholds(lanes, bits, pixel_width, distribution, sigma, alpha, beta):
    pixels = lane_pixels(lanes, pixel_width)
    levels = 1 << pixel_width
    # below[v, i] = G(v) of lane i, v = 0 .. 2^pixel_width: the fraction of images with a
    # pixel value < v (G(0) = 0, G(2^pixel_width) = 1).
    counts = np.stack([np.bincount(pixels[:, i], minlength=levels) for i in range(lanes)], axis=1)
    below = np.concatenate([np.zeros((1, lanes)), np.cumsum(counts, axis=0)]) / len(pixels)
    cdf = target_cdf(bits, distribution, sigma=sigma, alpha=alpha, beta=beta)
    # argmin takes the first (smallest) v among equally close ones.
    table = np.argmin(np.abs(below[:, :, None] - cdf[None, None, :]), axis=0)
    table.flags.writeable = False                        # shared by the cache
    return table


def load_thresholds(path, lanes, bits, pixel_width):
    """Read and check a threshold file (see the module docstring); (lanes, 2^bits-1) int64."""
    if not isinstance(path, (str, Path)):
        raise ParameterError(f"thresholds must be a file path or None, not {path!r}")
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"thresholds file {str(path)!r} does not exist")
    if path.stat().st_size == 0:
        raise ParameterError(f"thresholds file {str(path)!r} is empty")
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(path.read_text())
            if not isinstance(data, list) or not all(
                    isinstance(row, list) and all(isinstance(v, int) and not isinstance(v, bool)
                                                  for v in row) for row in data):
                raise ParameterError(f"thresholds file {str(path)!r} must hold a list of lists "
                                     f"of integers")
            table = np.array(data, dtype=object)
        elif suffix == ".npy":
            check_array_file(path, f"thresholds file {str(path)!r}", {None: (lanes, (1 << bits) - 1)})
            table = np.load(path, allow_pickle=False)
            if not np.issubdtype(table.dtype, np.integer):
                raise ParameterError(f"thresholds file {str(path)!r} must hold integers, "
                                     f"not {table.dtype}")
        else:
            raise ParameterError(f"thresholds file {str(path)!r} must end in .json or .npy")
    except (ValueError, OSError, RecursionError) as exc:
        if isinstance(exc, ParameterError):
            raise
        if isinstance(exc, RecursionError):
            exc = "nested too deeply"
        raise ParameterError(f"thresholds file {str(path)!r} is unreadable: {exc}") from None
    if table.size == 0:
        raise ParameterError(f"thresholds file {str(path)!r} is empty")
    shape = (lanes, (1 << bits) - 1)
    if table.shape != shape:
        raise ParameterError(f"thresholds file {str(path)!r} must have shape {shape} (lanes, "
                             f"2^bits - 1), not {table.shape}")
    table = table.astype(np.int64)
    if table.min() < 0 or table.max() > 1 << pixel_width:
        raise ParameterError(f"thresholds in {str(path)!r} must be in 0..{1 << pixel_width} "
                             f"(pixel_width = {pixel_width}; {1 << pixel_width} is never reached)")
    unsorted = np.flatnonzero(np.any(np.diff(table, axis=1) < 0, axis=1))
    if unsorted.size:
        raise ParameterError(f"thresholds in {str(path)!r}: row {int(unsorted[0])} is not sorted "
                             f"(each row must be non-decreasing)")
    return table


def pixel_numbers(pixels, thresholds):
    """The n-bit number of every lane: ``#{j : p >= t_j}``. (samples, lanes) -> uint64."""
    pixels = np.asarray(pixels).astype(np.int64)
    return (pixels[:, :, None] >= thresholds[None, :, :]).sum(axis=2, dtype=np.uint64)


def number_pmf(pixels, thresholds):
    """Empirical distribution of each lane's number over ``pixels``: (lanes, 2^bits) floats."""
    values = pixel_numbers(pixels, thresholds).astype(np.int64)
    size = thresholds.shape[1] + 1
    return np.stack([np.bincount(values[:, i], minlength=size) for i in range(values.shape[1])]) \
        / len(values)


def _positive(default, doc):
    # > 0 is checked by PixelExtractorSpec.validate: a declared range is inclusive.
    return param(default, f"{doc}, > 0")


@dataclasses.dataclass(frozen=True, kw_only=True)
class PixelExtractorSpec(Spec):
    """Parameters of ``pixel_extractor`` (:class:`stochhw.hw.pixel_extractor.PixelExtractor`,
    :class:`PixelExtractorModel`), and the thresholds they give (:attr:`threshold_table`)."""
    lanes: int = param(16, "pixel locations used (<= 29 with dataset thresholds)", lo=1, hi=MAX_LANES)
    bits: int = param(3, "bits n per number: 2^n-1 thresholds per lane (<= pixel_width)",
                      lo=1, hi=MAX_BITS)
    pixel_width: int = param(8, "pixel bits", lo=1, hi=MAX_PIXEL_WIDTH)
    distribution: str = param("uniform", "target distribution of the numbers", choices=DISTRIBUTIONS)
    sigma: float = _positive(1 / 3, "gauss: standard deviation on [-1, 1]")
    alpha: float = _positive(2.0, "beta: shape alpha")
    beta: float = _positive(2.0, "beta: shape beta")
    thresholds: str = param(None, ".json/.npy (lanes, 2^bits-1) instead of the dataset", kind="path")

    def validate(self):
        if self.bits > self.pixel_width:
            raise ParameterError(f"bits must be <= pixel_width = {self.pixel_width} (2^bits - 1 "
                                 f"thresholds in 0..2^pixel_width), not {self.bits}")
        for name in ("sigma", "alpha", "beta"):
            if getattr(self, name) <= 0:
                raise ParameterError(f"{name} must be a finite number > 0, not {getattr(self, name)!r}")
        if self.thresholds is None:
            eligible = len(_eligible(self.pixel_width))
            if self.lanes > eligible:
                raise ParameterError(f"lanes must be <= {eligible}, the eligible pixel locations "
                                     f"of the 8x8 digits at pixel_width={self.pixel_width}, not "
                                     f"{self.lanes}; or give a thresholds file")
        self.threshold_table              # a bad threshold file is refused now

    @functools.cached_property
    def threshold_table(self):
        """The thresholds in use, from the file or the dataset: read-only int64 array of shape
        (lanes, 2^bits - 1), each row sorted."""
        if self.thresholds is None:
            return _dataset_thresholds(self.lanes, self.bits, self.pixel_width, self.distribution,
                                       self.sigma, self.alpha, self.beta)
        table = load_thresholds(self.thresholds, self.lanes, self.bits, self.pixel_width)
        table.flags.writeable = False
        return table

    @property
    def target(self):
        """``C_j = P(number < j)`` of the target distribution (:func:`target_cdf`)."""
        return target_cdf(self.bits, self.distribution, sigma=self.sigma, alpha=self.alpha,
                          beta=self.beta)


class PixelExtractorModel(Specified):
    """Model of :class:`stochhw.hw.pixel_extractor.PixelExtractor`.

    Parameters
    ----------
    spec : PixelExtractorSpec, optional
        Or its fields as keyword arguments. The thresholds in use are
        ``spec.threshold_table`` (also readable as ``model.threshold_table``).

    Ports (stimulus / result keys)
    ------------------------------
    rst : input
    px : input, ``lanes`` lanes of ``pixel_width`` bits
    rnd : output, ``lanes`` lanes of ``bits`` bits; registered (latency 1), reset to 0.
    """

    def __init__(self, spec=None, /, **params):
        self.spec = spec_from(PixelExtractorSpec, spec, params)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"px": self.lanes}, "pixel_extractor")
        return {"rnd": register(pixel_numbers(stim["px"], self.threshold_table), stim["rst"][:, 0],
                                state=state, key="rnd")}
