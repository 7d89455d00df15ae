"""The dashboard: one blueprint, its routes in modules by subject."""

from . import account, campaign, data, reports
from ._blueprint import bp

__all__ = ["account", "bp", "campaign", "data", "reports"]
