"""The chain-scale data generator behind `manage.py generate_chain` (docs/benchmarks.md)."""
