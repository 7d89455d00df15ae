"""Signing a petition: the use case, its one-transaction write, the form's token and the
signing rate limits.

May import: core, i18n, campaign, counting, outbox.
"""
