"""Test harness: the application as template.yaml defines it, run in-process over moto."""
