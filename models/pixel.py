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

import functools
import json
import math
import numbers
from pathlib import Path

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.clocked import check_lanes, register

__all__ = [
    "DISTRIBUTIONS", "MODE_LIMIT", "digits_pixels", "eligible_locations", "target_cdf",
    "dataset_thresholds", "load_thresholds", "pixel_numbers", "number_pmf", "lane_pixels",
    "PixelExtractorModel",
]

DISTRIBUTIONS = ("uniform", "gauss", "beta")
#: A location whose most frequent value occurs in more than this fraction of images is excluded.
MODE_LIMIT = 0.5
SIDE = 8                    # the digits are 8x8
DIGITS_MAX = 16             # digits pixel values are 0..16
MAX_PIXEL_WIDTH = 16
MAX_BITS = 8


def check_positive(name, value):
    """Return ``value`` as a float after checking it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value <= 0:
        raise ParameterError(f"{name} must be a finite number > 0, not {value!r}")
    return float(value)


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


def target_cdf(bits, distribution, sigma=1 / 3, alpha=2.0, beta=2.0):
    """``C_j = P(number < j)`` of the target, j = 1 .. 2^bits - 1 (float64 array)."""
    from scipy.special import betainc, ndtr
    edges = np.arange(1, 1 << bits) / (1 << bits)
    if distribution == "uniform":
        return edges
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
    cdf = target_cdf(bits, distribution, sigma, alpha, beta)
    # argmin takes the first (smallest) v among equally close ones.
    return np.argmin(np.abs(below[:, :, None] - cdf[None, None, :]), axis=0)


def dataset_thresholds(lanes, bits, pixel_width=8, distribution="uniform", sigma=1 / 3,
                       alpha=2.0, beta=2.0):
    """Thresholds from the digits for the target distribution: (lanes, 2^bits - 1) int64."""
    spec = PixelExtractorModel(lanes, bits, pixel_width, distribution, sigma, alpha, beta)
    return spec.thresholds.copy()


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
            table = np.load(path, allow_pickle=False)
            if not np.issubdtype(table.dtype, np.integer):
                raise ParameterError(f"thresholds file {str(path)!r} must hold integers, "
                                     f"not {table.dtype}")
        else:
            raise ParameterError(f"thresholds file {str(path)!r} must end in .json or .npy")
    except (ValueError, OSError) as exc:
        if isinstance(exc, ParameterError):
            raise
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


class PixelExtractorModel:
    """Model of :class:`stochhw.hw.pixel_extractor.PixelExtractor`.

    Parameters
    ----------
    lanes : int
        Pixel locations used, 1..29 with dataset thresholds (the eligible locations at
        ``pixel_width=8``), 1..4096 with a file (default 16).
    bits : int
        Bits n per number, 1..min(8, pixel_width) (default 3): ``2^n - 1`` thresholds per lane.
    pixel_width : int
        Pixel bits, 1..16 (default 8).
    distribution : str
        ``uniform`` (default), ``gauss`` or ``beta``.
    sigma : float
        ``gauss``: standard deviation on the range mapped to [-1, 1] (default 1/3).
    alpha, beta : float
        ``beta``: shape parameters (default 2, 2).
    thresholds : path or None
        A threshold file instead of the dataset (default None).

    Ports (stimulus / result keys)
    ------------------------------
    rst : input
    px : input, ``lanes`` lanes of ``pixel_width`` bits
    rnd : output, ``lanes`` lanes of ``bits`` bits; registered (latency 1), reset to 0.

    Attributes
    ----------
    thresholds : ndarray of int64, shape (lanes, 2^bits - 1)
    """

    def __init__(self, lanes=16, bits=3, pixel_width=8, distribution="uniform", sigma=1 / 3,
                 alpha=2.0, beta=2.0, thresholds=None):
        self.pixel_width = check_int("pixel_width", pixel_width, 1, MAX_PIXEL_WIDTH)
        self.bits = check_int("bits", bits, 1, min(MAX_BITS, self.pixel_width))
        self.distribution = check_choice("distribution", distribution, DISTRIBUTIONS)
        self.sigma = check_positive("sigma", sigma)
        self.alpha = check_positive("alpha", alpha)
        self.beta = check_positive("beta", beta)
        if thresholds is None:
            eligible = len(_eligible(self.pixel_width))
            self.lanes = check_int("lanes", lanes, 1)
            if self.lanes > eligible:
                raise ParameterError(f"lanes must be <= {eligible}, the eligible pixel locations "
                                     f"of the 8x8 digits at pixel_width={self.pixel_width}, not "
                                     f"{self.lanes}; or give a thresholds file")
            self.thresholds = _dataset_thresholds(self.lanes, self.bits, self.pixel_width,
                                                  self.distribution, self.sigma, self.alpha,
                                                  self.beta)
            self.thresholds.flags.writeable = False      # shared by the cache
        else:
            self.lanes = check_int("lanes", lanes, 1, 4096)
            self.thresholds = load_thresholds(thresholds, self.lanes, self.bits, self.pixel_width)
        self.source = "dataset" if thresholds is None else str(thresholds)

    def run(self, stim, state=None):
        """Outputs of ``stim`` (whole run, or one chunk with ``state``: :mod:`stochhw.models.clocked`)."""
        check_lanes(stim, {"px": self.lanes}, "pixel_extractor")
        return {"rnd": register(pixel_numbers(stim["px"], self.thresholds), stim["rst"][:, 0],
                                state=state, key="rnd")}
