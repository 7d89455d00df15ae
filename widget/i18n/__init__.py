"""Languages: the supported locales and the request's choice, each language's slice of
CLDR, and country names and lists.

May import: core.
"""
