"""Test support shared across the test folders (importable as ``support``)."""
