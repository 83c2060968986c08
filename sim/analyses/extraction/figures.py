"""The figures of the extraction report, each a function of the result that returns PNG bytes.

``histograms_png`` (paper Fig. 4), ``lsb_png`` (Fig. A1), ``nist_png`` (Fig. A3),
``mapping_png`` (Table A1), ``pixel_png`` (Fig. 5 / A4) and ``gf_png`` (gf_rounding's
conditional bias). The ones that draw arrays read them from the result's ``"_plot"``.
"""

import numpy as np

from stochhw.models.ml.training import TENSOR_KINDS
from stochhw.sim.analyses.extraction.notes import nist_cell
from stochhw.sim.analyses.extraction.study import METHODS
from stochhw.sim.core.reportkit import figure, png_bytes

__all__ = ["histograms_png", "lsb_png", "nist_png", "mapping_png", "pixel_png", "gf_png"]


def histograms_png(result):
    cfg = result["config"]
    k = cfg["number_bits"]
    fig = figure(12.0, 5.2)
    axes = fig.subplots(len(METHODS), len(TENSOR_KINDS), sharex=True, sharey=True)
    for row, method in enumerate(METHODS):
        for col, kind in enumerate(TENSOR_KINDS):
            ax = axes[row, col]
            for i, width in enumerate(cfg["code_widths"]):
                counts = np.array(result["histograms"][str(width)][kind][method], dtype=float)
                share = counts / counts.sum()
                # One filled staircase per panel: 64 bar patches each make the layout slow.
                edges = np.arange((1 << k) + 1) - 0.5
                if i == 0:
                    ax.stairs(share, edges, fill=True, color="C0", label=f"{width}-bit codes")
                else:
                    ax.stairs(share, edges, color=f"C{i}", lw=1.0, label=f"{width}-bit codes")
            ax.axhline(1 / (1 << k), color="k", ls="--", lw=0.8, label="uniform")
            ax.set_yscale("log")
            ax.set_ylim(1e-4, 1.0)
            ax.set_title(f"{kind}, {method}", fontsize=9)
            if row == len(METHODS) - 1:
                ax.set_xlabel(f"{k}-bit number")
            if col == 0:
                ax.set_ylabel("share of numbers")
    axes[0, -1].legend(fontsize=7, loc="upper right")
    return png_bytes(fig)


def lsb_png(result):
    rasters = result["_plot"]["rasters"]
    fig = figure(12.0, 6.0)
    axes = fig.subplots(len(TENSOR_KINDS), 1, sharex=True)
    rows = {r["kind"]: r for r in result["lsb_over_training"]}
    for ax, kind in zip(axes, TENSOR_KINDS):
        raster = rasters[kind]
        ax.imshow(raster, aspect="auto", cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        r = rows[kind]
        ax.set_title(f"{kind} (layer 0, {r['drawn']}): ones {r['drawn_ones_fraction']:.2f}",
                     fontsize=9)
        ax.set_ylabel("location")
    axes[-1].set_xlabel("training step")
    return png_bytes(fig)


def nist_png(result):
    cfg = result["config"]
    columns = [(w, m, mp) for w in cfg["code_widths"] for m in METHODS for mp in ("none", "derived")]
    rows = [(kind, layer) for kind in TENSOR_KINDS for layer in (0, 1)]
    nist = {(r["code_bits"], r["kind"], r["layer"], r["method"], r["mapping"]): r
            for r in result["nist"]}
    passed = np.array([[nist[(w, kind, layer, m, mp)]["pass"] for (w, m, mp) in columns]
                       for kind, layer in rows], dtype=float)
    applicable = np.array([[nist[(w, kind, layer, m, mp)]["pass"] + nist[(w, kind, layer, m, mp)]["fail"]
                            for (w, m, mp) in columns] for kind, layer in rows])
    share = passed / np.maximum(applicable, 1)
    fig = figure(11.0, 4.8)
    ax = fig.subplots()
    image = ax.imshow(share, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for i in range(len(rows)):
        for j in range(len(columns)):
            ax.text(j, i, f"{int(passed[i, j])}/{applicable[i, j]}", ha="center", va="center",
                    fontsize=8, color="w" if share[i, j] < 0.6 else "k")
    ax.set_yticks(range(len(rows)), [f"{kind} L{layer}" for kind, layer in rows])
    ax.set_xticks(range(len(columns)), [f"{w}-bit\n{m}\n{'mapped' if mp == 'derived' else 'raw'}"
                                        for w, m, mp in columns], fontsize=8)
    refs = ", ".join(f"{r['name'].split(',')[0]} {nist_cell(r['nist'])}"
                     for r in result["references"])
    ax.set_title(f"NIST SP 800-22 tests passed / applicable, {cfg['number_bits']}-bit numbers "
                 f"(references: {refs})", fontsize=9)
    fig.colorbar(image, ax=ax, label="share of the applicable tests passed")
    return png_bytes(fig)


def mapping_png(result):
    profiles = result["_plot"]["bias_profiles"]
    cfg = result["config"]
    width = cfg["code_widths"][-1]
    km = cfg["mapping_bits"]
    fig = figure(12.0, 5.0)
    axes = fig.subplots(len(METHODS), len(TENSOR_KINDS), sharex=True, sharey=True)
    f = np.arange(1 << km)
    for row, method in enumerate(METHODS):
        for col, kind in enumerate(TENSOR_KINDS):
            ax = axes[row, col]
            for i, label in enumerate(("none", "paper", "derived")):
                ax.plot(f, profiles[(width, kind, method, label)], "o-", ms=3, lw=1,
                        color=f"C{i}", label={"none": "no mapping", "paper": "issue's example",
                                              "derived": "derived"}[label])
            ax.axhline(0, color="k", lw=0.6)
            ax.set_title(f"{kind}, {method}", fontsize=9)
            if row == len(METHODS) - 1:
                ax.set_xlabel("fractional part f")
            if col == 0:
                ax.set_ylabel("bias (LSB of x)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Stochastic-rounding bias per fractional part, {km}-bit numbers from "
                 f"{width}-bit codes", fontsize=10)
    return png_bytes(fig)


def pixel_png(result):
    fig = figure(12.0, 3.6)
    axes = fig.subplots(1, len(result["pixel"]), sharey=True)
    for ax, r in zip(axes, result["pixel"]):
        values = np.arange(len(r["pmf"]))
        pmf = np.array(r["pmf"])
        ax.bar(values, pmf, width=0.8, color="C0", label="achieved (pooled)")
        ax.errorbar(values, pmf, yerr=[pmf - np.array(r["lane_min_pmf"]),
                                       np.array(r["lane_max_pmf"]) - pmf],
                    fmt="none", ecolor="k", elinewidth=0.8, capsize=2, label="range over locations")
        ax.plot(values, r["target_pmf"], "r*", ms=8, label="target")
        ax.set_title(f"{r['name']} (TV {r['total_variation']:.3f})", fontsize=9)
        ax.set_xlabel(f"{r['bits']}-bit number")
    axes[0].set_ylabel("probability")
    axes[0].legend(fontsize=7)
    return png_bytes(fig)


def gf_png(result):
    arrays = result["_plot"]["gf"]
    gf = {r["name"]: r for r in result["gf_rounding"]["configurations"]}
    k = result["gf_rounding"]["config"]["k"]
    f = np.arange(1 << k)
    fig = figure(12.0, 3.8)
    axes = fig.subplots(1, 3, sharey=True)
    panels = [("naive_multi_lsb", "before the fix: multi_lsb, naive wrap-around"),
              ("naive_direct_self", "before the fix: direct, a lane that reads itself"),
              ("after", "after the fix (circulant), and controls")]
    for ax, (name, title) in zip(axes, panels):
        if name == "after":
            for i, config in enumerate(("multi_lsb", "direct", "port", "lfsr")):
                ax.plot(f, arrays[config][0][0], ".", ms=2, color=f"C{i}",
                        label=f"{config}, lane 0")
        else:
            measured, exact = arrays[name]
            own_bits = gf[name]["own_bits"]
            # The lane whose own bit sits highest, one with a lower own bit, one without.
            own = sorted((i for i, bits in enumerate(own_bits) if bits),
                         key=lambda i: (-max(b for b, _ in own_bits[i]), i))
            lower = [i for i in own if max(b for b, _ in own_bits[i])
                     < max(b for b, _ in own_bits[own[0]]) - 1] if own else []
            plain = [i for i, bits in enumerate(own_bits) if not bits]
            shown = own[:1] + lower[:1] + plain[:1]
            for i, lane in enumerate(shown):
                where = gf[name]["own_bits"][lane]
                label = (f"lane {lane}, own LSB as bit {where[0][0]}" if len(where) == 1 else
                         f"lane {lane}, number = own f" if where else f"lane {lane}, no own bit")
                ax.plot(f, measured[lane], ".", ms=2, color=f"C{i}", label=label)
                ax.plot(f, exact[lane], "-", lw=0.5, color=f"C{i}")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(f"fractional part f = x mod 2^{k}")
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel("E[y 2^k - x | f] (LSB of x)")
    fig.suptitle("gf_rounding: mean rounding error per fractional part (dots: measured, "
                 "lines: exact)", fontsize=10)
    return png_bytes(fig)
