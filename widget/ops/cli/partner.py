"""`flask partner …`: register coalition partners and get their embed codes."""

from __future__ import annotations

import click
from flask import current_app

from widget.campaign import partners, snippets
from widget.ops.cli.common import run_use_case, supported_locales

partner_cli = click.Group("partner", help="Register coalition partners and get embed codes.")


@partner_cli.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option(
    "--origin",
    "origins",
    multiple=True,
    help="scheme://host[:port] the partner embeds from (repeatable).",
)
@click.option("--website", help="The partner's home page.")
@click.option("--country", help="ISO country code; preselected in the form.")
def partner_add(slug, name, origins, website, country):
    """Register a partner; it may then embed every open petition."""
    partner = run_use_case(
        partners.add_partner,
        slug,
        name=name,
        origins=list(origins),
        website=website,
        country=country,
    )
    click.echo(f"added partner {partner.slug}: {' '.join(partner.origin_list) or 'no origins'}")


@partner_cli.command("list")
def partner_list():
    """List partners and their allowed origins."""
    rows = partners.list_partners()
    if not rows:
        click.echo("no partners yet")
    for partner in rows:
        click.echo(f"{partner.slug}\t{partner.name}\t{' '.join(partner.origin_list)}")


@partner_cli.command("add-origin")
@click.argument("slug")
@click.argument("origins", nargs=-1, required=True)
def partner_add_origin(slug, origins):
    """Allow more origins to embed the partner's widgets."""
    partner = run_use_case(partners.add_partner_origins, slug, list(origins))
    click.echo(f"{partner.slug}: {' '.join(partner.origin_list)}")


@partner_cli.command("remove-origin")
@click.argument("slug")
@click.argument("origins", nargs=-1, required=True)
def partner_remove_origin(slug, origins):
    """Stop origins from embedding the partner's widgets."""
    partner = run_use_case(partners.remove_partner_origins, slug, list(origins))
    click.echo(f"{partner.slug}: {' '.join(partner.origin_list) or 'no origins'}")


@partner_cli.command("webhook")
@click.argument("slug")
@click.option("--url", help="Where to POST opted-in signers and erasures.")
@click.option("--remove", is_flag=True, help="Stop sending.")
def partner_webhook(slug, url, remove):
    """Send a partner its opted-in signers (once confirmed) and erasures, signed."""
    if remove == bool(url):
        raise click.UsageError("give either --url or --remove")
    partner, secret = run_use_case(partners.set_partner_webhook, slug, None if remove else url)
    if secret:
        click.echo(f"{partner.slug}: webhook {partner.webhook_url}")
        click.echo(f"signing secret (give it to the partner, it is not shown again): {secret}")
    else:
        click.echo(f"{partner.slug}: webhook removed")


@partner_cli.command("embed-code")
@click.argument("partner")
@click.option("--petition", "petition_slug", required=True)
@click.option("--variant", type=click.Choice(snippets.VARIANTS), default="script")
@click.option("--lang", "locale")
@click.option("--color", "colour", help="Accent colour, e.g. '#1a7f37'.")
def partner_embed_code(partner, petition_slug, variant, locale, colour):
    """Print the snippet the partner pastes into its site (and nothing else)."""
    code = run_use_case(
        snippets.embed_code,
        partner,
        petition_slug,
        public_url=current_app.config["PUBLIC_URL"],
        supported_locales=supported_locales(),
        variant=variant,
        locale=locale,
        colour=colour,
    )
    click.echo(code, nl=False)
