"""``stochhw analyze faults``: what the ``faulty_sram`` chips do, measured on the golden model.

:func:`fault_study` computes, :func:`report_files` renders, :func:`run` runs both. Writes into
``--out`` (default ``reports/faults/``), all deterministic (same code and seed, same bytes):

``faults.md``, ``faults.json``
    Bit error rate against ``level`` (one chip read back through the cycle-accurate model, and
    the spread over ``--chips`` chips, random and column patterns) and against supply voltage
    (:class:`stochhw.models.voltage.VoltageModel`, default parameters), the check that faulty sets are
    nested across levels and that level 0 is exact, and the statistics of the pictured maps.
``voltage.png``
    Bit error rate and energy per access against voltage, like Fig. 1 of Stutz et al. (MLSys
    2021), with the rates measured on the emulated chip.
``ber_level.png``
    Measured bit error rate against the configured ``level / 2^L``.
``fault_maps.png``
    0->1 and 1->0 cells of a random-pattern and a column-pattern chip (``mode=stuck``,
    ``p01=0.5``) at one rate, like the paper's Fig. 3 (chips 1 and 2).
"""

import math

import numpy as np
from matplotlib.colors import ListedColormap

from stochhw.models.checks import ParameterError, check_int
from stochhw.models.faulty_sram import FaultySRAMModel
from stochhw.models.voltage import VoltageModel, check_rate, level_to_p, p_to_level
from stochhw.sim.analyses.topic import print_outcome, report_folder
from stochhw.sim.core.reportkit import (
    figure,
    json_text,
    mean_std,
    number,
    percent,
    plus_minus,
    png_bytes,
    public,
    table,
    write_report,
)

__all__ = ["fault_study", "faults_markdown", "report_files", "run"]

DEPTH, WIDTH, LEVEL_BITS = 512, 64, 12
#: Rates of the level sweep (nearest levels are used): the paper's range and beyond.
RATES = (0.0, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.05, 0.1,
         0.25, 0.5)
#: Voltages of the voltage sweep, in units of Vmin.
VOLTS = (1.0, 0.975, 0.95, 0.925, 0.9, 0.875, 0.85, 0.825, 0.8)
#: Width of the binomial acceptance band, in standard deviations.
SIGMAS = 5.0


def _read_back(model, words, levels):
    """Write ``words`` (one per address), read them all back at each level through
    :meth:`FaultySRAMModel.run`; returns the words read, ``(len(levels), depth)``."""
    depth = len(words)
    cycles = depth * (1 + len(levels)) + 1
    stim = {k: np.zeros((cycles, 1), np.uint64)
            for k in ("rst", "w_en", "w_addr", "w_data", "r_en", "r_addr", "level")}
    stim["w_en"][:depth, 0] = 1
    stim["w_addr"][:depth, 0] = np.arange(depth)
    stim["w_data"][:depth, 0] = words
    starts = depth * (1 + np.arange(len(levels)))
    for start, level in zip(starts, levels):
        stim["r_en"][start:start + depth, 0] = 1
        stim["r_addr"][start:start + depth, 0] = np.arange(depth)
        stim["level"][start:start + depth, 0] = level
    r_data = model.run(stim)["r_data"][:, 0]
    return np.stack([r_data[start + 1:start + 1 + depth] for start in starts])


def _bit_errors(a, b):
    """Differing bits of two uint64 arrays, counted."""
    diff = np.bitwise_xor(a, b)
    return int(np.unpackbits(diff.view(np.uint8)).sum())


def _band(n, p):
    """Binomial acceptance band of a rate measured over ``n`` bits."""
    half = SIGMAS * math.sqrt(max(p * (1 - p), 0.0) / n) + 1 / n
    return max(0.0, p - half), p + half


def fault_study(seed=1, chips=8, p_map=0.01, level_map=None):
    """Run the whole analysis; returns a JSON-ready dict (see the module docstring), whose
    ``"_fault_maps"`` holds the pictured maps' cells for the figure.

    Parameters
    ----------
    seed : int
        First chip seed (chips ``seed .. seed + chips - 1``) and seed of the written data.
    chips : int
        Chips of the spread columns.
    p_map : float
        Rate of the pictured fault maps (``level_map`` overrides it).
    level_map : int or None
        Level of the pictured fault maps.
    """
    seed = check_int("seed", seed, 0, 2 ** 64 - 1)
    chips = check_int("chips", chips, 2, 1000)
    bits = DEPTH * WIDTH
    rng = np.random.default_rng(seed)
    words = rng.integers(0, 2 ** 63, DEPTH, dtype=np.uint64) * np.uint64(2) \
        + rng.integers(0, 2, DEPTH, dtype=np.uint64)

    flip = FaultySRAMModel(depth=DEPTH, width=WIDTH, level_bits=LEVEL_BITS, mode="flip", seed=seed)
    stuck = FaultySRAMModel(depth=DEPTH, width=WIDTH, level_bits=LEVEL_BITS, mode="stuck", p01=0.5,
                            seed=seed)
    levels = [p_to_level(p, LEVEL_BITS) for p in RATES]
    read_flip = _read_back(flip, words, levels)
    read_stuck = _read_back(stuck, words, levels)
    spread = {pattern: [FaultySRAMModel(depth=DEPTH, width=WIDTH, level_bits=LEVEL_BITS,
                                        pattern=pattern, seed=seed + c)
                        for c in range(chips)] for pattern in ("random", "column")}

    ber_level = []
    for i, level in enumerate(levels):
        p = level_to_p(level, LEVEL_BITS)
        ber_flip = _bit_errors(read_flip[i], words) / bits
        ber_stuck = _bit_errors(read_stuck[i], words) / bits
        lo, hi = _band(bits, p)
        lo_s, hi_s = _band(bits, p / 2)
        row = {"level": level, "p": p, "ber_flip": ber_flip, "ber_stuck": ber_stuck,
               "flip_within_band": bool(lo <= ber_flip <= hi),
               "stuck_within_band": bool(lo_s <= ber_stuck <= hi_s)}
        for pattern, models in spread.items():
            mean, std = mean_std([m.fault_map(level).faulty.mean() for m in models])
            row[f"faulty_{pattern}_mean"], row[f"faulty_{pattern}_std"] = mean, std
        ber_level.append(row)

    vm = VoltageModel()
    volt_levels = [vm.level(v, LEVEL_BITS) for v in VOLTS]
    read_volt = _read_back(flip, words, volt_levels)
    ber_voltage = []
    for i, (v, level) in enumerate(zip(VOLTS, volt_levels)):
        ber_voltage.append({"v": v, "p_model": vm.p(v), "level": level,
                            "p_level": level_to_p(level, LEVEL_BITS),
                            "ber_measured": _bit_errors(read_volt[i], words) / bits,
                            "energy": vm.energy(v)})

    subset = _subset_check(seed, words, read_flip, read_stuck, levels)

    level = (p_to_level(check_rate(p_map, "p"), LEVEL_BITS) if level_map is None
             else flip.check_level(level_map))
    maps, cells = {}, {}
    for pattern in ("random", "column"):
        model = FaultySRAMModel(depth=DEPTH, width=WIDTH, level_bits=LEVEL_BITS, mode="stuck",
                                pattern=pattern, p01=0.5, seed=seed)
        fmap = model.fault_map(level)
        per_column = fmap.faulty.mean(axis=0)
        cells[pattern] = {"flip01": fmap.flip01, "flip10": fmap.flip10}
        maps[pattern] = {
            "cells_0to1": int(fmap.flip01.sum()), "cells_1to0": int(fmap.flip10.sum()),
            "rate": float(fmap.faulty.mean()),
            "columns_with_faults": int(np.count_nonzero(per_column)),
            "max_column_rate": float(per_column.max()),
        }
    return {
        "config": {"depth": DEPTH, "width": WIDTH, "level_bits": LEVEL_BITS, "seed": seed,
                   "chips": chips, "sigmas": SIGMAS,
                   "voltage_model": {"vmin": vm.vmin, "p_vmin": vm.p_vmin,
                                     "decade": vm.decade, "p_max": vm.p_max}},
        "ber_vs_level": ber_level,
        "ber_vs_voltage": ber_voltage,
        "subset_check": subset,
        "fault_maps": {"level": level, "p": level_to_p(level, LEVEL_BITS), "mode": "stuck",
                       "p01": 0.5, **maps},
        "_fault_maps": cells,
    }


def _subset_check(seed, words, read_flip, read_stuck, levels):
    """Nested faulty sets across levels (fault maps of 16 chips, and the words read back) and
    exact reads at level 0."""
    grid = sorted(set(levels) | set(range(0, 1 << LEVEL_BITS, 61)) | {(1 << LEVEL_BITS) - 1})
    pairs = violations = 0
    for mode in ("flip", "stuck"):
        for pattern in ("random", "column"):
            for c in range(4):
                model = FaultySRAMModel(depth=DEPTH, width=WIDTH, level_bits=LEVEL_BITS, mode=mode,
                                        pattern=pattern, p01=0.5, seed=seed + c)
                previous = model.fault_map(grid[0])
                for level in grid[1:]:
                    current = model.fault_map(level)
                    violations += int(np.sum(previous.flip01 & ~current.flip01) +
                                      np.sum(previous.flip10 & ~current.flip10))
                    previous = current
                    pairs += 1
    # The bits in error when the same words are read back at rising levels must be nested too
    # (stuck cells keep their value, so this holds for both modes).
    read_pairs = read_violations = 0
    for read in (read_flip, read_stuck):
        errors = np.bitwise_xor(read, words[None, :])
        for i in range(len(levels) - 1):
            read_violations += int(np.count_nonzero(errors[i] & ~errors[i + 1]))
            read_pairs += 1
    zero = [i for i, level in enumerate(levels) if level == 0]
    return {"levels": len(grid), "level_pairs_checked": pairs, "chips_checked": 16,
            "violations": violations,
            "read_back_level_pairs": read_pairs, "read_back_violations": read_violations,
            "level0_words_read": len(zero) * len(words) * 2,
            "level0_mismatches": int(sum(np.count_nonzero(read_flip[i] != words) +
                                         np.count_nonzero(read_stuck[i] != words) for i in zero))}


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------

def _pct(x, digits=3):
    return percent(x, digits, suffix="%")


def _yes(flag):
    return "yes" if flag else "NO"


def faults_markdown(result):
    """``faults.md`` of a :func:`fault_study` result."""
    cfg = result["config"]
    vm = cfg["voltage_model"]
    sub = result["subset_check"]
    maps = result["fault_maps"]
    return "\n".join([
        "# Low-voltage SRAM faults: the `faulty_sram` chips",
        "",
        "Regenerate with `stochhw analyze faults` (source: `sim/analyses/faults.py`, "
        "`models/faulty_sram.py`, `models/voltage.py`). Deterministic: the same code gives the "
        "same bytes. Files: `faults.md`, `faults.json`, `voltage.png` (Fig. 1 style), "
        "`ber_level.png`, `fault_maps.png` (Fig. 3 style).",
        "",
        f"Chips of {cfg['depth']} x {cfg['width']} bits, level_bits = {cfg['level_bits']} "
        f"(a cell is faulty with probability level / {1 << cfg['level_bits']}), seed "
        f"{cfg['seed']}. Random 64-bit words are written to every address and read back "
        "through the cycle-accurate model at each level. Bands: the configured rate "
        f"± {cfg['sigmas']:g} binomial standard deviations over {cfg['depth'] * cfg['width']} "
        "bits. In `stuck` mode (p01 = 0.5) a faulty cell errs only when it holds the other "
        "value, so the expected bit error rate on random data is p / 2.",
        "",
        "## Bit error rate against level",
        "",
        *table(["level", "p = level/2^L", "BER, flip", "in band", "BER, stuck", "in band",
                f"faulty cells, random ({cfg['chips']} chips)",
                f"faulty cells, column ({cfg['chips']} chips)"], "rrrcrcrr",
               ([r["level"], _pct(r["p"]), _pct(r["ber_flip"]), _yes(r["flip_within_band"]),
                 _pct(r["ber_stuck"]), _yes(r["stuck_within_band"]),
                 plus_minus(r["faulty_random_mean"], r["faulty_random_std"], 3, scale=100,
                            suffix="%"),
                 plus_minus(r["faulty_column_mean"], r["faulty_column_std"], 3, scale=100,
                            suffix="%")]
                for r in result["ber_vs_level"])),
        "",
        "The column pattern has the same mean rate but a far larger spread from chip to chip: "
        "below level 2^L / 8 all its faults sit in the weak columns (one in eight on average), "
        "so a chip's rate depends on how many weak columns it drew.",
        "",
        "## Bit error rate against voltage",
        "",
        f"Voltage model (illustrative defaults, `models/voltage.py`): p(V) = {vm['p_vmin']:g} x "
        f"10^((Vmin - V) / {vm['decade']:g}) below Vmin = {vm['vmin']:g}, capped at "
        f"{vm['p_max']:g}; energy per access (V / Vmin)^2. Each voltage is emulated by the "
        "nearest level.",
        "",
        *table(["V / Vmin", "p(V)", "level", "level / 2^L", "measured BER (flip)",
                "energy per access"], "rrrrrr",
               ([number(r["v"], 3), _pct(r["p_model"], 4), r["level"], _pct(r["p_level"], 4),
                 _pct(r["ber_measured"], 4), number(r["energy"], 3)]
                for r in result["ber_vs_voltage"])),
        "",
        "## Subset property",
        "",
        f"- Fault maps of {sub['chips_checked']} chips (flip and stuck, random and column; "
        f"{cfg['depth']} x {cfg['width']} cells each) at {sub['levels']} levels from 0 to "
        f"{(1 << cfg['level_bits']) - 1}, each against the next, {sub['level_pairs_checked']} "
        f"pairs: **{sub['violations']} cells** faulty at a level and not at the next.",
        f"- Bits in error in the words read back at successive levels of the sweep (flip and "
        f"stuck), {sub['read_back_level_pairs']} pairs: **{sub['read_back_violations']} bits** "
        "in error at a level and not at the next.",
        f"- Level 0: {sub['level0_words_read']} words read back, **{sub['level0_mismatches']} "
        "differ** from what was written.",
        "",
        "## Fault maps",
        "",
        f"`fault_maps.png`: `mode=stuck`, `p01=0.5`, level {maps['level']} "
        f"(p = {_pct(maps['p'])}); rows are addresses, columns bits; red: reads 1 when 0 is "
        "stored, blue: reads 0 when 1 is stored.",
        "",
        *table(["pattern", "cells 0->1", "cells 1->0", "faulty rate", "columns with faults",
                "worst column rate"], "lrrrrr",
               ([pattern, maps[pattern]["cells_0to1"], maps[pattern]["cells_1to0"],
                 _pct(maps[pattern]["rate"]), f"{maps[pattern]['columns_with_faults']} / "
                 f"{cfg['width']}", _pct(maps[pattern]["max_column_rate"], 1)]
                for pattern in ("random", "column"))),
    ]) + "\n"


def _voltage_png(result):
    rows = result["ber_vs_voltage"]
    vm = VoltageModel(**result["config"]["voltage_model"])
    fig = figure(6.4, 3.8)
    ax = fig.subplots()
    fine = np.linspace(min(VOLTS), 1.0, 200)
    ax.semilogy(fine[:-1], 100 * vm.p(fine[:-1]), "-", color="C3", label="model p(V)")
    measured = [(r["v"], 100 * r["ber_measured"]) for r in rows if r["ber_measured"] > 0]
    ax.semilogy(*zip(*measured), "o", color="C3", mfc="none", label="measured on the chip")
    ax.set_xlabel("supply voltage (V / Vmin)")
    ax.set_ylabel("bit error rate p (%)", color="C3")
    ax.invert_xaxis()
    ax.grid(True, which="major", alpha=0.3)
    energy = ax.twinx()
    energy.plot(fine, vm.energy(fine), "--", color="C0", label="energy per access")
    energy.set_ylabel("energy per access (1 at Vmin)", color="C0")
    handles = ax.get_legend_handles_labels()
    more = energy.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], fontsize=7, loc="upper left")
    ax.set_title("Low-voltage SRAM: bit errors against energy (cf. Stutz et al., Fig. 1)",
                 fontsize=9)
    return png_bytes(fig)


def _ber_level_png(result):
    rows = [r for r in result["ber_vs_level"] if r["p"] > 0]
    fig = figure(5.6, 3.8)
    ax = fig.subplots()
    p = np.array([r["p"] for r in rows])
    ax.loglog(p, p, "k-", lw=0.8, label="configured p")
    ax.loglog(p, p / 2, "k:", lw=0.8, label="p / 2")
    ax.loglog(p, [r["ber_flip"] for r in rows], "o", label="measured, flip")
    ax.loglog(p, [r["ber_stuck"] for r in rows], "s", mfc="none", label="measured, stuck (p01=0.5)")
    ax.errorbar(p, [r["faulty_column_mean"] for r in rows],
                yerr=[r["faulty_column_std"] for r in rows], fmt="^", ms=4, capsize=2,
                label=f"faulty cells, column pattern ({result['config']['chips']} chips)")
    ax.set_xlabel("level / 2^L")
    ax.set_ylabel("rate")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("faulty_sram: measured rates against the level", fontsize=9)
    return png_bytes(fig)


def _maps_png(result):
    maps = result["fault_maps"]
    fig = figure(7.0, 6.2)
    axes = fig.subplots(1, 2)
    colors = ListedColormap(["white", "#d62728", "#1f77b4", "black"])
    for ax, pattern, title in zip(axes, ("random", "column"),
                                  ("random pattern (cf. chip 1)", "column pattern (cf. chip 2)")):
        cells = result["_fault_maps"][pattern]
        image = cells["flip01"].astype(np.int8) + 2 * cells["flip10"].astype(np.int8)
        ax.imshow(image, cmap=colors, vmin=0, vmax=3, aspect="auto", interpolation="nearest")
        ax.set_title(f"{title}: {_pct(maps[pattern]['rate'], 2)} faulty", fontsize=9)
        ax.set_xlabel("bit (column)")
        ax.set_ylabel("address (row)")
    fig.suptitle(f"Fault maps at level {maps['level']} (p = {_pct(maps['p'], 2)}); red 0->1, "
                 "blue 1->0", fontsize=9)
    return png_bytes(fig)


def report_files(result):
    """Every file of the report (module docstring), rendered."""
    return {"faults.md": faults_markdown(result), "faults.json": json_text(public(result)),
            "voltage.png": _voltage_png(result), "ber_level.png": _ber_level_png(result),
            "fault_maps.png": _maps_png(result)}


def run(args):
    """``stochhw analyze faults``."""
    if args.p is not None and args.level is not None:
        raise ParameterError("give --p or --level for the fault maps, not both")
    if args.level is not None:
        check_int("level", args.level, 0, (1 << LEVEL_BITS) - 1)
    if args.p is not None:
        check_rate(args.p, "p")
    result = fault_study(seed=args.seed, chips=args.chips,
                         p_map=0.01 if args.p is None else args.p, level_map=args.level)
    paths = write_report(report_folder(args), report_files(result))
    return print_outcome(args, public(result), faults_markdown(result), paths)
