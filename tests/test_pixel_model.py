# amaranth: UnusedElaboratable=no
# (components built with bad parameters to check they are refused are never elaborated)
"""Pixel extractor: locations, target distributions, thresholds, threshold files, parameters."""

import json

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_digits

from stochhw.hw.pixel_extractor import PixelExtractor
from stochhw.models.checks import ParameterError
from stochhw.models.pixel import (
    MODE_LIMIT,
    PixelExtractorModel,
    PixelExtractorSpec,
    digits_pixels,
    eligible_locations,
    lane_pixels,
    load_thresholds,
    number_pmf,
    pixel_numbers,
    target_cdf,
)
from stochhw.sim.cli import main
from stochhw.sim.designs import get_design
from stochhw.testbench.amaranth_sim import run_amaranth
from stochhw.testbench.check import compare_outputs
from stochhw.testbench.stimuli import make_stimulus


def dataset_thresholds(**params):
    """The thresholds a spec with ``params`` computes from the digits."""
    return PixelExtractorSpec(**params).threshold_table


def ref_scaled(pixel_width):
    """The digits scaled to pixel_width bits, one value at a time (round half up)."""
    images = load_digits().images.reshape(-1, 64)
    top = 2 ** pixel_width - 1
    return np.array([[int(v * top / 16 + 0.5) for v in row] for row in images[:200]])


@pytest.mark.parametrize("pixel_width", [8, 5, 1])
def test_scaling_maps_0_16_onto_the_pixel_range(pixel_width):
    np.testing.assert_array_equal(digits_pixels(pixel_width)[:200], ref_scaled(pixel_width))
    assert digits_pixels(pixel_width).max() == 2 ** pixel_width - 1


def test_eligible_locations_follow_the_documented_rule():
    pixels = digits_pixels(8)
    locations = eligible_locations(8)
    mode = {loc: np.bincount(pixels[:, loc]).max() / len(pixels) for loc in range(64)}
    inner = [r * 8 + c for r in range(1, 7) for c in range(1, 7)]
    assert sorted(locations) == [loc for loc in inner if mode[loc] <= MODE_LIMIT]
    assert len(locations) == 29
    # Most evenly spread first.
    assert [mode[loc] for loc in locations] == sorted(mode[loc] for loc in locations)
    for loc in locations:
        assert 1 <= loc // 8 <= 6 and 1 <= loc % 8 <= 6          # never the outer ring


@pytest.mark.parametrize("bits", [1, 2, 3, 5])
def test_target_cdfs(bits):
    edges = np.arange(1, 2 ** bits) / 2 ** bits
    np.testing.assert_allclose(target_cdf(bits, "uniform"), edges)
    np.testing.assert_allclose(target_cdf(bits, "beta", alpha=1.0, beta=1.0), edges)
    np.testing.assert_allclose(target_cdf(bits, "beta", alpha=2.0, beta=5.0),
                               stats.beta(2.0, 5.0).cdf(edges))
    sigma = 1 / 3
    truncated = stats.truncnorm(-1 / sigma, 1 / sigma, scale=sigma)
    gauss = target_cdf(bits, "gauss", sigma=sigma)
    np.testing.assert_allclose(gauss, truncated.cdf(2 * edges - 1))
    np.testing.assert_allclose(gauss + gauss[::-1], 1.0)        # symmetric about the middle


@pytest.mark.parametrize("distribution,shape", [
    ("uniform", {}), ("gauss", {"sigma": 0.333}), ("gauss", {"sigma": 2.0}),
    ("beta", {"alpha": 2.0, "beta": 5.0}), ("beta", {"alpha": 0.5, "beta": 0.5}),
])
@pytest.mark.parametrize("bits", [1, 3, 4])
def test_thresholds_are_the_closest_quantiles(distribution, shape, bits):
    lanes, width = 29, 8
    thresholds = dataset_thresholds(lanes=lanes, bits=bits, pixel_width=width,
                                    distribution=distribution, **shape)
    assert thresholds.shape == (lanes, 2 ** bits - 1)
    assert np.all(np.diff(thresholds, axis=1) >= 0)
    assert thresholds.min() >= 0 and thresholds.max() <= 2 ** width
    cdf = target_cdf(bits, distribution, **shape)
    pixels = lane_pixels(lanes, width)
    for i in range(lanes):
        below = [np.mean(pixels[:, i] < v) for v in range(2 ** width + 1)]     # G(v), plainly
        for j, c in enumerate(cdf):
            best = min(abs(g - c) for g in below)
            t = thresholds[i, j]
            assert abs(below[t] - c) == best and all(abs(below[v] - c) > best for v in range(t))
        # The achieved distribution is exactly the one the thresholds promise.
        achieved = np.diff([0.0] + [below[t] for t in thresholds[i]] + [1.0])
        np.testing.assert_allclose(number_pmf(pixels[:, i:i + 1], thresholds[i:i + 1])[0], achieved)


def test_achieved_distributions_are_close_to_the_targets_on_the_best_lanes():
    """The digits have 17 levels, so this is coarse; the evenly spread lanes do best."""
    pixels = lane_pixels(8, 8)
    for distribution, shape in [("uniform", {}), ("gauss", {"sigma": 1 / 3}),
                                ("beta", {"alpha": 2.0, "beta": 5.0})]:
        thresholds = dataset_thresholds(lanes=8, bits=3, distribution=distribution, **shape)
        target = np.diff(np.concatenate([[0], target_cdf(3, distribution, **shape), [1]]))
        tv = 0.5 * np.abs(number_pmf(pixels, thresholds) - target).sum(axis=1)
        assert tv.max() < 0.25, (distribution, tv)


def test_pixel_numbers_count_the_thresholds_reached():
    rng = np.random.default_rng(2)
    thresholds = np.sort(rng.integers(0, 257, size=(5, 7)), axis=1)
    pixels = rng.integers(0, 256, size=(300, 5))
    expected = [[sum(int(p) >= int(t) for t in thresholds[i]) for i, p in enumerate(row)] for row in pixels]
    np.testing.assert_array_equal(pixel_numbers(pixels, thresholds), expected)


def test_model_registers_and_resets():
    model = PixelExtractorModel(lanes=1, bits=2)
    t = model.threshold_table[0]
    px = np.array([[0], [255], [int(t[1])], [255], [255]], dtype=np.uint64)
    rst = np.array([[0], [0], [0], [1], [0]], dtype=np.uint64)
    rnd = model.run({"px": px, "rst": rst})["rnd"][:, 0].tolist()
    assert rnd == [0, int((0 >= t).sum()), int((255 >= t).sum()), int((t[1] >= t).sum()), 0]


# --- threshold files ----------------------------------------------------------------------------

def _write(tmp_path, name, content):
    path = tmp_path / name
    if name.endswith(".npy"):
        np.save(path, content)
    else:
        path.write_text(content)
    return str(path)


def test_threshold_files_json_and_npy(tmp_path):
    table = [[10, 20, 30], [0, 0, 256], [5, 5, 5]]
    for path in (_write(tmp_path, "t.json", json.dumps(table)),
                 _write(tmp_path, "t.npy", np.array(table, dtype=np.int16))):
        model = PixelExtractorModel(lanes=3, bits=2, thresholds=path)
        assert model.threshold_table.tolist() == table
        assert load_thresholds(path, 3, 2, 8).tolist() == table


@pytest.mark.parametrize("name,content,fragment", [
    ("missing.json", None, "does not exist"),
    ("empty.json", "", "is empty"),
    ("empty_list.json", "[]", "is empty"),
    ("bad.json", "[[1, 2,", "unreadable"),
    ("floats.json", "[[1.5, 2, 3]]", "list of lists of integers"),
    ("shape.json", "[[1, 2, 3], [4, 5, 6]]", "must have shape (1, 3)"),
    ("short.json", "[[1, 2]]", "must have shape (1, 3)"),
    ("unsorted.json", "[[1, 9, 3]]", "row 0 is not sorted"),
    ("range.json", "[[1, 2, 257]]", "must be in 0..256"),
    ("negative.json", "[[-1, 2, 3]]", "must be in 0..256"),
    ("floats.npy", np.array([[1.0, 2.0, 3.0]]), "must hold integers"),
    ("t.csv", "1,2,3", "must end in .json or .npy"),
])
def test_bad_threshold_files_are_refused_naming_thresholds(tmp_path, name, content, fragment):
    path = str(tmp_path / name) if content is None else _write(tmp_path, name, content)
    with pytest.raises(ParameterError) as info:
        PixelExtractorModel(lanes=1, bits=2, thresholds=path)
    message = str(info.value)
    assert message.startswith("thresholds ") and fragment in message, message


def test_hardware_with_a_threshold_file_matches_the_model(tmp_path):
    rng = np.random.default_rng(4)
    table = np.sort(rng.integers(0, 65, size=(40, 3)), axis=1)       # 40 lanes: more than 29
    table[0] = [0, 64, 64]                                           # always / never reached
    path = _write(tmp_path, "t.npy", table)
    design = get_design("pixel_extractor")
    params = design.resolve({"lanes": "40", "bits": "2", "pixel_width": "6", "thresholds": path})
    component = design.build(params)
    ports = design.ports(params, component)
    stim = make_stimulus(ports, 300, 8)
    compare_outputs(ports, stim, design.golden(params).run(stim), run_amaranth(component, ports, stim),
                    seed=8, latency=1, label="pixel_extractor from a file")


def test_cli_generates_from_a_threshold_file_and_refuses_a_bad_one(tmp_path, capsys):
    good = _write(tmp_path, "t.json", json.dumps([[1, 2, 3]] * 2))
    assert main(["generate", "pixel_extractor", "-p", "lanes=2", "-p", "bits=2",
                 "-p", f"thresholds={good}", "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "pixel_extractor.v").exists()
    capsys.readouterr()
    assert main(["generate", "pixel_extractor", "-p", "thresholds=/nonexistent.json"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["stochhw: error: thresholds file '/nonexistent.json' does not exist"]


# --- parameters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("change,name", [
    (dict(lanes=0), "lanes"), (dict(lanes=30), "lanes"), (dict(bits=0), "bits"),
    (dict(bits=9, pixel_width=12), "bits"), (dict(bits=4, pixel_width=3), "bits"),
    (dict(pixel_width=0), "pixel_width"), (dict(pixel_width=17), "pixel_width"),
    (dict(distribution="cauchy"), "distribution"), (dict(sigma=0), "sigma"),
    (dict(sigma=float("nan")), "sigma"), (dict(sigma="1/3"), "sigma"), (dict(alpha=-1.0), "alpha"),
    (dict(beta=float("inf")), "beta"), (dict(thresholds=3), "thresholds"),
])
def test_bad_parameters_are_refused_naming_the_parameter(change, name):
    with pytest.raises(ParameterError) as info:
        PixelExtractorModel(**change)
    assert str(info.value).startswith(name + " "), str(info.value)
    with pytest.raises(ParameterError):
        PixelExtractor(**change)


def test_a_path_object_names_a_threshold_file(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps([[1, 2, 3]]))
    spec = PixelExtractorSpec(lanes=1, bits=2, thresholds=path)
    assert spec.thresholds == str(path) and spec.threshold_table.tolist() == [[1, 2, 3]]


def test_target_cdf_needs_the_shape_of_its_distribution():
    with pytest.raises(ParameterError, match="^sigma must be given"):
        target_cdf(3, "gauss")
    with pytest.raises(ParameterError, match="^beta must be given"):
        target_cdf(3, "beta", alpha=2.0)
    spec = PixelExtractorSpec(distribution="beta", alpha=1.0, beta=2.0)
    np.testing.assert_array_equal(spec.target, target_cdf(3, "beta", alpha=1.0, beta=2.0))


def test_float_and_path_parameters_parse_from_the_command_line():
    sigma = PixelExtractorSpec.param("sigma")
    assert sigma.parse("0.333") == 0.333 and sigma.parse("1e-1") == 0.1
    with pytest.raises(ParameterError, match="^sigma must be a number, not 'third'"):
        sigma.parse("third")
    path = PixelExtractorSpec.param("thresholds")
    assert path.parse("none") is None and path.parse(" a/b.json ") == "a/b.json"
    design = get_design("pixel_extractor")
    params = design.resolve({"distribution": "gauss", "sigma": "0.25"})
    assert params["sigma"] == 0.25 and params["thresholds"] is None


def test_hardware_with_every_eligible_location_matches_the_model():
    """29 lanes (all eligible locations), 4 bits: larger than the co-simulated regression cases."""
    design = get_design("pixel_extractor")
    params = design.resolve({"lanes": 29, "bits": 4, "distribution": "beta", "alpha": 2.0, "beta": 5.0})
    component = design.build(params)
    ports = design.ports(params, component)
    stim = make_stimulus(ports, 400, 3)
    compare_outputs(ports, stim, design.golden(params).run(stim), run_amaranth(component, ports, stim),
                    seed=3, latency=1, label="pixel_extractor, 29 lanes")


def test_hardware_is_exact_for_every_pixel_value_and_threshold_pattern(tmp_path):
    """Every 5-bit pixel value against 64 random sorted threshold rows (ties, 0 and 32 included)."""
    rng = np.random.default_rng(6)
    table = np.sort(rng.integers(0, 33, size=(64, 7)), axis=1)
    table[:4] = [[0] * 7, [32] * 7, [0, 0, 0, 32, 32, 32, 32], [1, 2, 3, 4, 5, 6, 7]]
    path = _write(tmp_path, "t.npy", table)
    design = get_design("pixel_extractor")
    params = design.resolve({"lanes": 64, "bits": 3, "pixel_width": 5, "thresholds": path})
    component = design.build(params)
    ports = design.ports(params, component)
    px = (np.arange(33)[:, None] + np.arange(64)[None, :]) % 32       # every value on every lane
    stim = {"rst": np.zeros((33, 1), dtype=np.uint64), "px": px.astype(np.uint64)}
    rnd = run_amaranth(component, ports, stim)["rnd"][1:]
    np.testing.assert_array_equal(rnd, pixel_numbers(px[:-1], table))
