"""Supply voltage -> SRAM bit error rate and energy per access, and rate <-> ``faulty_sram`` level.

Low-voltage SRAM (Chandramoorthy et al. 2019; Stutz et al., "Bit error robustness for
energy-efficient DNN accelerators", MLSys 2021, Fig. 1): above ``Vmin`` the array works; below,
the bit error rate ``p`` grows exponentially as the voltage drops, while the dynamic energy of
an access falls with ``V^2``. The model::

    p(V) = 0                                              V >= vmin
    p(V) = min(p_max, p_vmin * 10 ** ((vmin - V) / decade))  V < vmin
    energy(V) = (V / vmin) ** 2                           (1 at Vmin)

``p_vmin`` is the rate just below ``Vmin``, ``decade`` the voltage drop that multiplies ``p``
by ten, and ``p_max`` (default 0.5: a bit that carries no information) caps it. The defaults
(``vmin = 1``, so voltages are in units of Vmin; ``p_vmin = 1e-5``; ``decade = 0.05``) are
illustrative, not a measured chip: they give ``p = 0.1%`` at 0.90 Vmin and ``1%`` at 0.85 Vmin,
where an access costs 72% of its energy at Vmin. Give measured points to :meth:`VoltageModel.fit`
to replace them (a least-squares line through ``log10 p`` against ``V``).

``faulty_sram`` takes a fault *level*, not a rate: a cell is faulty with probability
``level / 2^level_bits`` (:func:`level_to_p`, :func:`p_to_level`).
"""

import numbers

import numpy as np

from stochhw.models.bits import mask
from stochhw.models.checks import ParameterError, check_int

__all__ = ["VoltageModel", "p_to_level", "level_to_p", "check_rate"]


def _check_real(name, value, lo=None, hi=None, lo_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ParameterError(f"{name} must be a finite number, not {value!r}")
    value = float(value)
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise ParameterError(f"{name} must be {'>' if lo_open else '>='} {lo}, not {value}")
    if hi is not None and value > hi:
        raise ParameterError(f"{name} must be <= {hi}, not {value}")
    return value


def check_rate(p, name="p"):
    """``p`` as a float array after checking every value is a probability in [0, 1]."""
    array = np.asarray(p, dtype=np.float64) if not isinstance(p, bool) else None
    if array is None or not np.all(np.isfinite(array)) or np.any((array < 0) | (array > 1)):
        raise ParameterError(f"{name} must be in [0, 1], not {p!r}")
    return array


def level_to_p(level, level_bits):
    """The cell fault probability of a ``faulty_sram`` level: ``level / 2^level_bits``."""
    level_bits = check_int("level_bits", level_bits, 1, 32)
    levels = np.asarray(level)
    if not np.issubdtype(levels.dtype, np.integer) or np.any((levels < 0) | (levels > mask(level_bits))):
        raise ParameterError(f"level must be an integer in 0..{mask(level_bits)} "
                             f"(level_bits={level_bits}), not {level!r}")
    p = levels / float(1 << level_bits)
    return float(p) if np.ndim(p) == 0 else p


def p_to_level(p, level_bits):
    """The level whose fault probability is nearest to ``p``: ``round(p * 2^level_bits)``.

    The level port is ``level_bits`` wide, so rates above ``(2^L - 1) / 2^L`` give the top
    level. Returns an int (or an int64 array for an array ``p``).
    """
    level_bits = check_int("level_bits", level_bits, 1, 32)
    rates = check_rate(p)
    levels = np.minimum(np.rint(rates * (1 << level_bits)), mask(level_bits)).astype(np.int64)
    return int(levels) if levels.ndim == 0 else levels


class VoltageModel:
    """Bit error rate and energy per access of an SRAM against its supply voltage.

    Parameters
    ----------
    vmin : float
        The lowest voltage without errors (> 0; default 1, i.e. voltages in units of Vmin).
    p_vmin : float
        Bit error rate just below ``vmin``, in (0, p_max) (default 1e-5).
    decade : float
        Voltage drop that multiplies the rate by 10 (> 0; default 0.05).
    p_max : float
        Saturation rate, in (0, 1] (default 0.5).
    """

    def __init__(self, vmin=1.0, p_vmin=1e-5, decade=0.05, p_max=0.5):
        self.vmin = _check_real("vmin", vmin, 0.0, lo_open=True)
        self.p_max = _check_real("p_max", p_max, 0.0, 1.0, lo_open=True)
        self.p_vmin = _check_real("p_vmin", p_vmin, 0.0, lo_open=True)
        if self.p_vmin >= self.p_max:
            raise ParameterError(f"p_vmin must be below p_max = {self.p_max}, not {self.p_vmin}")
        self.decade = _check_real("decade", decade, 0.0, lo_open=True)

    def __repr__(self):
        return (f"VoltageModel(vmin={self.vmin:g}, p_vmin={self.p_vmin:g}, "
                f"decade={self.decade:g}, p_max={self.p_max:g})")

    def _volts(self, v, name="v"):
        volts = np.asarray(v, dtype=np.float64) if not isinstance(v, bool) else None
        if volts is None or not np.all(np.isfinite(volts)) or np.any(volts < 0):
            raise ParameterError(f"{name} must be a voltage >= 0, not {v!r}")
        return volts

    @staticmethod
    def _out(array):
        return float(array) if np.ndim(array) == 0 else array

    def p(self, v):
        """Bit error rate at voltage(s) ``v``."""
        volts = self._volts(v)
        rate = np.minimum(self.p_max, self.p_vmin * 10.0 ** ((self.vmin - volts) / self.decade))
        return self._out(np.where(volts >= self.vmin, 0.0, rate))

    def voltage(self, p):
        """The highest voltage whose rate is at least ``p`` (``vmin`` for ``p <= p_vmin``).

        ``p`` above ``p_max`` is never reached: :class:`ParameterError`.
        """
        rates = check_rate(p)
        if np.any(rates > self.p_max):
            raise ParameterError(f"p must be <= p_max = {self.p_max} (the model's saturation), "
                                 f"not {p!r}")
        with np.errstate(divide="ignore"):
            below = self.vmin - self.decade * np.log10(np.maximum(rates, self.p_vmin) / self.p_vmin)
        return self._out(np.minimum(below, self.vmin))

    def energy(self, v):
        """Energy per access at ``v``, relative to an access at ``vmin``: ``(v / vmin)^2``."""
        return self._out((self._volts(v) / self.vmin) ** 2)

    def level(self, v, level_bits):
        """The ``faulty_sram`` level that emulates voltage(s) ``v``."""
        return p_to_level(self.p(v), level_bits)

    @classmethod
    def fit(cls, volts, rates, vmin, p_max=0.5):
        """Fit ``p_vmin`` and ``decade`` to measured ``(volts, rates)`` below ``vmin``.

        A least-squares line through ``log10(rate)`` against voltage (``numpy.polyfit``);
        points at or above ``vmin`` or with rate 0 carry no slope and are refused.
        """
        volts = np.asarray(volts, dtype=np.float64).ravel()
        rates = check_rate(rates, "rates").ravel()
        vmin = _check_real("vmin", vmin, 0.0, lo_open=True)
        if volts.size != rates.size:
            raise ParameterError(f"volts and rates must have one length, not {volts.size} "
                                 f"and {rates.size}")
        if volts.size < 2 or np.unique(volts).size < 2:
            raise ParameterError("fit needs at least two points at different voltages")
        if not np.all(np.isfinite(volts)) or np.any(volts >= vmin):
            raise ParameterError(f"volts must be finite and below vmin = {vmin}")
        if np.any(rates <= 0):
            raise ParameterError("rates must be > 0 to fit an exponential")
        slope, intercept = np.polyfit(volts, np.log10(rates), 1)
        if slope >= 0:
            raise ParameterError("rates must fall as the voltage rises (fitted slope "
                                 f"{slope:.3g} decades per volt)")
        p_vmin = 10.0 ** (slope * vmin + intercept)
        return cls(vmin=vmin, p_vmin=p_vmin, decade=-1.0 / slope, p_max=p_max)
