"""Machine-learning experiments the hardware serves: low-precision training with pluggable
rounding sources, weight quantization and bit errors, robust training, SC-ANNs, the IDX loader.

May import :mod:`stochhw.models` and :mod:`stochhw.models.stats`; nothing above them.
"""
