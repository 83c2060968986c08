"""Golden models: NumPy, bit-exact and cycle-accurate twins of every design in ``hw``.

A block twin has the same file stem as its component in :mod:`stochhw.hw`, takes the same
parameters and a stimulus dictionary (port name -> ``(cycles, lanes)`` array of raw port
bits, ``rst`` included), and returns the outputs in the same form. Beside the twins live the
shared rules (``checks``, ``bits``, ``clocked``, ``gf2``, ``lfsr``, ``seeds``, ``sc_quant``,
``voltage``); conventions for the time axis are in :mod:`stochhw.models.clocked`.
Below: :mod:`stochhw.models.stats` and :mod:`stochhw.models.ml`.

The bottom layer: imports nothing else of stochhw.
"""
