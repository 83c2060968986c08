"""The report kit (stochhw.sim.core.reportkit) and the one parameter-to-text function: number
formats, Markdown tables, data files, figures whose bytes depend only on what is drawn, and a
report folder written as one set."""

import json
import math
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

from stochhw.sim.core import files
from stochhw.sim.core.design import params_text, value_text
from stochhw.sim.core.reportkit import (
    csv_text,
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

# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize("args, kwargs, text", [
    ((3.14159, 2), {}, "3.14"),
    ((2, 1), {}, "2.0"),
    ((None, 1), {}, "n/a"),
    ((None, 1), {"missing": "-"}, "-"),
    ((0.25, 2), {"sign": True}, "+0.25"),
    ((-0.25, 2), {"sign": True}, "-0.25"),
    ((12.5, 1), {"suffix": "%"}, "12.5%"),
    ((0.001, None), {}, "0.001"),
    ((0.5, 1), {"scale": 100}, "50.0"),
])
def test_number(args, kwargs, text):
    assert number(*args, **kwargs) == text


def test_percent_scales_a_fraction():
    assert percent(0.1234, 2) == "12.34"
    assert percent(0.1234, 3, suffix="%") == "12.340%"
    assert percent(0.0005, None, suffix="%") == "0.05%"
    assert percent(None) == "n/a"
    # the same text as formatting 100 * x directly, so reports keep their bytes
    for x in np.random.default_rng(1).random(100):
        assert percent(x, 2) == f"{100 * x:.2f}"


def test_plus_minus():
    assert plus_minus(0.5, 0.125) == "0.50 ± 0.12"
    assert plus_minus(0.5, 0.125, 1, scale=100, suffix="%") == "50.0% ± 12.5%"


def test_mean_std_is_the_sample_deviation_and_zero_for_one_value():
    mean, std = mean_std([1, 2, 3, 4])
    assert mean == 2.5 and std == pytest.approx(math.sqrt(5 / 3))
    assert isinstance(mean, float) and isinstance(std, float)
    assert mean_std([7.0]) == (7.0, 0.0)
    values = np.array([[1.0, 10.0], [3.0, 30.0]])
    mean, std = mean_std(values, axis=0)
    np.testing.assert_array_equal(mean, [2.0, 20.0])
    np.testing.assert_allclose(std, [math.sqrt(2), math.sqrt(200)])
    mean, std = mean_std(values[:1], axis=0)
    np.testing.assert_array_equal(std, [0.0, 0.0])


# --- tables ---------------------------------------------------------------------------------

def test_table_aligns_columns_and_leaves_empty_cells_empty():
    assert table(["name", "value", "ok"], "lrc", [["a", 1, "yes"], ["b", "", "NO"]]) == [
        "| name | value | ok |",
        "|---|--:|:-:|",
        "| a | 1 | yes |",
        "| b | | NO |",
    ]
    assert table(["x"], "r") == ["| x |", "|--:|"]


@pytest.mark.parametrize("header, align, rows", [
    (["a", "b"], "l", []),
    (["a", "b"], "lx", []),
    (["a", "b"], "ll", [["only one"]]),
])
def test_table_refuses_a_shape_that_does_not_fit(header, align, rows):
    with pytest.raises(ValueError):
        table(header, align, rows)


# --- data files -----------------------------------------------------------------------------

def test_json_text_sorts_keys_and_ends_with_a_newline():
    doc = {"b": 1, "a": {"d": [1, 2], "c": None}}
    text = json_text(doc)
    assert text.endswith("}\n") and text.index('"a"') < text.index('"b"')
    assert text.index('"c"') < text.index('"d"') and json.loads(text) == doc
    assert json_text({"b": 1, "a": 2}) == json_text({"a": 2, "b": 1})


def test_csv_text_header_conversion_and_line_ends():
    rows = [{"x": 1, "pct": 12.345, "v": [1, 2]}, {"x": 2, "pct": None, "v": [3]}]
    text = csv_text(rows, lambda key, value: number(value, 1) if key == "pct" else value)
    assert text == 'x,pct,v\n1,12.3,"[1, 2]"\n2,n/a,[3]\n'
    assert "\r" not in text
    with pytest.raises(ValueError):
        csv_text([])


def test_public_drops_the_figure_data():
    assert public({"a": 1, "_plot": np.zeros(3), "b": {"_c": 2}}) == {"a": 1, "b": {"_c": 2}}


# --- figures --------------------------------------------------------------------------------

def _drawing(seed):
    fig = figure(4.0, 3.0)
    ax = fig.subplots()
    data = np.random.default_rng(seed).random(50)
    ax.plot(data, "o-", label="data")
    ax.set_title("a figure")
    ax.legend()
    return png_bytes(fig)


def _chunks(png):
    """(type, data) of every PNG chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + data) == struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])[0]
        chunks.append((kind, data))
        pos += 12 + length
    return chunks


def test_the_same_figure_gives_the_same_bytes_and_another_does_not():
    first, second = _drawing(1), _drawing(1)
    assert first == second
    assert _drawing(2) != first


def test_png_carries_no_software_version_and_no_time():
    chunks = _chunks(_drawing(1))
    kinds = [kind for kind, _ in chunks]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert b"tIME" not in kinds
    text = b"".join(data for kind, data in chunks if kind in (b"tEXt", b"iTXt", b"zTXt"))
    assert b"Software" not in text and b"matplotlib" not in text.lower()
    width, height = struct.unpack(">II", chunks[0][1][:8])
    assert (width, height) == (400, 300)                 # 4 x 3 inches at 100 dpi


def test_figures_need_no_pyplot():
    code = ("import sys\n"
            "from stochhw.sim.core.reportkit import figure, png_bytes\n"
            "fig = figure(2, 2); fig.subplots().plot([0, 1])\n"
            "assert png_bytes(fig).startswith(b'\\x89PNG')\n"
            "assert 'matplotlib.pyplot' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- a report folder ------------------------------------------------------------------------

def test_write_report_writes_the_set_and_returns_the_paths_in_order(tmp_path):
    folder = tmp_path / "new" / "report"
    paths = write_report(folder, {"b.md": "text\n", "a.png": b"\x89PNG bytes"})
    assert paths == [folder / "b.md", folder / "a.png"]
    assert (folder / "b.md").read_text() == "text\n"
    assert (folder / "a.png").read_bytes() == b"\x89PNG bytes"
    assert sorted(p.name for p in folder.iterdir()) == ["a.png", "b.md"]     # no temporary left


def test_write_report_replaces_its_files_and_keeps_the_others(tmp_path):
    (tmp_path / "b.md").write_text("old\n")
    (tmp_path / "mine.txt").write_text("a user's file\n")
    write_report(tmp_path, {"b.md": "new\n"})
    assert (tmp_path / "b.md").read_text() == "new\n"
    assert (tmp_path / "mine.txt").read_text() == "a user's file\n"


def test_write_report_without_a_folder_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert write_report(None, {"b.md": "text\n"}) == []
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_names_the_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    """The disk fills after the set's files are written, while its journal is: the error
    names the file, and neither the temporaries nor a half set is left."""
    def fails(path, data):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(files, "write_atomic", fails)
    with pytest.raises(OSError, match="No space.*journal"):
        write_report(tmp_path, {"a.md": "x", "b.csv": "y"})
    assert list(tmp_path.iterdir()) == []


# --- parameters as text ---------------------------------------------------------------------

def test_params_text_is_the_form_minus_p_takes():
    assert params_text({"lanes": 4, "taps": (8, 6, 5, 4), "signed": True}) == \
        "lanes=4 taps=8,6,5,4 signed=True"
    assert params_text({}) == "" and params_text({}, "(defaults)") == "(defaults)"
    assert params_text({"b": 1, "a": 2}) == "b=1 a=2"           # the order given
    assert value_text([1, 2]) == "1,2" and value_text(None) == "None"
