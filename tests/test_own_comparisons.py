"""Users' own comparisons (``stochhw compare --baseline ... --candidate ... --sweep ...``) and
collision-free report names for comparisons and sweeps (``synth``/``pnr --sweep``, several families)."""

import dataclasses
import json
import shlex

import pytest

from stochhw.models.checks import ParameterError
from stochhw.sim.campaigns import compare
from stochhw.sim.campaigns.compare import parse_side, plan_comparison, regeneration, run_comparison
from stochhw.sim.campaigns.sweep import make_sweep, make_sweeps
from stochhw.sim.cli import main
from stochhw.sim.core.comparison import Comparison
from stochhw.sim.designs import COMPARISONS

BASE, CAND = "sru_array source=lfsr", "sru_array source=external"


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _one_line_error(capsys, argv, fragment):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.startswith("stochhw: error: ") and err.count("\n") == 1, err
    assert fragment in err, err
    return out


# --- planning ---------------------------------------------------------------------------------

def test_plan_names_sides_and_command():
    comp = plan_comparison(BASE, CAND, "lanes=1,4", ("ice40", "ecp5"))
    assert comp.name.startswith("sru_array_vs_sru_array_lanes_") and len(comp.name.rsplit("_", 1)[1]) == 8
    assert (comp.baseline.design, comp.baseline.params) == ("sru_array", {"source": "lfsr"})
    assert comp.candidate.label == CAND and comp.values == (1, 4) and comp.families == ("ice40", "ecp5")
    assert comp.command == ("`stochhw compare --baseline 'sru_array source=lfsr' --candidate "
                            "'sru_array source=external' --sweep lanes=1,4 --family ice40,ecp5`")
    assert regeneration(comp) == comp.command


def test_names_differ_exactly_when_the_comparison_does():
    name = plan_comparison(BASE, CAND, "lanes=1,4", ("ice40",)).name
    assert plan_comparison(BASE, CAND, "lanes=1,4", ("ice40",)).name == name
    # -o is where the files go, not what they hold.
    assert plan_comparison(BASE, CAND, "lanes=1,4", ("ice40",), output="elsewhere").name == name
    others = [plan_comparison(BASE + " in_width=12", CAND, "lanes=1,4", ("ice40",)),
              plan_comparison(BASE, CAND + " in_width=12", "lanes=1,4", ("ice40",)),
              plan_comparison(BASE, CAND, "lanes=1,8", ("ice40",)),
              plan_comparison(BASE, CAND, "lanes=1,4", ("ecp5",)),
              plan_comparison(BASE, CAND, "lanes=1,4", ("ice40",), pnr=True),
              plan_comparison(CAND, BASE, "lanes=1,4", ("ice40",))]
    names = [c.name for c in others]
    assert name not in names and len(set(names)) == len(names)


def test_the_command_of_the_markdown_plans_the_same_comparison(monkeypatch, capsys, tmp_path):
    """What the markdown claims, run through the command line, is the very same comparison."""
    planned = []
    monkeypatch.setattr(compare, "run_comparison", lambda comp, out_dir, **kwargs: planned.append((comp, out_dir)))
    comp = plan_comparison(BASE + " in_width=12 out_width=6", CAND, "lanes=2,3", ("xilinx", "ecp5"), pnr=True,
                           output=str(tmp_path / "my reports"))
    words = shlex.split(comp.command.strip("`"))
    assert words[:2] == ["stochhw", "compare"]
    assert main(words[1:]) == 0
    capsys.readouterr()
    assert planned == [(comp, tmp_path / "my reports")]


def test_regeneration_never_claims_a_command_that_makes_something_else():
    builtin = COMPARISONS["sru_lanes"]
    assert regeneration(builtin).startswith("`stochhw compare sru_lanes`")
    # Changed in Python, or made there: no `stochhw compare` command gives these files.
    for comp in (dataclasses.replace(builtin, values=(1, 2)),
                 Comparison(name="tiny", title="t", baseline=("a", "sru_array", {}),
                            candidate=("b", "sru_array", {"source": "external"}), sweep="lanes", values=(1,))):
        text = regeneration(comp)
        assert "stochhw compare" not in text.replace("no `stochhw` command", "") and "Python API" in text


@pytest.mark.parametrize("args,fragment", [
    (("", CAND, "lanes=1"), 'needs "DESIGN K=V ..."'),
    (("nosuch", CAND, "lanes=1"), "unknown design 'nosuch'"),
    (("sru_array lanes", CAND, "lanes=1"), "expected K=V after the design, not 'lanes'"),
    (("sru_array source=lfsr source=lfsr", CAND, "lanes=1"), "source given twice"),
    (("sru_array sorce=lfsr", CAND, "lanes=1"), "unknown parameter 'sorce'"),
    (("sru_array source=pcg", CAND, "lanes=1"), "source must be one of"),
    ((BASE, CAND, "source=lfsr,external"), "a comparison sweeps an integer parameter"),
    ((BASE, CAND, "lanes="), "--sweep lanes has no values"),
    ((BASE, CAND, "lanes=1,x"), "lanes must be an integer"),
    ((BASE, CAND, "lanes=0,1"), "lanes must be in 1..4096"),
    ((BASE, CAND, "lanes=2,2"), "values must be distinct"),
    ((BASE + " lanes=4", CAND, "lanes=1,2"), "must not set the sweep parameter 'lanes'"),
    ((BASE, BASE, "lanes=1"), "--baseline and --candidate are the same"),
    ((BASE, "sru_free", "lanes=1"), "unknown parameter 'lanes' for design 'sru_free'"),
])
def test_bad_plans(args, fragment):
    with pytest.raises(ParameterError) as info:
        plan_comparison(*args, families=("ice40",))
    assert fragment in str(info.value)


def test_parse_side_parses_values():
    assert parse_side("lfsr width=8 taps=8,6,5,4") == ("lfsr", {"width": 8, "taps": (8, 6, 5, 4)})


@pytest.mark.parametrize("argv,fragment", [
    (["compare", "--baseline", BASE], "needs --baseline, --candidate and --sweep (missing: --candidate, --sweep)"),
    (["compare", "sru_lanes", "--baseline", BASE, "--candidate", CAND, "--sweep", "lanes=1"], "not both"),
    (["compare", "sru_lanes", "--family", "ice40"], "--family: only with --baseline"),
    (["compare", "sru_lanes", "--pnr"], "--pnr: only with --baseline"),
    (["compare", "sru_lanes", "train_tile", "--json"], "--json prints one comparison"),
    (["compare", "--baseline", BASE, "--candidate", CAND, "--sweep", "lanes=1", "--family", "ice40,gowin"],
     "family must be one of"),
    (["compare", "--baseline", BASE, "--candidate", CAND, "--sweep", "lanes=1", "--family", "ice40,ice40"],
     "names ice40 twice"),
    (["compare", "--baseline", BASE, "--candidate", CAND, "--sweep", "lanes=1", "--family", "ice40,"],
     "has an empty item"),
])
def test_cli_bad_compare_is_one_line_exit_2(capsys, argv, fragment):
    _one_line_error(capsys, argv, fragment)


# --- running ----------------------------------------------------------------------------------

def test_own_comparison_end_to_end(tmp_path, capsys):
    """Files as the built-in comparisons write them; the markdown's command regenerates the
    same bytes; a different comparison gets other files and leaves these alone."""
    out = tmp_path / "reports"
    argv = ["compare", "--baseline", BASE, "--candidate", CAND, "--sweep", "lanes=1,2", "--family", "ecp5",
            "-o", str(out), "-j", "1"]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    comp = plan_comparison(BASE, CAND, "lanes=1,2", ("ecp5",), output=str(out))
    assert stdout == f"wrote {out / comp.name}.{{md,csv,json,png}}\n"
    first = _files(out)
    assert sorted(first) == [f"{comp.name}.{ext}" for ext in ("csv", "json", "md", "png")]
    md = first[f"{comp.name}.md"].decode()
    assert f"Generated by {comp.command}; do not edit by hand." in md
    doc = json.loads(first[f"{comp.name}.json"])
    assert doc["name"] == comp.name and [r["lanes"] for r in doc["rows"]] == [1, 2]
    assert all(r["candidate_ffs"] < r["baseline_ffs"] for r in doc["rows"])
    # The command the markdown states, run as written, gives the same bytes.
    assert main(shlex.split(comp.command.strip("`"))[1:] + ["-j", "1"]) == 0
    capsys.readouterr()
    assert _files(out) == first
    # Another comparison into the same folder: its own files, these untouched; --json prints it.
    assert main(["compare", "--baseline", BASE, "--candidate", CAND, "--sweep", "lanes=1", "--family", "ecp5",
                 "-o", str(out), "-j", "1", "--json"]) == 0
    other = json.loads(capsys.readouterr().out)
    assert other["name"] != comp.name and other["values"] == [1]
    assert len(_files(out)) == 8 and all(_files(out)[name] == data for name, data in first.items())


def test_a_file_of_another_report_is_never_overwritten(tmp_path, capsys):
    comp = plan_comparison(BASE, CAND, "lanes=1", ("ecp5",))
    (tmp_path / f"{comp.name}.md").write_text("my notes\n")
    argv = ["compare", "--baseline", BASE, "--candidate", CAND, "--sweep", "lanes=1", "--family", "ecp5",
            "-o", str(tmp_path)]
    _one_line_error(capsys, argv, f"{comp.name}.md exists and was not written by this run")
    (tmp_path / f"{comp.name}.json").write_text(json.dumps({"name": comp.name, "sweep": "lanes",
                                                            "baseline": {"design": "sru_array", "params": {}},
                                                            "candidate": {"design": "lfsr", "params": {}}}))
    _one_line_error(capsys, argv, f"{comp.name}.json holds a different report")
    (tmp_path / f"{comp.name}.json").write_text("not json")
    _one_line_error(capsys, argv, "holds a different report")
    assert (tmp_path / f"{comp.name}.md").read_text() == "my notes\n"
    # The same guard keeps a comparison made in Python from taking a built-in's files.
    builtin = COMPARISONS["sru_lanes"]
    (tmp_path / "sru_lanes.json").write_text(json.dumps({
        "name": "sru_lanes", "sweep": builtin.sweep, "baseline": dataclasses.asdict(builtin.baseline),
        "candidate": dataclasses.asdict(builtin.candidate)}))
    fake = dataclasses.replace(builtin, candidate=("x", "sru_array", {"in_width": 12}))
    with pytest.raises(ParameterError, match="sru_lanes.json holds a different report"):
        run_comparison(fake, tmp_path, progress=None)


# --- sweeps -----------------------------------------------------------------------------------

def test_sweep_stems_carry_what_shapes_the_results():
    stem = make_sweep("sru_array", "lanes=1,4", family="ice40").stem
    assert stem.startswith("sru_array_lanes_ice40_") and len(stem.rsplit("_", 1)[1]) == 8
    # The default spelled out is the same sweep; another fixed parameter, value or target is not.
    assert make_sweep("sru_array", "lanes=1,4", {"source": "lfsr"}, family="ice40").stem == stem
    others = [make_sweep("sru_array", "lanes=1,4", {"source": "external"}, family="ice40").stem,
              make_sweep("sru_array", "lanes=1,8", family="ice40").stem,
              make_sweep("sru_array", "lanes=1,4", family="ice40", pnr=True).stem,
              make_sweep("sru_array", "lanes=1,4", family="ice40", pnr=True, device="up5k").stem,
              make_sweep("sru_array", "lanes=1,4", family="ice40", pnr=True, seed=2).stem]
    assert stem not in others and len(set(others)) == len(others)


def test_make_sweeps_one_per_family():
    sweeps = make_sweeps("lfsr", "width=4,8", families=("ice40", "ecp5"))
    assert [s.family for s in sweeps] == ["ice40", "ecp5"]
    with pytest.raises(ParameterError, match="give a single --family"):
        make_sweeps("lfsr", "width=4,8", families=("ice40", "ecp5"), pnr=True, device="hx8k")


@pytest.mark.parametrize("argv,fragment", [
    (["synth", "lfsr", "--family", "ice40,ecp5"], "several families only with --sweep"),
    (["synth", "lfsr", "--sweep", "width=4", "--family", "ice40,nope"], "family must be one of"),
    (["pnr", "lfsr", "--sweep", "width=4", "--family", "ice40,xilinx"], "family 'xilinx' has no place and route"),
    (["pnr", "lfsr", "--sweep", "width=4", "--family", "ice40,ecp5", "--device", "hx8k"], "single --family"),
])
def test_cli_bad_family_lists(capsys, argv, fragment):
    _one_line_error(capsys, argv, fragment)


def test_sweep_over_two_families_through_the_cli(tmp_path, capsys):
    assert main(["synth", "lfsr", "--sweep", "width=4,8", "--family", "ice40,ecp5", "-j", "1", "-o", str(tmp_path),
                 "--json"]) == 0
    docs = json.loads(capsys.readouterr().out)["sweeps"]
    assert [d["family"] for d in docs] == ["ice40", "ecp5"]
    for doc in docs:
        assert [r["ffs"] for r in doc["rows"]] == [4, 8]
        stem = make_sweep("lfsr", "width=4,8", family=doc["family"]).stem
        assert json.loads((tmp_path / f"{stem}.json").read_text()) == doc
    assert len(list(tmp_path.iterdir())) == 8
    # Another sweep's files under this stem are refused before anything runs.
    stem = make_sweep("lfsr", "width=4", family="ice40").stem
    (tmp_path / f"{stem}.png").write_bytes(b"mine")
    _one_line_error(capsys, ["synth", "lfsr", "--sweep", "width=4", "--family", "ice40", "-o", str(tmp_path)],
                    f"{stem}.png exists and was not written by this run")
