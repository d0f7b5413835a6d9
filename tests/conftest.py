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


import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _private_user_folders(tmp_path_factory):
    """The user's cache and config folders (default result cache, cache secrets) are the session's own."""
    home = tmp_path_factory.mktemp("user-folders")
    saved = {name: os.environ.get(name) for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(home / "config")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
