"""Shared pytest configuration of the fast tests.

Hypothesis runs derandomized (its examples come from a fixed seed derived from each test), so
every run of ``make test`` checks the same examples and a failure is reproducible; shrinking
to a minimal counterexample still happens. ``HYPOTHESIS_PROFILE=thorough`` runs twenty times
more examples (also derandomized) for a deeper, slower search.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("stochhw", derandomize=True, deadline=None, max_examples=50,
                          database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", parent=settings.get_profile("stochhw"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "stochhw"))
