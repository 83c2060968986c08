"""Bipolar stochastic bitstreams of quantized values, XNOR multiplication and counting.

A value ``v`` in ``[-1, 1]`` is carried by a bitstream whose bits are 1 with probability
``p = (1 + v) / 2`` (bipolar encoding). XNOR of two independent bipolar streams is a bipolar
stream of the product; counting the ones ``C`` of an ``L``-bit stream estimates the value as
``2 C / L - 1``, and the counts of ``n`` products added by a parallel counter estimate their
sum as ``2 C / L - n``. For independent streams the count of one product is binomial
``(L, q)`` with ``q = p_a p_b + (1 - p_a)(1 - p_b) = (1 + z) / 2``, ``z`` the product of the
two encoded values, so the estimate has variance ``(1 - z^2) / L``.

Only the QL quantization states ever become streams (:mod:`stochhw.models.sc_quant`), so a source is
described by its probability of a 1 for each state index. Five sources:

``"ideal"``
    Independent Bernoulli bits with exactly ``p = (1 + v) / 2`` (a comparator fed by a perfect
    uniform random number generator).
``"smtj"``
    Independent Bernoulli bits of a stochastic magnetic tunnel junction biased at the state's
    voltage, calibrated: state ``k`` of QL is biased at ``bias_levels(QL, "calibrated")[k]``,
    the inverse of the device curve at the state's probability ``(1 + v) / 2``, clipped to the
    device's -1 .. +1 V (:mod:`stochhw.models.smtj`, default curve), and gives
    ``P(1) = smtj_p_one(volts)``. Every state is exact except the two ends, which no junction
    reaches: at the default 0.3 V width they carry +-0.931 rather than +-1. Successive bits are
    taken as independent (the junction read slower than it relaxes; ``hold = 0`` of the
    ``smtj`` emulator).
``"smtj_linear"``
    The same junction biased at evenly spaced voltages (``bias_levels(QL, "linear")``). The
    curve is a sigmoid, so the encoded value ``2 P(1) - 1`` is not the state's value: state
    0.5 of QL = 5 carries 0.682, state 0.2 of QL = 11 carries 0.322. Kept to show what the
    calibration is worth.
``"lfsr"``
    A comparator per stream fed by its own Galois LFSR (:mod:`stochhw.models.sc_stream`'s
    convention, as in the ``sng`` and ``sc_neuron`` designs): each cycle the low ``bits``
    bits ``r`` of the LFSR state are compared with the state's threshold
    ``T = round_half_up(p * 2^bits)``; the bit is ``r < T``, so the extreme states are exact
    all-zero / all-one streams. Every stream of a network has a distinct seed
    (:func:`stochhw.models.seeds.lane_seeds`); the streams are phase-shifted copies of one
    m-sequence. The LFSRs restart from their seeds at every inference (each sample sees the
    same random numbers), which makes the SC output a deterministic function of the input,
    as in hardware that reloads the seeds per inference.
``"sobol"``
    Comparators fed by Sobol low-discrepancy sequences (:mod:`stochhw.models.sobol`, the
    ``sng`` design's ``source=sobol``), ``bits`` = 16 like the LFSR source: in every layer the
    input nodes' comparators read dimension 1 and the weights' comparators dimension 2, each
    stream XORing its own digital shift (:func:`sobol_numbers`; shifts are the network's
    distinct LFSR seeds, so one seed serves both sources). Each (node, weight) pair that an
    XNOR multiplies is thus a pair of dimensions 1 and 2, a ``(0, m, 2)``-net, whose product
    count errs by ``O(log L)`` rather than ``O(sqrt(L))``. Like the LFSRs, the generators
    restart at every inference.

Ways to get counts, each exact for what it models:

* **explicit bits** (:func:`lfsr_numbers`, :func:`lfsr_bits`, :func:`bernoulli_bits`,
  :func:`xnor_count`, :func:`sc_dot`): every bit of every stream is formed; the XNOR counts
  of a layer come from one matrix product of +-1 bits (``sum(a'b') = 2 C - n L`` for
  ``a' = 2a - 1``). For the independent sources this models one stream per input node
  fanned out to every neuron.
* **pair table** (:func:`lfsr_pair_table`, :func:`table_counts`), for the LFSR and Sobol
  sources: because the generators restart every inference, the XNOR count of input node i
  and weight (i, j) depends only on
  the pair of states; the table of those counts is formed once from the explicit bits of
  every state pair, and a layer's count is ``sum_i table[i, j, a_i, w_ij]``. Identical to
  :func:`sc_dot` on the explicit bits (tested), at a fraction of the cost.
* **binomial counts** (:func:`binomial_counts`): for independent sources each product's
  count is ``Binomial(L, q)``, and binomials with the same ``q`` add: a neuron's count is
  ``sum_g Binomial(n_g L, q_g)`` over the distinct XNOR probabilities ``q_g``, ``n_g``
  products having ``q_g``. That is the exact distribution of each neuron's count; it treats
  the products' streams as all independent, whereas in hardware neurons share an input
  node's stream, which correlates different neurons but changes no neuron's distribution.
  Far cheaper than bits, so the SC-ANN uses it for ``"ideal"`` and ``"smtj"``; the tests
  check it agrees statistically with :func:`sc_dot` on explicit bits.
"""

import numpy as np

from stochhw.models.checks import ParameterError, check_choice, check_int
from stochhw.models.gf2 import MAXIMAL_TAPS
from stochhw.models.lfsr import lfsr_sequence
from stochhw.models.sc_quant import check_levels, level_values
from stochhw.models.sc_stream import probability_thresholds
from stochhw.models.seeds import lane_seeds
from stochhw.models.smtj import bias_levels, smtj_p_one
from stochhw.models.sobol import direction_numbers, sobol_points

__all__ = ["SOURCES", "INDEPENDENT_SOURCES", "RESTARTED_SOURCES", "MAX_LENGTH", "COMPARATOR_BITS",
           "check_length", "check_source", "lfsr_thresholds", "p_one", "encoded_values",
           "lfsr_width_for", "network_lfsr_seeds", "lfsr_numbers", "sobol_numbers", "lfsr_bits",
           "bernoulli_bits", "xnor_count", "bipolar_estimate", "sc_dot", "lfsr_pair_table",
           "table_counts", "binomial_counts"]

SOURCES = ("ideal", "smtj", "smtj_linear", "lfsr", "sobol")
#: Sources whose bits are independent Bernoulli draws.
INDEPENDENT_SOURCES = ("ideal", "smtj", "smtj_linear")
#: Comparator sources whose generators restart at every inference (deterministic SC output).
RESTARTED_SOURCES = ("lfsr", "sobol")
#: Longest bitstream accepted: far beyond the paper's 100-500 bits.
MAX_LENGTH = 1 << 20
#: Comparator width of the LFSR source: thresholds in steps of 2^-16.
COMPARATOR_BITS = 16
#: Work arrays are cut into blocks of about this many elements.
BLOCK = 1 << 22


def check_length(length, name="length"):
    """Return the bitstream length ``L`` as an int after checking ``1 <= L <= 2^20``."""
    return check_int(f"{name} (bitstream length L)", length, 1, MAX_LENGTH)


def check_source(source):
    """Return ``source`` after checking it is one of :data:`SOURCES`."""
    return check_choice("source", source, SOURCES)


def lfsr_thresholds(levels, bits=COMPARATOR_BITS):
    """Comparator threshold ``round_half_up(2^bits (1 + v) / 2)`` of each of the QL states."""
    return probability_thresholds((1.0 + level_values(check_levels(levels))) / 2.0, bits)


def p_one(levels, source, bits=COMPARATOR_BITS):
    """Probability of a 1 in the stream of each of the QL states, for ``source``.

    For ``"lfsr"`` and ``"sobol"`` the nominal ``T / 2^bits`` (an LFSR never gives the number 0,
    which moves the full-period value by less than ``2^-bits``; a Sobol period gives it
    exactly); for ``"smtj"`` and ``"smtj_linear"`` :func:`stochhw.models.smtj.smtj_p_one` at the
    state's calibrated or evenly spaced bias voltage (default device curve).
    """
    levels = check_levels(levels)
    source = check_source(source)
    if source == "ideal":
        return (1.0 + level_values(levels)) / 2.0
    if source in RESTARTED_SOURCES:
        return lfsr_thresholds(levels, bits) / float(1 << bits)
    spacing = "calibrated" if source == "smtj" else "linear"
    return np.asarray(smtj_p_one(bias_levels(levels, spacing)), dtype=np.float64)


def encoded_values(levels, source, bits=COMPARATOR_BITS):
    """The bipolar value ``2 P(1) - 1`` each of the QL states is actually carried as."""
    return 2.0 * p_one(levels, source, bits) - 1.0


def lfsr_width_for(lanes, bits=COMPARATOR_BITS):
    """Smallest LFSR width >= ``bits`` of 16, 20, 24 or 32 with ``lanes`` distinct seeds."""
    for width in (16, 20, 24, 32):
        if width >= bits and lanes <= (1 << width) - 1:
            return width
    raise ParameterError(f"lanes must be < 2^32 for distinct LFSR seeds, not {lanes}")


def network_lfsr_seeds(seed, lanes, width):
    """``lanes`` distinct nonzero ``width``-bit LFSR seeds derived from ``seed`` (SplitMix64)."""
    seed = check_int("seed", seed, 0)
    return np.asarray(lane_seeds(seed, lanes, width), dtype=np.uint64)


def lfsr_numbers(seeds, length, width, bits=COMPARATOR_BITS):
    """Comparator random numbers of LFSRs started at ``seeds``: shape ``(length, lanes)``.

    Row t holds the low ``bits`` bits of the state t steps after the seed (row 0: the seed),
    as ``uint32``.
    """
    length = check_length(length)
    width = check_int("width", width, 2, 32)
    bits = check_int("bits", bits, 1, width)
    seeds = np.asarray(seeds, dtype=np.uint64).ravel()
    if seeds.size and (int(seeds.min()) == 0 or int(seeds.max()) >> width):
        raise ParameterError(f"seeds must be nonzero {width}-bit states")
    out = np.empty((length, seeds.size), dtype=np.uint32)
    low = np.uint64((1 << bits) - 1)
    step = max(1, BLOCK // length)          # lanes per block: bounds the uint64 intermediate
    for start in range(0, seeds.size, step):
        block = seeds[start:start + step]
        states = lfsr_sequence(block, length - 1, width, MAXIMAL_TAPS[width], "galois")
        out[:, start:start + block.size] = states & low
    return out


def sobol_numbers(shifts, length, dimension, bits=COMPARATOR_BITS):
    """Comparator random numbers of Sobol generators of ``dimension`` with digital ``shifts``:
    shape ``(length, lanes)``, row t the point of index t (row 0: the shift itself), ``uint32``."""
    length = check_length(length)
    v = direction_numbers(dimension, bits)
    shifts = np.asarray(shifts, dtype=np.uint64).ravel() & np.uint64((1 << bits) - 1)
    return sobol_points(np.arange(length)[:, None], v, shifts[None, :]).astype(np.uint32)


def lfsr_bits(numbers, thresholds):
    """Comparator bits ``numbers < thresholds`` (broadcast), as ``uint8`` 0/1."""
    return (np.asarray(numbers, dtype=np.int64) < np.asarray(thresholds, dtype=np.int64)).astype(np.uint8)


def bernoulli_bits(p, length, rng, axis=-1):
    """Independent bits, 1 with probability ``p`` (any shape), ``length`` along a new ``axis``."""
    length = check_length(length)
    p = np.asarray(p, dtype=np.float64)
    u = rng.random(p.shape + (length,))
    return np.moveaxis((u < p[..., None]).astype(np.uint8), -1, axis)


def xnor_count(a, b, axis=-1):
    """Ones of ``XNOR(a, b)`` along ``axis`` (the stream), for 0/1 arrays that broadcast."""
    return np.sum(np.asarray(a, dtype=np.uint8) == np.asarray(b, dtype=np.uint8), axis=axis,
                  dtype=np.int64)


def bipolar_estimate(count, length, terms=1):
    """Bipolar value ``2 count / L - terms`` of a count of ``terms`` summed L-bit streams."""
    return 2.0 * np.asarray(count, dtype=np.float64) / length - terms


def _signed_matmul(a_bits, b_bits):
    """``(2a - 1) @ (2b - 1)`` for 0/1 matrices, exactly (float32 while it is exact)."""
    dtype = np.float32 if a_bits.shape[-1] < (1 << 24) else np.float64
    a = a_bits.astype(dtype) * 2 - 1
    b = b_bits.astype(dtype) * 2 - 1
    return np.rint(a @ b).astype(np.int64)


def sc_dot(a_bits, w_bits):
    """XNOR counts of every (sample, neuron) from explicit bits.

    Parameters
    ----------
    a_bits : ndarray of 0/1, shape (samples, inputs, L)
        The input streams of each sample; input i's stream feeds every neuron.
    w_bits : ndarray of 0/1, shape (inputs, L, neurons)
        The weight streams.

    Returns
    -------
    ndarray of int64, shape (samples, neurons)
        ``C[s, j] = sum_i sum_t XNOR(a[s, i, t], w[i, t, j])``, what a parallel counter
        accumulates over L cycles.
    """
    samples, inputs, length = a_bits.shape
    if w_bits.shape[:2] != (inputs, length):
        raise ParameterError(f"w_bits must have shape (inputs, L, neurons) = ({inputs}, {length}, "
                             f"...), not {w_bits.shape}")
    signed = _signed_matmul(a_bits.reshape(samples, inputs * length),
                            w_bits.reshape(inputs * length, -1))
    return (signed + inputs * length) // 2


def lfsr_pair_table(node_numbers, weight_numbers, thresholds):
    """XNOR count of every (input node, weight) stream pair for every pair of states.

    Parameters
    ----------
    node_numbers : ndarray, shape (inputs, L)
        Random numbers of the input nodes' comparators (restarted every inference).
    weight_numbers : ndarray, shape (inputs, L, neurons)
        Random numbers of the weights' comparators.
    thresholds : ndarray of int, shape (QL,)
        Comparator threshold of each state.

    Returns
    -------
    ndarray of int64, shape (inputs, neurons, QL, QL)
        ``table[i, j, a, b] = sum_t XNOR(node_i[t] < T[a], weight_ij[t] < T[b])``.
    """
    inputs, length = node_numbers.shape
    neurons = weight_numbers.shape[2]
    states = len(thresholds)
    thresholds = np.asarray(thresholds, dtype=np.int64)
    table = np.empty((inputs, neurons, states, states), dtype=np.int64)
    rows = max(1, BLOCK // (length * neurons * states))
    for start in range(0, inputs, rows):
        nodes = lfsr_bits(node_numbers[start:start + rows, None, :], thresholds[:, None])
        weights = lfsr_bits(weight_numbers[start:start + rows, :, :, None], thresholds)
        weights = weights.reshape(weights.shape[0], length, neurons * states)
        signed = _signed_matmul(nodes, weights)          # (rows, QL_a, neurons * QL_b)
        counts = (signed + length) // 2
        table[start:start + rows] = counts.reshape(-1, states, neurons, states).transpose(0, 2, 1, 3)
    return table


def table_counts(table, a, w):
    """Layer counts ``C[s, j] = sum_i table[i, j, a[s, i], w[i, j]]`` (int64, (samples, neurons)).

    ``a``: state indices of the input nodes, (samples, inputs); ``w``: of the weights,
    (inputs, neurons).
    """
    inputs, neurons = w.shape
    per_weight = table[np.arange(inputs)[:, None], np.arange(neurons)[None, :], :, w]  # (i, j, QL_a)
    per_weight = np.ascontiguousarray(per_weight.transpose(0, 2, 1)).astype(np.int64)  # (i, QL_a, j)
    out = np.zeros((a.shape[0], neurons), dtype=np.int64)
    for i in range(inputs):
        out += per_weight[i][a[:, i]]
    return out


def binomial_counts(pa_states, pw_states, a, w, length, rng):
    """Layer counts of independent streams, drawn from their exact distribution.

    Parameters
    ----------
    pa_states, pw_states : ndarray of float, shape (QL,)
        P(1) of the streams of each state, input nodes and weights.
    a : ndarray of int, shape (samples, inputs)
        State index of each input node of each sample.
    w : ndarray of int, shape (inputs, neurons)
        State index of each weight.
    length : int
        L.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int64, shape (samples, neurons)
        ``sum_g Binomial(n_g L, q_g)``: ``q_g`` are the distinct XNOR probabilities
        ``pa pb + (1 - pa)(1 - pb)`` over state pairs, ``n_g`` the neuron's products with that
        probability. The draws are made in C order of ``(samples, neurons, g)``, skipping
        groups with no products.
    """
    length = check_length(length)
    pa_states = np.asarray(pa_states, dtype=np.float64)
    pw_states = np.asarray(pw_states, dtype=np.float64)
    q = np.outer(pa_states, pw_states) + np.outer(1.0 - pa_states, 1.0 - pw_states)
    # Group state pairs by XNOR probability (equal after rounding off float noise).
    q_groups, group_of_pair = np.unique(np.round(q, 12).ravel(), return_inverse=True)
    group_of_pair = group_of_pair.reshape(q.shape)
    groups = q_groups.size
    samples, inputs = a.shape
    neurons = w.shape[1]
    out = np.empty((samples, neurons), dtype=np.int64)
    cell = np.arange(neurons, dtype=np.int64) * groups                   # (j) -> first bin
    rows = max(1, BLOCK // max(1, inputs * neurons))
    for start in range(0, samples, rows):
        block = a[start:start + rows]
        s = block.shape[0]
        # Bin of every product: (sample, neuron, group); counting the bins gives n_g.
        bins = (np.arange(s, dtype=np.int64)[:, None, None] * (neurons * groups)
                + cell[None, None, :] + group_of_pair[block[:, :, None], w[None, :, :]])
        n = np.bincount(bins.ravel(), minlength=s * neurons * groups).reshape(s, neurons, groups)
        counts = np.zeros(n.shape, dtype=np.int64)
        nonzero = n > 0
        counts[nonzero] = rng.binomial(n[nonzero] * length,
                                       np.broadcast_to(q_groups, n.shape)[nonzero])
        out[start:start + rows] = counts.sum(axis=2)
    return out
