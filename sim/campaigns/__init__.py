"""Many flow runs, one report: ``regress``, ``compare``, ``sweep``, ``bench``, ``prove``,
``report`` (the full regeneration of ``synth_reports/``) and ``demo`` (``make demo``). Their
reports are made with :mod:`stochhw.sim.core.reportkit`, as the analyses' are.

May import :mod:`stochhw.sim.analyses`, :mod:`stochhw.sim.proofs`, the flows and the layers
below; only the CLI imports a campaign.
"""
