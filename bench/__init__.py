"""Benchmarks of plan and apply against emulated orgs: ``python bench/run.py`` (see docs/benchmarks.md)."""
