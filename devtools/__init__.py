"""Tools for working on serverless-jobs, shared by the local stack, the tests and the benchmarks.

They read template.yaml as the single source of truth: tables, functions, handlers and environment.
"""
