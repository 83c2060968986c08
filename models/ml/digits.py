"""scikit-learn's 8x8 digits, as every training of the project splits them.

Pixels are scaled to [0, 1] (``X / max X``, max X = 16). :func:`load_digits_split` is one fixed
stratified 75/25 split; :func:`load_digits_fold` one fold of a fixed stratified K-fold
partition, for results on every digit. Nothing is downloaded: the data ship with scikit-learn.
"""

import functools

import numpy as np

from stochhw.models.checks import check_int

__all__ = ["TRAIN_SAMPLES", "TEST_SAMPLES", "load_digits_split", "DIGITS_FOLDS", "load_digits_fold"]

#: Samples in the training and held-out parts of :func:`load_digits_split` (1797 in all).
TRAIN_SAMPLES, TEST_SAMPLES = 1347, 450


@functools.lru_cache(maxsize=1)
def load_digits_split():
    """The 8x8 digits, pixels scaled to [0, 1], split 75/25 stratified with a fixed seed.

    Returns
    -------
    x_train, y_train, x_test, y_test : numpy.ndarray (read-only)
        ``TRAIN_SAMPLES`` and ``TEST_SAMPLES``; ``x`` float64 of shape (n, 64), ``y`` int64 labels 0..9.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = data.data / 16.0                  # pixel intensities are 0..16
    y = data.target.astype(np.int64)
    # A fixed split (random_state=0): seeds change the training, never the held-out set.
    parts = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    for part in parts:
        part.setflags(write=False)
    x_train, x_test, y_train, y_test = parts
    return x_train, y_train, x_test, y_test


#: Folds of :func:`load_digits_fold`: each holds out 359 or 360 of the 1797 digits.
DIGITS_FOLDS = 5


def load_digits_fold(fold, folds=DIGITS_FOLDS):
    """The 8x8 digits split by fold ``fold`` of a stratified ``folds``-fold partition.

    The folds' held-out parts are disjoint and cover all 1797 digits once, so a mean over the
    ``folds`` folds is a result on every digit (one digit is 0.056 pp of the whole, against
    0.22 pp of the 450 held out by :func:`load_digits_split`); the partition is fixed
    (``StratifiedKFold(folds, shuffle=True, random_state=0)``).

    Returns
    -------
    x_train, y_train, x_test, y_test : numpy.ndarray (read-only)
        As :func:`load_digits_split`: pixels scaled to [0, 1] (``X / max X``, max X = 16).
    """
    # scikit-learn is heavy: imported when the digits are loaded, as load_digits_split does.
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold

    folds = check_int("folds", folds, 2, 100)
    fold = check_int("fold", fold, 0, folds - 1)
    data = load_digits()
    x = data.data / 16.0
    y = data.target.astype(np.int64)
    train, test = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y))[fold]
    parts = x[train], y[train], x[test], y[test]
    for part in parts:
        part.setflags(write=False)
    return parts
