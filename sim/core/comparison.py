"""What a resource comparison is: a baseline and a candidate design swept over one parameter.

The entries live in :mod:`stochhw.sim.campaigns.compare` and in the topic modules (``sim/registry_*.py``);
:func:`stochhw.sim.campaigns.compare.run_comparison` synthesizes them.
"""

import dataclasses

from stochhw.models.checks import ParameterError, check_bool, check_int
from stochhw.sim.core.targets import FAMILIES, PNR_FAMILIES, check_family

__all__ = ["Side", "Comparison"]


@dataclasses.dataclass(frozen=True)
class Side:
    """One side of a comparison: a registered design with fixed parameter overrides."""
    label: str
    design: str
    params: dict


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A baseline and a candidate design, swept over one parameter, on several FPGA families.

    Parameters
    ----------
    name : str
        File stem of the reports (letters, digits, ``_`` and ``-``).
    title : str
        Report heading.
    baseline, candidate : Side or tuple
        ``(label, design, params)``; savings are ``(baseline - candidate) / baseline``.
    sweep : str
        The parameter both sides take from ``values`` (it must not be in either side's params).
    values : tuple of int
        Sweep values, plotted on a log axis (so they must be positive).
    families : tuple of str
        FPGA families, a subset of :data:`stochhw.sim.core.targets.FAMILIES`.
    pnr : bool
        Also place and route every iCE40 and ECP5 point (:mod:`stochhw.sim.flows.pnr`, default devices) and
        report post-layout LUT/FF/carry counts and Fmax next to the synthesis counts. Off by
        default: place and route takes far longer than synthesis.
    pnr_values : tuple of int or None
        With ``pnr``, the sweep values that are placed and routed (a representative subset,
        where the large points take minutes); None places every value.
    command : str or None
        How the reports are regenerated, as the markdown states it (Markdown text). None for the
        built-in comparisons (``stochhw compare NAME`` regenerates them) and for any other made
        in Python; see :func:`stochhw.sim.campaigns.compare.regeneration`.
    """
    name: str
    title: str
    baseline: Side
    candidate: Side
    sweep: str
    values: tuple
    families: tuple = FAMILIES
    pnr: bool = False
    pnr_values: tuple | None = None
    command: str | None = None

    def __post_init__(self):
        if not self.name or not all(c.isalnum() or c in "_-" for c in self.name):
            raise ParameterError(f"name must be letters, digits, '_' or '-', not {self.name!r}")
        # Frozen: normalize through object.__setattr__ so callers may pass plain tuples.
        for field in ("baseline", "candidate"):
            side = getattr(self, field)
            if not isinstance(side, Side):
                object.__setattr__(self, field, Side(*side))
            if self.sweep in getattr(self, field).params:
                raise ParameterError(f"{field} params must not set the sweep parameter {self.sweep!r}")
        object.__setattr__(self, "values", tuple(self.values))
        object.__setattr__(self, "families", tuple(self.families))
        if not self.values:
            raise ParameterError("values must not be empty")
        for v in self.values:
            check_int("values", v, lo=1)
        if len(set(self.values)) != len(self.values):
            raise ParameterError(f"values must be distinct, not {self.values}")
        if not self.families:
            raise ParameterError("families must not be empty")
        for f in self.families:
            check_family(f)
        check_bool("pnr", self.pnr)
        if self.pnr_values is not None:
            object.__setattr__(self, "pnr_values", tuple(self.pnr_values))
            missing = [v for v in self.pnr_values if v not in self.values]
            if not self.pnr or missing or not self.pnr_values:
                raise ParameterError(f"pnr_values must be a nonempty subset of values {self.values} "
                                     f"and needs pnr=True, not {self.pnr_values}")

    def placed(self, value, family):
        """Whether the point at sweep ``value`` on ``family`` is placed and routed."""
        return (self.pnr and family in PNR_FAMILIES
                and (self.pnr_values is None or value in self.pnr_values))

    def sides(self):
        return {"baseline": self.baseline, "candidate": self.candidate}

    def overrides(self, side, value):
        """Parameter overrides of ``side`` (``"baseline"``/``"candidate"``) at sweep ``value``."""
        return {**self.sides()[side].params, self.sweep: value}
