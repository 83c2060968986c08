"""`stochhw bench` runs every subject end to end (a smoke test: it asserts structure, not speed)."""

import pytest

from stochhw.sim.campaigns.bench import TARGETS, format_bench, run_bench

pytestmark = pytest.mark.simulator_required


def test_bench_measures_every_subject_side_by_side(tmp_path):
    report = run_bench(repeats=1, cycles=4000, lanes=2, build_root=tmp_path,
                       memory_cycles=(2000, 20_000))
    rows = report["throughput"]
    assert set(rows) == {"golden model (chunk by chunk)",
                         "python side of bulk (stimulus, model, signatures)", "amaranth sim",
                         "icarus percycle", "icarus bulk", "icarus design-only ceiling",
                         "verilator percycle", "verilator bulk", "verilator design-only ceiling"}
    for row in rows.values():
        assert row["cycles"] >= 200 and row["median_seconds"] > 0
        assert row["cycles_per_second"] == pytest.approx(row["cycles"] / row["median_seconds"], rel=2e-2)
    assert rows["verilator percycle"]["speedup_vs_percycle"] == 1.0
    for simulator in ("icarus", "verilator"):
        bulk = rows[f"{simulator} bulk"]
        assert 0 < bulk["fraction_of_ceiling"] and 0 < bulk["simulator_median_seconds"] <= bulk["median_seconds"]
    assert [m["cycles"] for m in report["memory"]] == [2000, 20_000]
    assert all(m["total_bytes"] == m["python_bytes"] + m["simulator_bytes"] > 0 for m in report["memory"])
    assert set(report["targets"]) == set(TARGETS)
    assert report["synthesis"]["cached_median_seconds"] < report["synthesis"]["cold_median_seconds"]
    text = format_bench(report)
    assert "verilator design-only ceiling" in text and "peak memory" in text and "target" in text
