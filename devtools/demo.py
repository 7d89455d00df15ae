"""The demo: a petition, two partners, and their partner pages on other origins."""

from __future__ import annotations

import email
import secrets
import threading
from dataclasses import dataclass
from email import policy

from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from devtools.partner_site import PartnerPage, create_partner_site
from devtools.seeding import seed_signatures
from widget.accounts.users import create_user, find_user
from widget.campaign.cached_settings import forget_cached_settings
from widget.campaign.partners import add_partner, add_partner_origins
from widget.campaign.petitions import create_petition, set_petition_text, update_petition
from widget.core.extensions import db
from widget.core.models import Partner, Petition, PetitionStatus, Signature, User, UserRole
from widget.ops.worker import run_worker

DEMO_PETITION = "safe-online"
DEFAULT_PARTNER_ORIGINS = {
    "kinderschutz-demo": "http://localhost:5001",
    "enfance-demo": "http://localhost:5002",
}

TEXTS = {
    "en": {
        "title": "Keep children safe online",
        "summary": "We call on EU law makers to require every platform to detect and remove "
        "child sexual abuse material quickly, with strong safeguards for privacy.",
        "body": "Every day, children are exposed to abuse and exploitation online.\n\n"
        "We, a coalition of child-protection organisations, survivor groups and parents' "
        "associations from across Europe, ask the European Parliament and the Council to "
        "adopt clear, enforceable rules: fast removal, support for survivors and "
        "independent oversight.\n\n"
        "This is a petition. It is not a European Citizens' Initiative.",
    },
    "de": {
        "title": "Kinder online schützen",
        "summary": "Wir fordern die EU-Gesetzgeber auf, alle Plattformen zu verpflichten, "
        "Darstellungen sexuellen Kindesmissbrauchs schnell zu erkennen und zu entfernen – "
        "mit starkem Schutz der Privatsphäre.",
        "body": "Jeden Tag sind Kinder online Missbrauch und Ausbeutung ausgesetzt.\n\n"
        "Wir, ein Bündnis aus Kinderschutzorganisationen, Betroffenengruppen und "
        "Elternverbänden aus ganz Europa, fordern das Europäische Parlament und den Rat "
        "auf, klare und durchsetzbare Regeln zu beschließen: schnelle Entfernung, "
        "Unterstützung für Betroffene und unabhängige Aufsicht.\n\n"
        "Dies ist eine Petition, keine Europäische Bürgerinitiative.",
    },
    "fr": {
        "title": "Protéger les enfants en ligne",
        "summary": "Nous demandons aux législateurs de l'UE d'obliger chaque plateforme à "
        "détecter et retirer rapidement les contenus pédocriminels, avec de solides "
        "garanties pour la vie privée.",
        "body": "Chaque jour, des enfants sont exposés à des abus et à l'exploitation en "
        "ligne.\n\n"
        "Nous, une coalition d'organisations de protection de l'enfance, de groupes de "
        "survivants et d'associations de parents de toute l'Europe, demandons au Parlement "
        "européen et au Conseil d'adopter des règles claires et applicables : retrait "
        "rapide, soutien aux survivants et contrôle indépendant.\n\n"
        "Ceci est une pétition, pas une initiative citoyenne européenne.",
    },
}

PARTNERS = {
    "kinderschutz-demo": {"name": "Kinderschutz-Bündnis (Demo)", "country": "DE"},
    "enfance-demo": {"name": "Enfance Protégée (démo)", "country": "FR"},
}


# The demo's accounts. Their passwords are random, made anew by every seeding and printed
# once: a published password would open any database the demo was run against.
DEMO_ACCOUNTS = {
    "operator@demo.example": ("Demo Operator", None),
    "partner@demo.example": ("Demo Partner User", "kinderschutz-demo"),
}


class DemoRefused(Exception):
    """The database holds more than the demo: seeding it would add accounts there."""


DEMO_SIGNATURES = 2400


@dataclass(frozen=True)
class DemoResult:
    petition_slug: str
    partners: list[str]
    passwords: dict[str, str]  # account → its new password, to print once


def holds_only_the_demo() -> bool:
    """Whether the database is new, empty, or holds nothing but the demo's own records."""
    petitions = set(db.session.scalars(select(Petition.slug)))
    partners = set(db.session.scalars(select(Partner.slug)))
    users = set(db.session.scalars(select(User.email)))
    return (
        petitions <= {DEMO_PETITION} and partners <= set(PARTNERS) and users <= set(DEMO_ACCOUNTS)
    )


def seed_demo(
    *, partner_origins: dict[str, str], supported_locales: list[str], force: bool = False
) -> DemoResult:
    """Create the demo petition and partners, or bring them back to the demo state.

    Refuses (DemoRefused) a database that holds anything else, unless ``force``: the demo
    adds an operator account, and DATABASE_URL may point at a real campaign's database."""
    if not force and not holds_only_the_demo():
        raise DemoRefused(
            "this database holds more than the demo (petitions, partners or accounts of its "
            "own): the demo would add an operator account to it. Point DATABASE_URL at a new "
            "database, or pass --force if you really mean this one."
        )
    petition = db.session.scalar(select(Petition).where(Petition.slug == DEMO_PETITION))
    if petition is None:
        create_petition(
            DEMO_PETITION,
            title=TEXTS["en"]["title"],
            goal=100_000,
            locale="en",
            supported_locales=supported_locales,
            lead_organisation="Safe Online Coalition (demo)",
            is_open=True,
        )
    else:
        petition.status = PetitionStatus.OPEN
        petition.opens_at = petition.closes_at = None
        db.session.commit()
        forget_cached_settings()
    update_petition(
        DEMO_PETITION,
        controller="Safe Online Coalition (demo), Rue de la Loi 1, 1000 Brussels",
        privacy_contact="privacy@safe-online.example",
        retention_days=180,
    )
    for locale, fields in TEXTS.items():
        if locale in supported_locales:
            set_petition_text(DEMO_PETITION, locale, supported_locales=supported_locales, **fields)
    for slug, origin in partner_origins.items():
        exists = db.session.scalar(select(Partner.id).where(Partner.slug == slug))
        if exists is None:
            add_partner(slug, origins=[origin], **PARTNERS[slug])
        else:
            add_partner_origins(slug, [origin])
    passwords = _seed_accounts()
    if not db.session.scalar(select(Signature.id).limit(1)):
        # Three weeks of synthetic signers, so the dashboard's charts have a shape.
        seed_signatures(DEMO_PETITION, DEMO_SIGNATURES, days=21)
    return DemoResult(DEMO_PETITION, sorted(partner_origins), passwords)


def _seed_accounts() -> dict[str, str]:
    """The demo accounts, each with a new random password (returned, to print once)."""
    passwords = {}
    for address, (name, partner_slug) in DEMO_ACCOUNTS.items():
        password = secrets.token_urlsafe(12)
        user = find_user(address)
        if user is None:
            role = UserRole.PARTNER if partner_slug else UserRole.OPERATOR
            create_user(address, name, password, role=role, partner_slug=partner_slug,
                        actor="demo")  # fmt: skip
        else:
            user.password_hash = generate_password_hash(password)
            user.session_version += 1
            db.session.commit()
        passwords[address] = password
    return passwords


def demo_pages() -> dict[str, list[PartnerPage]]:
    """What each demo partner's site shows: its origin's pages and their embeds."""
    return {
        "kinderschutz-demo": [
            PartnerPage("/", "Kinderschutz-Bündnis", "kinderschutz-demo", "de", ("script",)),
            PartnerPage("/iframe", "Plain iframe", "kinderschutz-demo", "de", ("iframe",)),
            PartnerPage("/counter", "Counter only", "kinderschutz-demo", "de", ("counter",)),
        ],
        "enfance-demo": [
            PartnerPage(
                "/", "Enfance Protégée", "enfance-demo", "fr", ("counter", "script"), "#8a1c7c"
            ),
        ],
    }


DEMO_SMTP_PORT = 8025


class PrintMail:
    """aiosmtpd handler: show each email on the console, so the demo's links can be used."""

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        print(f"\n----- email to {message['To']}: {message['Subject']}", flush=True)
        print(message.get_content().rstrip(), flush=True)
        print("-----", flush=True)
        return "250 Message accepted"


def start_demo_mail(app: Flask) -> threading.Event:
    """A console mail server and the mail worker, in this process, for the demo only."""
    from aiosmtpd.controller import Controller  # a dev dependency: only the demo needs it

    controller = Controller(PrintMail(), hostname="127.0.0.1", port=DEMO_SMTP_PORT)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=DEMO_SMTP_PORT, SMTP_SECURITY="none")
    app.config["WORKER_POLL_SECONDS"] = 1.0
    stop = threading.Event()

    def work() -> None:
        with app.app_context():
            run_worker(stop=stop)

    threading.Thread(target=work, daemon=True).start()
    return stop


def serve_demo(
    app: Flask, passwords: dict[str, str], *, host: str, port: int, with_mail: bool = True
) -> None:
    """Run the widget and each demo partner's site (on its own origin) until Ctrl-C."""
    stop_mail = start_demo_mail(app) if with_mail else None
    servers = []
    for slug, pages in demo_pages().items():
        origin = DEFAULT_PARTNER_ORIGINS[slug]
        partner_host, partner_port = origin.split("//", 1)[1].split(":")
        site = create_partner_site(app, DEMO_PETITION, pages)
        servers.append(make_server(partner_host, int(partner_port), site, threaded=True))
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    public = app.config["PUBLIC_URL"]
    print(f"Widget server:  {public}/p/{DEMO_PETITION}", flush=True)
    for slug, origin in DEFAULT_PARTNER_ORIGINS.items():
        for page in demo_pages()[slug]:
            print(f"Partner page:   {origin}{page.path}  ({page.title})", flush=True)
    print(f"Count (JSON):   {public}/api/v1/petitions/{DEMO_PETITION}", flush=True)
    print(f"Dashboard:      {public}/dashboard/", flush=True)
    for address, (_, partner_slug) in DEMO_ACCOUNTS.items():
        role = f"partner user of {partner_slug}" if partner_slug else "operator"
        print(f"  log in as {address} / {passwords[address]} ({role})", flush=True)
    if with_mail:
        print("Emails (confirmation links) are printed here as they are sent.", flush=True)
    widget = make_server(host, port, app, threaded=True)
    try:
        widget.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.shutdown()
        if stop_mail is not None:
            stop_mail.set()
