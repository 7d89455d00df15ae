"""One blueprint a module (the dashboard is a package of modules sharing one)."""

from . import api, dashboard, embed, links

SIGNER_BLUEPRINTS = (embed.bp, api.bp, links.bp)
BLUEPRINTS = (*SIGNER_BLUEPRINTS, dashboard.bp)
