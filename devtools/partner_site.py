"""A stand-in partner website on another origin, for the demo and the browser tests.

It pastes the very snippets `partner embed-code` prints, so what a newcomer sees in the
demo is what a partner's CMS page would show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, Response
from markupsafe import Markup, escape

from widget.campaign.snippets import embed_code

PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{head}
<style>
  body {{ font-family: Georgia, serif; max-width: 46rem; margin: 0 auto; padding: 1rem;
         color: #222; background: #fbfaf7; }}
  header {{ border-bottom: 3px solid #444; margin-bottom: 1rem; }}
  nav a {{ margin-right: 1rem; }}
  .embed {{ margin: 2rem 0; }}
</style>
</head>
<body>
<header><p><strong>{title}</strong></p><nav>{nav}</nav></header>
<main>
<h1>{title}</h1>
<p>This stands in for a partner organisation's own web page, served from another origin.
The petition below is embedded with the snippet the partner got from the widget server.</p>
{embeds}
<p>The rest of the partner's page goes on here.</p>
</main>
</body>
</html>
"""


@dataclass(frozen=True)
class PartnerPage:
    path: str
    title: str
    partner: str
    lang: str
    variants: tuple[str, ...]
    colour: str | None = None
    petition: str | None = None
    head: str = ""
    extra_petitions: tuple[str, ...] = field(default=())
    # Raw HTML for <head> and after the snippets; "{widget}" becomes the widget's URL.
    extra_body: str = ""


def create_partner_site(widget_app: Flask, petition_slug: str, pages: list[PartnerPage]) -> Flask:
    """A small Flask app that serves ``pages``, each embedding the widget."""
    site = Flask(__name__ + ".partner")
    nav = Markup(" ").join(Markup('<a href="{}">{}</a>').format(p.path, p.title) for p in pages)

    def render(page: PartnerPage) -> Response:
        with widget_app.app_context():
            snippets = [
                embed_code(
                    page.partner,
                    slug,
                    public_url=widget_app.config["PUBLIC_URL"],
                    supported_locales=widget_app.config["LOCALES"],
                    variant=variant,
                    locale=page.lang if page.lang in widget_app.config["LOCALES"] else None,
                    colour=page.colour,
                )
                for slug in (page.petition or petition_slug, *page.extra_petitions)
                for variant in page.variants
            ]
        widget_url = widget_app.config["PUBLIC_URL"]
        extra = page.extra_body.replace("{widget}", widget_url)
        embeds = "\n".join(f'<div class="embed">\n{s}</div>' for s in [*snippets, extra] if s)
        html = PAGE.format(
            lang=escape(page.lang),
            title=escape(page.title),
            head=page.head.replace("{widget}", widget_url),
            nav=nav,
            embeds=embeds,
        )
        return Response(html, mimetype="text/html")

    for page in pages:
        site.add_url_rule(page.path, endpoint=page.path, view_func=lambda page=page: render(page))
    return site
