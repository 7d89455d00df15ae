"""Running it: the `flask` command line (one module per command group), the mail worker
loop, and what gunicorn.conf.py hands to gunicorn.

The top layer: may import everything in widget (never devtools).
"""
