"""Development tools that production never imports: the demo (a petition, partners and a
stand-in partner site), bulk seeding for benchmarks, and the commands that run them.

They live outside the `widget` package, so a wheel does not carry them; wsgi.py adds
their commands when run from a checkout (see devtools.commands).
"""
