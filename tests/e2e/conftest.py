"""Browser fixtures: a real server with the built dashboard and Debian's Chromium."""

pytest_plugins = ["tests.fixtures.dashboard"]
