"""Many flow runs, one report: ``regress``, ``compare``, ``sweep``, ``bench``, ``prove``,
``report`` (the full regeneration of ``synth_reports/``) and ``demo`` (``make demo``).

May import :mod:`stochhw.sim.analyses`, :mod:`stochhw.sim.proofs`, the flows and the layers
below; only the CLI imports a campaign.
"""
