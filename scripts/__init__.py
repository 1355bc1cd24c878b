"""Maintainer scripts (not installed with the package)."""
