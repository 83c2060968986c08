"""Tests for section 4.2 of SP 800-22 in stochhw.models.stats.nist: many sequences per source.

The two criteria (proportion of passing sequences against its interval, uniformity of the
p-values by a chi-square over ten bins) are checked against their formulas and scipy, against
a generator that must pass (PCG64, seeded) and sources that must fail (a biased coin, an LFSR
whose period is shorter than the stream). Bounds come from the sample sizes.
"""

import math

import numpy as np
import pytest
from scipy.stats import binom, chisquare

from stochhw.models.checks import ParameterError
from stochhw.models.stats import nist


def test_proportion_range_is_the_documents_interval():
    # Section 4.2.1's example: m = 1000, alpha = 0.01 gives 0.99 -/+ 0.0094392.
    lo, hi = nist.proportion_range(1000, 0.01)
    assert lo == pytest.approx(0.99 - 0.0094392, abs=1e-7)
    assert hi == pytest.approx(0.99 + 0.0094392, abs=1e-7)
    assert nist.proportion_range(100)[0] == pytest.approx(0.96015, abs=1e-5)


def test_false_alarm_is_the_binomial_tail():
    # m = 100: a proportion passes iff at most 3 sequences fail (96/100 < 0.96015).
    assert nist.proportion_false_alarm(100) == pytest.approx(binom.sf(3, 100, 0.01), rel=1e-12)
    assert 0.0 < nist.proportion_false_alarm(1000) < nist.proportion_false_alarm(100) < 0.05


def test_histogram_puts_one_in_the_last_bin():
    assert nist.p_value_histogram([0.0, 0.05, 0.1, 0.95, 1.0]) == (2, 1, 0, 0, 0, 0, 0, 0, 0, 2)
    with pytest.raises(ParameterError, match="p_values"):
        nist.p_value_histogram([0.5, 1.5])


def test_uniformity_is_scipys_chisquare_over_ten_bins():
    p = np.random.default_rng(3).uniform(size=137) ** 1.3       # not quite uniform
    counts = np.array(nist.p_value_histogram(p))
    assert nist.uniformity_p_value(p) == pytest.approx(chisquare(counts).pvalue, rel=1e-10)
    # Perfectly spread: chi2 = 0, P-value_T = 1; all in one bin: far below 0.0001.
    assert nist.uniformity_p_value(np.repeat(np.arange(10) / 10 + 0.05, 6)) == pytest.approx(1.0)
    assert nist.uniformity_p_value(np.full(60, 0.5)) < nist.UNIFORMITY_ALPHA


def test_uniformity_needs_55_p_values():
    with pytest.raises(ParameterError, match="at least 55"):
        nist.uniformity_p_value(np.linspace(0, 1, 54))
    nist.uniformity_p_value(np.linspace(0, 1, 55))


def _result(name, p_values, labels=(), applicable=True):
    return nist.TestResult(name, tuple(p_values) if applicable else (), applicable, "",
                           tuple(labels) if applicable else ())


def test_assess_counts_sub_tests_and_skips_inapplicable_sequences():
    runs = []
    for i in range(60):
        p = (i + 0.5) / 60
        runs.append([_result("frequency", [p]),
                     _result("serial", [p, 1 - p], ("del1", "del2")),
                     # applicable to every other sequence only, as an excursion test
                     _result("random_excursions", [p], ("x=+1",), applicable=i % 2 == 0),
                     _result("universal", [], applicable=False)])
    rows = {(r.name, r.label): r for r in nist.assess(runs, alpha=0.1)}
    assert list(rows) == [("frequency", ""), ("serial", "del1"), ("serial", "del2"),
                          ("random_excursions", "x=+1"), ("universal", "")]
    freq = rows[("frequency", "")]
    assert (freq.sequences, freq.passing) == (60, 54)       # p < 0.1 for i = 0..5
    assert freq.histogram == (6,) * 10 and freq.uniformity == pytest.approx(1.0)
    excursion = rows[("random_excursions", "x=+1")]
    assert excursion.sequences == 30 and excursion.uniformity is None     # fewer than 55
    assert excursion.uniform is None
    never = rows[("universal", "")]
    assert never.sequences == 0 and never.proportion is None and not never.passed


def test_assess_refuses_mismatched_runs():
    with pytest.raises(ParameterError, match="same tests"):
        nist.assess([[_result("frequency", [0.5])], [_result("runs", [0.5])]])
    with pytest.raises(ParameterError, match="at least one"):
        nist.assess([])


def _pcg_bits(count, seed):
    return np.random.default_rng(seed).integers(0, 2, count, dtype=np.uint8)


TESTS = (nist.frequency, nist.block_frequency, nist.runs, nist.cumulative_sums)


def test_pcg64_passes_both_criteria():
    # 100 sequences of 10^4 bits. Each (sub-)test is flagged by chance with probability
    # proportion_false_alarm(100) = 1.8 % (proportion) plus 0.01 % (uniformity); the seed is
    # fixed, so this either always passes or always fails.
    rows = nist.assess_stream(_pcg_bits(100 * 10_000, 11), 10_000, tests=TESTS)
    assert len(rows) == 5 and all(r.sequences == 100 for r in rows)
    assert all(r.passed for r in rows), [(r.name, r.label, r.passing, r.uniformity) for r in rows]


def test_a_biased_coin_fails_both_criteria():
    # P(1) = 0.52 over 10^4 bits: the frequency statistic is shifted by 4 standard deviations,
    # so nearly every sequence fails (p < 0.01) and the p-values pile up in the first bin.
    bits = (np.random.default_rng(5).random(100 * 10_000) < 0.52).astype(np.uint8)
    (freq,) = nist.assess_stream(bits, 10_000, tests=(nist.frequency,))
    assert freq.proportion < nist.proportion_range(100)[0] and freq.proportion_ok is False
    assert freq.uniform is False and not freq.passed


def test_a_short_period_is_caught_by_uniformity_alone():
    # The same 2000 random bits, repeated: each sequence passes the frequency test as often as
    # a random one would, but all 60 p-values are one value, which uniformity rejects.
    bits = np.tile(_pcg_bits(2_000, 8), 60)
    (freq,) = nist.assess_stream(bits, 2_000, tests=(nist.frequency,))
    assert freq.histogram.count(60) == 1
    assert freq.uniform is False


def test_assess_stream_cuts_sequences_like_the_reference_code():
    bits = _pcg_bits(3 * 1_000 + 7, 2)
    rows = nist.assess_stream(bits, 1_000, tests=(nist.frequency,))
    expected = [nist.frequency(bits[i * 1_000:(i + 1) * 1_000]).p_values[0] for i in range(3)]
    assert rows[0].sequences == 3
    assert rows[0].passing == sum(p >= 0.01 for p in expected)
    assert rows[0].histogram == nist.p_value_histogram(expected)
    with pytest.raises(ParameterError, match="m must be in 1..3"):
        nist.assess_stream(bits, 1_000, m=4)
    with pytest.raises(ParameterError, match="n must be"):
        nist.assess_stream(bits, 99)


def test_assessment_proportion_bounds():
    row = nist.Assessment("frequency", "", 100, 96, 0.01, (10,) * 10, 1.0)
    assert row.proportion == 0.96 and row.proportion_ok is False       # 0.96 < 0.96015
    row = nist.Assessment("frequency", "", 100, 97, 0.01, (10,) * 10, 1.0)
    assert row.proportion_ok is True and row.passed
    assert math.isclose(row.interval[1], 1.0198, abs_tol=1e-4)
