"""Golden models: NumPy, bit-exact and cycle-accurate twins of every design in ``hw``.

A model takes the same parameters as its component and a stimulus dictionary (port name ->
``(cycles, lanes)`` array of raw port bits, ``rst`` included) and returns the outputs in the
same form. Conventions for the time axis live in :mod:`models.clocked`.
"""
