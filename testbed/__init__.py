"""Scenarios and scratch databases for tests and benchmarks: synthetic reports, `bsr` run as a user runs it,
scratch PostgreSQL schemas, and a check of stored reports in plain SQL. No shipped room imports it."""
