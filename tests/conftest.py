"""Shared pytest configuration."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Registered rather than listed in pyproject.toml so the marker lives next to the tests
    # that use it. Slow tests still run by default (plain `pytest`); `-m "not slow"` skips
    # them for a quick local loop.
    config.addinivalue_line(
        "markers", "slow: builds or installs something; runs by default, skip with -m 'not slow'"
    )
