"""The dashboard: one blueprint, its routes in modules by subject."""

from widget.web.dashboard import account, campaign, data, outbox, reports
from widget.web.dashboard._blueprint import bp

__all__ = ["account", "bp", "campaign", "data", "outbox", "reports"]
