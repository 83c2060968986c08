"""Formal properties of low-voltage SRAM fault injection (faulty_sram).

:data:`PROOFS` joins :data:`stochhw.sim.proofs.PROOFS` (run by ``stochhw prove`` and ``make prove``).
Add one :class:`stochhw.sim.flows.formal.Proof` per property of a design registered in
:mod:`stochhw.sim.designs.faults`: the design name, a claim in words, small parameter ``cases`` and a
``check(bench)`` function that states the property with ``bench.assert_`` on
``bench.dut`` (whose inputs are free) and ``bench.past``/``bench.valid`` for registered
outputs; :mod:`stochhw.sim.proofs` holds examples, :mod:`stochhw.sim.flows.formal` the helpers (``registered``,
``rounding_spec``, ``popcount``, ``lanes``). Import from ``stochhw.sim.flows.formal`` and ``models`` only
(not from ``stochhw.sim.proofs``, which imports this module).

``sram`` is compared with a reference memory written out in the bench. Both ``faulty_sram``
properties compare ``faulty_sram`` with the plain ``sram`` (its own co-simulated design)
fed the same writes and reads: the bits in error are ``r_data ^ plain.r_data``. The memories are
state that k-induction would start arbitrary (and different in the two copies), so the proofs
are bounded checks from reset on tiny memories, with persistent faults (``p_err = 1``, no
LFSR): every reachable state (the array contents, equal in all copies because the writes are
the same, and the read registers) is reached within ``depth + 1`` cycles (one write per word,
then a read), far inside the bound of 8, so the bound is complete.
"""

from amaranth import Mux, Signal
from amaranth.asserts import AnySeq

from stochhw.hw.sram import SRAM
from stochhw.sim.flows.formal import Proof

__all__ = ["PROOFS"]

_SHARED = ("w_en", "w_addr", "w_data", "r_en", "r_addr")


def _copy(bench, name, component):
    """Add ``component`` to the bench, fed the writes and reads of ``bench.dut``."""
    bench.m.submodules[name] = component
    bench.m.d.comb += [getattr(component, port).eq(getattr(bench.dut, port)) for port in _SHARED]
    return component


def _plain(bench):
    return _copy(bench, "plain", SRAM(depth=bench.params["depth"], width=bench.params["width"]))


def _level_zero_is_exact(bench):
    plain = _plain(bench)
    bench.assume(bench.dut.level == 0)
    bench.assert_(bench.dut.r_data == plain.r_data)


def _faults_are_nested(bench):
    plain = _plain(bench)
    high = _copy(bench, "high", bench.design.build(bench.params))
    level = AnySeq(bench.dut.level.shape())
    bench.m.d.comb += high.level.eq(level)
    bench.assume(level >= bench.dut.level)
    low_errors = bench.dut.r_data ^ plain.r_data
    high_errors = high.r_data ^ plain.r_data
    bench.assert_((low_errors & ~high_errors) == 0)


def _sram_reads_the_last_write(bench):
    """A plain reference memory in the bench: words written when in range, a registered
    read-before-write read that gives 0 out of range and is cleared by reset."""
    dut, m, width = bench.dut, bench.m, bench.params["width"]
    # reset_less: the array itself has no reset (it powers up all zeros, as the design says).
    words = [Signal(width, reset_less=True, name=f"ref_word{i}") for i in range(bench.params["depth"])]
    read = Signal(width, name="ref_r_data")
    value = 0
    for i, word in enumerate(words):
        with m.If(dut.w_en & (dut.w_addr == i)):
            m.d.sync += word.eq(dut.w_data)
        value = Mux(dut.r_addr == i, word, value)
    with m.If(dut.r_en):
        m.d.sync += read.eq(value)
    bench.assert_(dut.r_data == read)


def _proofs():
    cases = ({"depth": 2, "width": 3, "level_bits": 4, "mode": "flip", "seed": 3},
             {"depth": 3, "width": 4, "level_bits": 4, "mode": "stuck", "pattern": "column",
              "p01": 0.5, "seed": 11})
    return (
        Proof("sram", "reads_last_write",
              "r_data is the word last written to the address read in the previous cycle "
              "(read-before-write), 0 for an address beyond depth and after reset: equal to a "
              "plain reference memory in every cycle (bounded check of 8 cycles from power-up; "
              "complete, since every content of these tiny memories is written within depth "
              "cycles and read in the next)",
              _sram_reads_the_last_write,
              cases=({"depth": 3, "width": 3}, {"depth": 2, "width": 2}), mode="bmc", depth=8),
        Proof("faulty_sram", "level_zero_exact",
              "at level 0 every read returns what was written: r_data equals the plain sram's "
              "fed the same writes and reads, in every cycle (bounded check of 8 cycles, "
              "complete: see sim/proofs/faults.py)",
              _level_zero_is_exact, cases=cases, mode="bmc", depth=8),
        Proof("faulty_sram", "faults_nested",
              "raising the level never clears a fault: a copy read at a level >= the DUT's "
              "has every bit in error that the DUT has (errors measured against the plain "
              "sram), in every cycle (bounded check of 8 cycles, complete)",
              _faults_are_nested, cases=cases, mode="bmc", depth=8),
    )


#: :class:`stochhw.sim.flows.formal.Proof` entries of this topic.
PROOFS = _proofs()
