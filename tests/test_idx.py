"""Tests of stochhw.models.ml.idx on small IDX files written here (nothing is downloaded)."""

import gzip
import struct

import numpy as np
import pytest

from stochhw.models.checks import ParameterError
from stochhw.models.ml.idx import IDXError, load_mnist, read_idx, write_idx


def raw_idx(code, shape, payload):
    """An IDX file assembled by hand with struct (independent of write_idx)."""
    return struct.pack(f">BBBB{len(shape)}I", 0, 0, code, len(shape), *shape) + payload


def test_read_hand_made_files(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(raw_idx(0x08, (2, 3, 4), images.tobytes()))
    np.testing.assert_array_equal(read_idx(tmp_path / "a", ndim=3, dtype="uint8"), images)
    values = np.array([-1.5, 2.25, 1e10])
    (tmp_path / "b").write_bytes(raw_idx(0x0E, (3,), values.astype(">f8").tobytes()))
    np.testing.assert_array_equal(read_idx(tmp_path / "b"), values)
    shorts = np.array([[-300, 7], [32767, -32768]], dtype=np.int16)
    (tmp_path / "c").write_bytes(raw_idx(0x0B, (2, 2), shorts.astype(">i2").tobytes()))
    got = read_idx(tmp_path / "c")
    assert got.dtype == np.int16
    np.testing.assert_array_equal(got, shorts)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
def test_write_read_round_trip(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 12) - 5).astype(dtype)
    write_idx(tmp_path / "x", a)
    b = read_idx(tmp_path / "x")
    assert b.dtype == a.dtype
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("content,message", [
    (b"", "bad magic"),
    (b"\x01\x00\x08\x01\x00\x00\x00\x00", "bad magic"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x00", "unknown element type 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated inside its header"),
    (raw_idx(0x08, (2, 3), bytes(5)), "has 17 bytes, but its header .* announces 18"),
    (raw_idx(0x08, (2, 3), bytes(7)), "has 19 bytes, but its header .* announces 18"),
    (raw_idx(0x0C, (2,), bytes(4)), "announces 16"),
])
def test_malformed_files(tmp_path, content, message):
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(IDXError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_wrong_shape(tmp_path):
    with pytest.raises(IDXError, match="not found"):
        read_idx(tmp_path / "nope")
    write_idx(tmp_path / "x", np.zeros((2, 2), np.uint8))
    with pytest.raises(IDXError, match="2 dimensions, expected 3"):
        read_idx(tmp_path / "x", ndim=3)
    with pytest.raises(IDXError, match="expected int32"):
        read_idx(tmp_path / "x", dtype="int32")
    (tmp_path / "y.gz").write_bytes(b"not gzip at all")
    with pytest.raises(IDXError, match="cannot be read"):
        read_idx(tmp_path / "y.gz")
    assert issubclass(IDXError, ParameterError)


def make_mnist(folder, n_train=30, n_test=12, gz=False, rows=4, cols=5, seed=0):
    rng = np.random.default_rng(seed)
    data = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, rows, cols), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        for kind, array, nd in (("images", images, 3), ("labels", labels, 1)):
            name = f"{prefix}-{kind}-idx{nd}-ubyte"
            blob = raw_idx(0x08, array.shape, array.tobytes())
            if gz:
                (folder / (name + ".gz")).write_bytes(gzip.compress(blob, mtime=0))
            else:
                (folder / name).write_bytes(blob)
        data[prefix] = (images, labels)
    return data


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist(tmp_path, gz):
    data = make_mnist(tmp_path, gz=gz)
    x_train, y_train, x_test, y_test = load_mnist(tmp_path)
    assert x_train.shape == (30, 20) and x_test.shape == (12, 20)
    np.testing.assert_array_equal(x_train, data["train"][0].reshape(30, 20) / 255.0)
    np.testing.assert_array_equal(y_test, data["t10k"][1])
    assert y_train.dtype == np.int64 and 0 <= x_train.min() and x_train.max() <= 1


def test_load_mnist_problems(tmp_path):
    with pytest.raises(IDXError, match="mnist folder not found"):
        load_mnist(tmp_path / "none")
    make_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(IDXError, match="t10k-labels-idx1-ubyte .* not found"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(raw_idx(0x08, (11,), bytes(11)))
    with pytest.raises(IDXError, match="12 images but .* 11 labels"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(raw_idx(0x08, (12,), bytes([10] * 12)))
    with pytest.raises(IDXError, match="label 10"):
        load_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(raw_idx(0x08, (12, 1), bytes(12)))
    with pytest.raises(IDXError, match="expected 1"):
        load_mnist(tmp_path)
