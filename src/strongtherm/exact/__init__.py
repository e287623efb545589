"""Exact finite-dimensional mean-force engine (Davoudi et al. 2025)."""

__all__: list[str] = []
