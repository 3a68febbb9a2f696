"""OTTO-Q: depot queuing and reservation backend for electric fleets."""

__version__ = "0.1.0"
BRANDING = "Powered by OTTO-Q Technology"
