"""Statistics of random bit sources: the NIST SP 800-22 suite, entropy, number mapping.

May import :mod:`stochhw.models` (shared rules); nothing above it.
"""
