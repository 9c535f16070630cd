"""QuantDesk: a self-hosted algorithmic trading platform."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("quantdesk")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
