"""`stochhw bench` runs every subject end to end (a smoke test: it asserts structure, not speed)."""

import pytest

from stochhw.sim.campaigns.bench import format_bench, run_bench

pytestmark = pytest.mark.simulator_required


def test_bench_measures_every_subject_side_by_side(tmp_path):
    report = run_bench(repeats=1, cycles=4000, lanes=2, build_root=tmp_path)
    rows = report["throughput"]
    assert set(rows) == {"golden model", "amaranth sim", "icarus percycle", "verilator percycle",
                         "icarus bulk", "verilator bulk", "verilator raw (no Python)",
                         "icarus raw (no Python)"}
    for row in rows.values():
        assert row["cycles"] >= 200 and row["median_seconds"] > 0
        assert row["cycles_per_second"] == pytest.approx(row["cycles"] / row["median_seconds"], rel=2e-2)
    assert rows["verilator percycle"]["speedup_vs_percycle"] == 1.0
    assert 0 < rows["verilator bulk"]["fraction_of_raw"]
    assert report["synthesis"]["cached_median_seconds"] < report["synthesis"]["cold_median_seconds"]
    assert "verilator bulk" in format_bench(report)
