"""Operator commands (`flask --app wsgi ...`): thin wrappers around the use cases."""

from __future__ import annotations

import getpass
import inspect
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import click
from flask import current_app

from . import (
    accounts,
    counting,
    demo,
    exports,
    fraud,
    partners,
    petitions,
    privacy,
    seeding,
    snippets,
    worker,
)
from .config import ROOT, TRANSLATIONS_DIR
from .exceptions import WidgetError
from .i18n import fill_source_catalogue
from .locale_data import write_slices
from .models import CountingPolicy, UserRole


class IsoDateTime(click.ParamType):
    name = "datetime"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date/time, e.g. 2027-03-01T09:00+01:00")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


ISO = IsoDateTime()


def _run(use_case, *args, **kwargs):
    """Call a use case as the person at the terminal (for the audit log); turn its expected
    failures into a clean CLI error."""
    if _takes_actor(use_case):
        kwargs.setdefault("actor", _actor(None))
    try:
        return use_case(*args, **kwargs)
    except WidgetError as exc:
        raise click.ClickException(str(exc)) from exc


def _takes_actor(function) -> bool:
    return "actor" in inspect.signature(function).parameters


def _locales() -> list[str]:
    return current_app.config["LOCALES"]


# --- petitions -----------------------------------------------------------------------

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
    petition = _run(
        petitions.create_petition,
        slug,
        title=title,
        goal=goal,
        locale=locale,
        supported_locales=_locales(),
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
        count = counting.read_count(petition, fresh=True).count
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
    petition = _run(petitions.open_petition, slug, opens_at=opens_at, closes_at=closes_at)
    click.echo(f"petition {petition.slug} is open")


@petition_cli.command("close")
@click.argument("slug")
@click.option("--at", "closes_at", type=ISO, help="Close at this time instead of now.")
def petition_close(slug, closes_at):
    """Stop accepting signatures (now, or at --at)."""
    petition = _run(petitions.close_petition, slug, closes_at=closes_at)
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
    _run(
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
    _run(
        petitions.set_petition_text,
        slug,
        locale,
        supported_locales=_locales(),
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
    _run(petitions.add_organisation, slug, organisation, name=name)
    click.echo(f"{slug}: signers may now opt in to {name}")


# --- partners ------------------------------------------------------------------------

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
    partner = _run(
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
    partner = _run(partners.add_partner_origins, slug, list(origins))
    click.echo(f"{partner.slug}: {' '.join(partner.origin_list)}")


@partner_cli.command("remove-origin")
@click.argument("slug")
@click.argument("origins", nargs=-1, required=True)
def partner_remove_origin(slug, origins):
    """Stop origins from embedding the partner's widgets."""
    partner = _run(partners.remove_partner_origins, slug, list(origins))
    click.echo(f"{partner.slug}: {' '.join(partner.origin_list) or 'no origins'}")


@partner_cli.command("webhook")
@click.argument("slug")
@click.option("--url", help="Where to POST opted-in signers and erasures.")
@click.option("--remove", is_flag=True, help="Stop sending.")
def partner_webhook(slug, url, remove):
    """Send a partner its opted-in signers (once confirmed) and erasures, signed."""
    if remove == bool(url):
        raise click.UsageError("give either --url or --remove")
    partner, secret = _run(partners.set_partner_webhook, slug, None if remove else url)
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
    code = _run(
        snippets.embed_code,
        partner,
        petition_slug,
        public_url=current_app.config["PUBLIC_URL"],
        supported_locales=_locales(),
        variant=variant,
        locale=locale,
        colour=colour,
    )
    click.echo(code, nl=False)


# --- the count -----------------------------------------------------------------------

count_cli = click.Group("count", help="Check and repair the count.")


@count_cli.command("verify")
@click.argument("slug")
def count_verify(slug):
    """Exit 0 only if the tallies equal the counted signatures, partner by country."""
    petition = _run(petitions.get_petition, slug)
    mismatches = counting.verify_count(petition.id)
    total = counting.read_count(petition, fresh=True).count
    if not mismatches:
        click.echo(f"{slug}: count {total} matches the signatures")
        return
    for m in mismatches:
        where = f"partner {m.partner_key} country {m.country}"
        if m.hour is not None:
            where += f" hour {m.hour.isoformat(timespec='minutes')}"
        click.echo(f"{where}: tallied {m.tallied}, signatures {m.signatures}", err=True)
    raise click.ClickException(f"{slug}: {len(mismatches)} tallies differ from the signatures")


@count_cli.command("rebuild")
@click.argument("slug")
def count_rebuild(slug):
    """Recompute the tallies from the signatures (repair after manual database edits)."""
    petition = _run(petitions.get_petition, slug)
    total = counting.rebuild_tallies(petition.id)
    click.echo(f"{slug}: tallies rebuilt, count {total}")


# --- data protection -------------------------------------------------------------

privacy_cli = click.Group("privacy", help="Erasure, retention and per-organisation exports.")


@privacy_cli.command("erase")
@click.argument("email")
@click.option("--petition", "petition_slug", help="Only this petition's signature.")
@click.option("--by", "actor", help="Who does it (default: your user name).")
@click.option("--dry-run", is_flag=True)
def privacy_erase(email, petition_slug, actor, dry_run):
    """Erase every piece of personal data held about an address (logged, no personal data)."""
    petition_id = _run(petitions.get_petition, petition_slug).id if petition_slug else None
    result = _run(
        privacy.erase_address,
        email,
        channel="cli",
        actor=_actor(actor),
        petition_id=petition_id,
        dry_run=dry_run,
    )
    verb = "would erase" if dry_run else "erased"
    click.echo(
        f"{verb} {result.signatures} signature(s), "
        f"{result.outbox_messages} {'pending ' if dry_run else ''}message(s); "
        f"recipients to notify: {', '.join(result.recipient_names) or 'none'}"
    )


@privacy_cli.command("retention")
@click.option("--dry-run", is_flag=True)
def privacy_retention(dry_run):
    """Anonymise signers of petitions past their retention period (safe to run daily)."""
    result = privacy.apply_retention(dry_run=dry_run)
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(f"{verb} {result.signatures} signature(s) of: {', '.join(result.petitions) or '-'}")


@privacy_cli.command("export")
@click.argument("slug")
@click.option("--recipient", required=True, help="partner:SLUG, lead or organisation:SLUG")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
def privacy_export(slug, recipient, output):
    """CSV of the signers who opted in to one recipient, then its pending erasures."""
    # Unknown petitions or recipients fail here, cleanly, before anything is written.
    rows = _run(exports.export_rows, slug, recipient)
    for line in rows:  # streamed: a million signers never sit in memory
        output.write(line)


# --- mail ----------------------------------------------------------------------------


@click.command("worker")
@click.option("--once", is_flag=True, help="One pass, then exit (for cron).")
@click.option("--batch", default=50, show_default=True, help="Emails claimed at a time.")
def worker_command(once, batch):
    """Send queued email (and the one reminder to unconfirmed signers) with retries."""
    if once:
        report = worker.run_worker_once(batch=batch)
        click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
        return
    click.echo("mail worker running; Ctrl-C stops it")
    worker.run_worker(batch=batch)


# --- fraud ---------------------------------------------------------------------------

fraud_cli = click.Group("fraud", help="Spot floods and take bad signatures out of the count.")


def _criteria_options(command):
    for option in reversed(
        [
            click.option("--ip-hash", help="An IP hash from `fraud trending --by ip`."),
            click.option("--domain", "email_domain", help="Email domain, e.g. mailinator.com."),
            click.option("--partner", help="Partner slug."),
            click.option("--since", type=ISO, help="Signed at or after (ISO 8601)."),
            click.option("--until", type=ISO, help="Signed before (ISO 8601)."),
            click.option("--reason", required=True, help="Why: kept in the log."),
            click.option("--by", "actor", help="Who does it (default: your user name)."),
            click.option("--dry-run", is_flag=True, help="Only say how many would change."),
        ]
    ):
        command = option(command)
    return command


def _actor(actor: str | None) -> str:
    return actor or getpass.getuser()


@fraud_cli.command("trending")
@click.argument("slug")
@click.option("--by", type=click.Choice(fraud.TRENDING_BY), default="ip", show_default=True)
@click.option("--since", type=ISO, help="Window start (default: an hour ago).")
@click.option("--until", type=ISO, help="Window end (default: now).")
@click.option("--top", default=20, show_default=True)
def fraud_trending(slug, by, since, until, top):
    """The IP hashes, email domains, partners or countries with the most signatures."""
    since = since or datetime.now(UTC) - timedelta(hours=1)
    rows = _run(fraud.trending, slug, by=by, since=since, until=until, top=top)
    if not rows:
        click.echo("no signatures in that window")
    for key, n in rows:
        click.echo(f"{n}\t{key}")


@fraud_cli.command("invalidate")
@click.argument("slug")
@_criteria_options
def fraud_invalidate(slug, ip_hash, email_domain, partner, since, until, reason, actor, dry_run):
    """Take matching signatures out of the petition and the count (logged)."""
    criteria = fraud.Criteria(ip_hash, email_domain, partner, since, until)
    result = _run(
        fraud.invalidate_signatures,
        slug,
        criteria,
        reason=reason,
        actor=_actor(actor),
        dry_run=dry_run,
    )
    verb = "would invalidate" if dry_run else "invalidated"
    click.echo(f"{verb} {result.matched} signatures ({result.counted} of them counted)")


@fraud_cli.command("release")
@click.argument("slug")
@_criteria_options
def fraud_release(slug, ip_hash, email_domain, partner, since, until, reason, actor, dry_run):
    """Let held signatures (over a rate limit) into the count (logged)."""
    criteria = fraud.Criteria(ip_hash, email_domain, partner, since, until)
    result = _run(
        fraud.release_held_signatures,
        slug,
        criteria,
        reason=reason,
        actor=_actor(actor),
        dry_run=dry_run,
    )
    if dry_run:
        click.echo(f"would release {result.matched} held signatures")
    else:
        click.echo(f"released {result.matched} held signatures ({result.counted} now counted)")


@fraud_cli.command("log")
@click.argument("slug")
def fraud_log(slug):
    """Every bulk action: when, who, what, why, how many."""
    actions = _run(fraud.list_fraud_actions, slug)
    if not actions:
        click.echo("no bulk actions yet")
    for a in actions:
        criteria = " ".join(f"{k}={v}" for k, v in sorted(a.criteria.items()))
        click.echo(
            f"{a.created_at.isoformat(timespec='seconds')}\t{a.actor}\t{a.action}\t"
            f"{a.affected}\t{criteria}\t{a.reason}"
        )


@count_cli.command("seed")
@click.argument("slug")
@click.option("--signatures", "count", type=click.IntRange(min=1), required=True)
@click.option("--days", default=30, show_default=True, help="Spread them over this many days.")
def count_seed(slug, count, days):
    """Bulk-add synthetic signatures (load tests only: never on a live campaign)."""
    total = _run(seeding.seed_signatures, slug, count, days=days)
    click.echo(f"{slug}: seeded {count}, count now {total}")


# --- demo ----------------------------------------------------------------------------


@click.command("demo")
def demo_command():
    """Create (or refresh) the demo petition and partners. Safe to run again."""
    result = demo.seed_demo(
        partner_origins=demo.DEFAULT_PARTNER_ORIGINS, supported_locales=_locales()
    )
    click.echo(f"demo petition {result.petition_slug} with partners {', '.join(result.partners)}")


@click.command("run-demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option(
    "--mail/--no-mail",
    default=True,
    help="Run a console mail server on 127.0.0.1:8025 and the mail worker too.",
)
def run_demo_command(host, port, mail):
    """Seed the demo, then serve the widget and the demo partner pages until Ctrl-C."""
    if "PUBLIC_URL" not in os.environ:
        # Embed codes and origin checks must name the address actually served.
        current_app.config["PUBLIC_URL"] = f"http://{host}:{port}"
    demo.seed_demo(partner_origins=demo.DEFAULT_PARTNER_ORIGINS, supported_locales=_locales())
    demo.serve_demo(current_app._get_current_object(), host=host, port=port, with_mail=mail)


# --- translations --------------------------------------------------------------------

translate_cli = click.Group("translate", help="Extract, update and compile message catalogues.")
POT = ROOT / "translations" / "messages.pot"


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


@translate_cli.command("extract")
def translate_extract():
    """Collect translatable strings into translations/messages.pot."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "-o", str(POT), ".")


@translate_cli.command("update")
def translate_update():
    """Extract, then merge new strings into every catalogue."""
    translate_extract.callback()
    _pybabel(
        "update",
        "-i",
        str(POT),
        "-d",
        str(TRANSLATIONS_DIR),
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
    filled = fill_source_catalogue(TRANSLATIONS_DIR)
    click.echo(f"en: {filled} new source strings copied; translate the other catalogues")


@translate_cli.command("init")
@click.argument("locale")
def translate_init(locale):
    """Start a catalogue for a new language (no code change needed)."""
    _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS_DIR), "-l", locale)


@translate_cli.command("compile")
def translate_compile():
    """Compile every catalogue to .mo and write each language's slice of CLDR (both
    needed before serving)."""
    _pybabel("compile", "-d", str(TRANSLATIONS_DIR), "--statistics")
    write_slices()


# --- dashboard users ---------------------------------------------------------------------

user_cli = click.Group("user", help="Dashboard accounts (others are invited from the dashboard).")


@user_cli.command("create-operator")
@click.argument("email")
@click.option("--name", default="", help="Shown in the dashboard and the audit log.")
@click.password_option(help="At least 12 characters (asked for when not given).")
def user_create_operator(email, name, password):
    """Create an operator account: the first one, to log in and invite the rest."""
    user = _run(accounts.create_user, email, name, password, role=UserRole.OPERATOR)
    click.echo(f"operator {user.email} created: log in at /dashboard/login")


@user_cli.command("list")
def user_list():
    """Every dashboard account, its role and partner."""
    for user in accounts.list_users():
        partner = user.partner.slug if user.partner else "-"
        state = "active" if user.is_active and user.password_hash else "inactive/invited"
        click.echo(f"{user.email}\t{user.role}\t{partner}\t{state}")


def register_cli(group: click.Group) -> None:
    """Add the app's commands to its command group (see widget._LazyCommands)."""
    for command in (
        petition_cli,
        partner_cli,
        count_cli,
        fraud_cli,
        privacy_cli,
        translate_cli,
        user_cli,
        worker_command,
        demo_command,
        run_demo_command,
    ):
        group.add_command(command)
