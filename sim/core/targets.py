"""FPGA targets: the families synthesis maps to, the devices place and route knows, and checks.

Shared by the flows (:mod:`stochhw.sim.flows.synth`, :mod:`stochhw.sim.flows.pnr`) and by the
entries that name families (:class:`stochhw.sim.core.comparison.Comparison`).
"""

from stochhw.models.checks import ParameterError, check_choice

__all__ = ["FAMILIES", "PNR_FAMILIES", "DEVICES", "DEFAULT_TARGETS", "TARGET_MHZ", "ECP5_SPEED",
           "DEFAULT_SEED", "check_family", "check_pnr_family", "check_target", "parse_families"]

#: FPGA families :func:`synthesize` targets, in report order.
FAMILIES = ("xilinx", "ice40", "ecp5")

#: Families nextpnr places and routes (:mod:`stochhw.sim.flows.pnr`; no open place and route for Xilinx
#: 7-series on PyPI).
PNR_FAMILIES = ("ice40", "ecp5")

#: Devices (nextpnr's ``--<device>`` option) and the packages nextpnr 0.11 accepts for each,
#: as found by running it on every (device, package) pair (the ``:4k`` package variants
#: of the 8k die are left out).
DEVICES = {
    "ice40": {
        "lp384": ("qn32", "cm36", "cm49"),
        "lp1k": ("swg16tr", "cm36", "cm49", "cm81", "cm121", "qn84", "cb81", "cb121", "cb132",
                 "vq100", "tq144"),
        "lp4k": ("cm81", "cm121", "cm225", "cb132", "tq144", "bg121"),
        "lp8k": ("cm81", "cm121", "cm225", "cb132", "bg121", "ct256"),
        "hx1k": ("swg16tr", "cm36", "cm49", "cm81", "cm121", "qn84", "cb81", "cb121", "cb132",
                 "vq100", "tq144"),
        "hx4k": ("cm81", "cm121", "cm225", "cb132", "tq144", "bg121"),
        "hx8k": ("cm81", "cm121", "cm225", "cb132", "bg121", "ct256"),
        "up3k": ("sg48", "uwg30"),
        "up5k": ("sg48", "uwg30"),
        "u1k": ("sg48",),
        "u2k": ("sg48",),
        "u4k": ("sg48",),
    },
    "ecp5": {
        **dict.fromkeys(("12k", "25k", "um-25k", "um5g-25k"),
                        ("CABGA256", "CABGA381", "CSFBGA285", "TQFP144")),
        **dict.fromkeys(("45k", "um-45k", "um5g-45k"),
                        ("CABGA256", "CABGA381", "CABGA554", "CSFBGA285", "TQFP144")),
        **dict.fromkeys(("85k", "um-85k", "um5g-85k"),
                        ("CABGA381", "CABGA554", "CABGA756", "CSFBGA285")),
    },
}

#: Default (device, package) per family: the largest part of each.
DEFAULT_TARGETS = {"ice40": ("hx8k", "ct256"), "ecp5": ("85k", "CABGA381")}

#: Timing target per family (MHz), above what the families reach for these designs.
TARGET_MHZ = {"ice40": 200, "ecp5": 300}

#: ECP5 speed grade (nextpnr's default, spelled out so it is part of every cache key).
ECP5_SPEED = 6

#: nextpnr placer seed of every run.
DEFAULT_SEED = 1

def check_family(family):
    """Return ``family`` after checking it is one of :data:`FAMILIES`."""
    return check_choice("family", family, FAMILIES)


def check_pnr_family(family):
    """Return ``family`` after checking nextpnr places it (:data:`PNR_FAMILIES`)."""
    check_family(family)
    if family not in PNR_FAMILIES:
        raise ParameterError(f"family {family!r} has no place and route here; use one of "
                             f"{', '.join(PNR_FAMILIES)}")
    return family


def parse_families(text, pnr=False):
    """``"ice40,ecp5"`` -> ``("ice40", "ecp5")``, each checked (with ``pnr``: placeable too).

    Raises
    ------
    ParameterError
        An empty list or item, a family given twice, or an unknown (or, with ``pnr``, not
        placeable) family.
    """
    items = tuple(item.strip() for item in str(text).split(","))
    if items == ("",):
        raise ParameterError(f"--family needs one or more of {', '.join(PNR_FAMILIES if pnr else FAMILIES)}")
    if "" in items:
        raise ParameterError(f"--family {text} has an empty item")
    for i, family in enumerate(items):
        if family in items[:i]:
            raise ParameterError(f"--family {text} names {family} twice")
        (check_pnr_family if pnr else check_family)(family)
    return items


def check_target(family, device=None, package=None):
    """Resolve and check ``(device, package)`` for ``family``; None picks the default.

    Names are matched without regard to case and returned as nextpnr spells them.
    """
    check_pnr_family(family)
    devices = DEVICES[family]
    default_device, default_package = DEFAULT_TARGETS[family]
    if device is None:
        device = default_device
    else:
        found = [d for d in devices if d.lower() == str(device).lower()]
        if not found:
            raise ParameterError(f"unknown {family} device {device!r} (known: {', '.join(devices)})")
        device = found[0]
    packages = devices[device]
    if package is None:
        package = default_package if default_package in packages else packages[0]
    else:
        found = [p for p in packages if p.lower() == str(package).lower()]
        if not found:
            raise ParameterError(f"package {package!r} is not available for {family} {device} "
                                 f"(known: {', '.join(packages)})")
        package = found[0]
    return device, package
