"""One blueprint a module."""

from . import api, embed, links

BLUEPRINTS = (embed.bp, api.bp, links.bp)
