"""Makes the `attest` server fixture (common/attest_server.py) available to both suites."""

from attest_server import attest  # noqa: F401  (a pytest fixture)
