"""Email addresses: validation as typed, and the canonical form that decides duplicates."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


class InvalidEmail(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """Return the address as typed, with its domain normalised; raise InvalidEmail."""
    try:
        # No DNS lookup: it would put the mail resolver on the signing path.
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc


def canonicalize_email(address: str) -> str:
    """Fold the aliases one mailbox answers to into one key.

    Case is dropped everywhere, "+tag" suffixes everywhere (plus addressing is how
    people, and bots, make many addresses out of one), and Gmail also ignores dots and
    treats googlemail.com as gmail.com. The address as typed is still what gets mail.
    """
    local, _, domain = address.strip().rpartition("@")
    local, domain = local.lower(), domain.lower().rstrip(".")
    local = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"
