"""Placeholder until request middleware lands."""

from fastapi import FastAPI

from quantdesk.settings import Settings


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Install CORS, security headers and request logging."""
    del app, settings
