"""The web layer: the app factory, the signer's pages (widget, standalone page, links,
count API), the dashboard, forms, error pages, security headers and template helpers.
Views parse input, call one use case and render.

May import every package below it (not ops).
"""
