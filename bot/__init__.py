"""Async Playwright bot: one query as a page object, the daily job, the scheduler.

It knows the site only by its base URL."""
