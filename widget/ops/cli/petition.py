"""`flask petition …`: create and manage petitions."""

from __future__ import annotations

import click

from widget.campaign import petitions
from widget.core.models import CountingPolicy
from widget.counting.public_count import read_count
from widget.ops.cli.common import ISO, run_use_case, supported_locales

petition_cli = click.Group("petition", help="Create and manage petitions.")


@petition_cli.command("create")
@click.argument("slug")
@click.option("--title", required=True, help="Title in the petition's default language.")
@click.option("--goal", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--lang", "locale", default="en", show_default=True, help="Default language.")
@click.option("--lead", "lead_organisation", help="Lead organisation (offered as an opt-in).")
@click.option("--open", "is_open", is_flag=True, help="Accept signatures at once.")
@click.option("--anywhere", is_flag=True, help="Any website may embed it, not only partners.")
@click.option(
    "--counts-on",
    type=click.Choice([p.value for p in CountingPolicy]),
    default=CountingPolicy.ON_SUBMISSION.value,
    show_default=True,
    help="Count a signature when it is submitted, or only once its email is confirmed.",
)
def petition_create(slug, title, goal, locale, lead_organisation, is_open, anywhere, counts_on):
    """Create a petition (a draft unless --open)."""
    petition = run_use_case(
        petitions.create_petition,
        slug,
        title=title,
        goal=goal,
        locale=locale,
        supported_locales=supported_locales(),
        lead_organisation=lead_organisation,
        is_open=is_open,
        is_embeddable_anywhere=anywhere,
        counts_on=CountingPolicy(counts_on),
    )
    click.echo(f"created petition {petition.slug} ({petition.status})")


@petition_cli.command("list")
def petition_list():
    """List petitions with status, count and languages."""
    rows = petitions.list_petitions()
    if not rows:
        click.echo("no petitions yet")
    for petition in rows:
        count = read_count(petition, fresh=True).count
        click.echo(
            f"{petition.slug}\t{petition.status}\t{count}/{petition.goal}\t"
            f"{','.join(petition.languages)}"
        )


@petition_cli.command("open")
@click.argument("slug")
@click.option("--from", "opens_at", type=ISO, help="Open at this time instead of now.")
@click.option("--until", "closes_at", type=ISO, help="Close automatically at this time.")
def petition_open(slug, opens_at, closes_at):
    """Accept signatures (now, or between --from and --until)."""
    petition = run_use_case(petitions.open_petition, slug, opens_at=opens_at, closes_at=closes_at)
    click.echo(f"petition {petition.slug} is open")


@petition_cli.command("close")
@click.argument("slug")
@click.option("--at", "closes_at", type=ISO, help="Close at this time instead of now.")
def petition_close(slug, closes_at):
    """Stop accepting signatures (now, or at --at)."""
    petition = run_use_case(petitions.close_petition, slug, closes_at=closes_at)
    when = f"at {petition.closes_at.isoformat()}" if petition.closes_at else "now"
    click.echo(f"petition {petition.slug} closes {when}")


@petition_cli.command("update")
@click.argument("slug")
@click.option("--goal", type=click.IntRange(min=0))
@click.option("--lead", "lead_organisation", help="Lead organisation ('' removes it).")
@click.option("--default-lang", "default_locale")
@click.option("--anywhere/--partners-only", default=None, help="Who may embed the petition.")
@click.option("--counts-on", type=click.Choice([p.value for p in CountingPolicy]))
@click.option(
    "--hold-over-limit/--refuse-over-limit",
    default=None,
    help="Over a rate limit: keep the signature for review, or refuse it with a message.",
)
@click.option("--controller", help="Who is responsible for the data (name, address).")
@click.option("--privacy-contact", help="Email address for data protection questions.")
@click.option(
    "--retention-days",
    type=click.IntRange(min=0),
    help="Days after the end before personal data is anonymised.",
)
def petition_update(
    slug,
    goal,
    lead_organisation,
    default_locale,
    anywhere,
    counts_on,
    hold_over_limit,
    controller,
    privacy_contact,
    retention_days,
):
    """Change a petition's goal, lead organisation, language, embedding or trust settings."""
    run_use_case(
        petitions.update_petition,
        slug,
        goal=goal,
        lead_organisation=lead_organisation,
        default_locale=default_locale,
        is_embeddable_anywhere=anywhere,
        counts_on=CountingPolicy(counts_on) if counts_on else None,
        holds_over_limit=hold_over_limit,
        controller=controller,
        privacy_contact=privacy_contact,
        retention_days=retention_days,
    )
    click.echo(f"petition {slug} updated")


@petition_cli.command("set-text")
@click.argument("slug")
@click.option("--lang", "locale", required=True)
@click.option("--title")
@click.option("--summary")
@click.option("--body", help="Full text; blank lines separate paragraphs.")
@click.option("--body-file", type=click.File(encoding="utf-8"), help="Read the body from a file.")
@click.option("--consent", "consent_statement", help="Consent statement shown by the box.")
def petition_set_text(slug, locale, title, summary, body, body_file, consent_statement):
    """Set the petition's texts in one language (adds the language if new)."""
    if body_file is not None:
        body = body_file.read()
    run_use_case(
        petitions.set_petition_text,
        slug,
        locale,
        supported_locales=supported_locales(),
        title=title,
        summary=summary,
        body=body,
        consent_statement=consent_statement,
    )
    click.echo(f"petition {slug}: text in {locale} saved")


@petition_cli.command("add-organisation")
@click.argument("slug")
@click.argument("organisation")
@click.option("--name", required=True)
def petition_add_organisation(slug, organisation, name):
    """Name another organisation on the petition, with an opt-in box of its own."""
    run_use_case(petitions.add_organisation, slug, organisation, name=name)
    click.echo(f"{slug}: signers may now opt in to {name}")
