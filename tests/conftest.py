"""Hypothesis profiles for the property tests.

``derivcheck`` (the default) keeps the suite fast; ``long`` searches much
longer: ``python -m pytest tests/test_properties.py --hypothesis-profile=long``
(or set ``DERIVCHECK_HYPOTHESIS_PROFILE=long``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "derivcheck", max_examples=50, deadline=None, suppress_health_check=_QUIET, print_blob=True
)
settings.register_profile(
    "long", max_examples=2000, deadline=None, suppress_health_check=_QUIET, print_blob=True
)
# The --hypothesis-profile option, when given, is applied after this file is read.
settings.load_profile(os.environ.get("DERIVCHECK_HYPOTHESIS_PROFILE", "derivcheck"))
