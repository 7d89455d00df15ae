"""One blueprint a module."""

from . import api, embed

BLUEPRINTS = (embed.bp, api.bp)
