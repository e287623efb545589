"""The package version, written once (pyproject.toml reads it from here).

A module of its own so that any floor of the package (configs, sweeps, reports) can import it
without importing the package face and its engines.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
