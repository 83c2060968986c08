"""Reader of IDX files (the MNIST distribution format) and of an MNIST folder a user already has.

An IDX file is a big-endian header and an array::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
                0x0E float64
    byte  3     number of dimensions d (>= 1)
    4 * d       each dimension, uint32 big-endian
    then        prod(dims) elements, big-endian, C order

MNIST's images are ``uint8`` with 3 dimensions (magic ``0x00000803``), its labels ``uint8``
with one (``0x00000801``). :func:`read_idx` checks the magic, the dimensions and that the file
holds exactly the announced number of bytes; :func:`load_mnist` finds the four standard files
(also gzip-compressed ``*.gz`` and the ``train-images.idx3-ubyte`` spelling) in a folder and
checks that images and labels agree. Every problem raises :class:`IDXError` with one line
naming the file. Nothing is ever downloaded.

The format is parsed by hand: it is a 4-byte magic and a few integers, and NumPy reads the
array; no maintained library is needed (scikit-learn and torchvision both download).
"""

import gzip
import zlib
from pathlib import Path

import numpy as np

from stochhw.models.checks import ParameterError

__all__ = ["IDXError", "IDX_TYPES", "read_idx", "write_idx", "MNIST_FILES", "find_mnist_file",
           "load_mnist"]


class IDXError(ParameterError):
    """A missing or malformed IDX file (or MNIST folder); the message names the file."""


#: Element type code -> big-endian NumPy dtype.
IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_TYPES.items()}
#: Part -> (images file, labels file), the names MNIST is distributed under.
MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _read_bytes(path):
    path = Path(path)
    if not path.is_file():
        raise IDXError(f"IDX file not found: {path}")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:     # unreadable, or a broken gzip stream
        raise IDXError(f"IDX file {path} cannot be read: {exc}") from None


def read_idx(path, ndim=None, dtype=None):
    """The array stored in the IDX file ``path`` (``.gz`` is decompressed).

    Parameters
    ----------
    path : str or Path
    ndim : int, optional
        Required number of dimensions.
    dtype : str or numpy.dtype, optional
        Required element type (e.g. ``"uint8"``).

    Returns
    -------
    numpy.ndarray
        In native byte order.

    Raises
    ------
    IDXError
        Missing file, bad magic, unknown type, wrong dimensions or type, or a size that does
        not match the header.
    """
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise IDXError(f"IDX file {path} has a bad magic number (not an IDX file): "
                       f"{data[:4].hex() or 'empty file'}")
    code, dims = data[2], data[3]
    if code not in IDX_TYPES:
        raise IDXError(f"IDX file {path} has an unknown element type 0x{code:02x}")
    if dims < 1:
        raise IDXError(f"IDX file {path} declares 0 dimensions")
    header = 4 + 4 * dims
    if len(data) < header:
        raise IDXError(f"IDX file {path} is truncated inside its header ({len(data)} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=dims, offset=4))
    element = IDX_TYPES[code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * element.itemsize
    if len(data) != expected:
        raise IDXError(f"IDX file {path} has {len(data)} bytes, but its header "
                       f"({'x'.join(map(str, shape))} of {element.newbyteorder('=').name}) "
                       f"announces {expected}")
    if ndim is not None and dims != ndim:
        raise IDXError(f"IDX file {path} has {dims} dimensions, expected {ndim}")
    if dtype is not None and element.newbyteorder("=") != np.dtype(dtype):
        raise IDXError(f"IDX file {path} holds {element.newbyteorder('=').name}, "
                       f"expected {np.dtype(dtype).name}")
    array = np.frombuffer(data, dtype=element, offset=header).reshape(shape)
    return array.astype(element.newbyteorder("="))


def write_idx(path, array):
    """Write ``array`` as an IDX file (for tests and for making small data sets)."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None or array.ndim < 1:
        raise ParameterError(f"array must have at least one dimension and an IDX dtype "
                             f"({', '.join(dt.newbyteorder('=').name for dt in IDX_TYPES.values())}), "
                             f"not {array.ndim}-D {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    Path(path).write_bytes(header + array.astype(IDX_TYPES[code]).tobytes())


def find_mnist_file(folder, name):
    """Path of MNIST file ``name`` in ``folder``: ``name``, ``name.gz``, or the ``.idx`` spelling."""
    folder = Path(folder)
    dotted = name.replace("-idx", ".idx")                # train-images.idx3-ubyte
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        if (folder / candidate).is_file():
            return folder / candidate
    raise IDXError(f"MNIST file {name} (or {name}.gz) not found in {folder}")


def load_mnist(folder):
    """MNIST from the four IDX files in ``folder``, pixels scaled to [0, 1].

    Returns
    -------
    x_train, y_train, x_test, y_test : numpy.ndarray
        ``x`` float64 of shape (n, rows * cols), ``y`` int64 labels 0..9.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise IDXError(f"mnist folder not found: {folder}")
    parts = []
    for part, (images_name, labels_name) in MNIST_FILES.items():
        images_path = find_mnist_file(folder, images_name)
        labels_path = find_mnist_file(folder, labels_name)
        images = read_idx(images_path, ndim=3, dtype="uint8")
        labels = read_idx(labels_path, ndim=1, dtype="uint8")
        if images.shape[0] != labels.shape[0]:
            raise IDXError(f"MNIST {part} set: {images_path} has {images.shape[0]} images but "
                           f"{labels_path} has {labels.shape[0]} labels")
        if images.shape[0] == 0:
            raise IDXError(f"MNIST {part} set: {images_path} holds no images")
        if labels.size and int(labels.max()) > 9:
            raise IDXError(f"MNIST {part} set: {labels_path} has label {int(labels.max())} "
                           f"(labels must be 0..9)")
        parts += [images.reshape(images.shape[0], -1) / 255.0, labels.astype(np.int64)]
    if parts[0].shape[1] != parts[2].shape[1]:
        raise IDXError(f"MNIST training images have {parts[0].shape[1]} pixels but test images "
                       f"{parts[2].shape[1]}")
    return tuple(parts)
