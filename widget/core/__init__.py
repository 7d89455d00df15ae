"""Core: settings, the extensions, the models, domain errors, the cache helper, tokens,
addresses (IP hashing), origins, email addresses, the audit log, spreadsheet-safe cells.

The bottom layer: imports no other package of widget.
"""
