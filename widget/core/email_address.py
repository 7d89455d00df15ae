"""Email addresses: validation as typed, and the canonical form that decides duplicates."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


class InvalidEmail(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """Return the address as typed, with its domain normalised; raise InvalidEmail."""
    try:
        # NFKC first: full-width and other look-alike forms ("ａｄａ@example.org") become
        # the plain address. No DNS lookup: it would put the mail resolver on the
        # signing path.
        raw = unicodedata.normalize("NFKC", raw)
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from exc


def canonicalize_email(address: str) -> str:
    """Fold the aliases one mailbox answers to into one key.

    Compatibility forms are folded (NFKC: full-width "ａｄａ" is "ada"), case is dropped
    everywhere, "+tag" suffixes everywhere (plus addressing is how
    people, and bots, make many addresses out of one), and Gmail also ignores dots and
    treats googlemail.com as gmail.com. The address as typed is still what gets mail.
    """
    local, _, domain = unicodedata.normalize("NFKC", address).strip().rpartition("@")
    local, domain = local.lower(), domain.lower().rstrip(".")
    local = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


# An address inside a free text (an error message, say) keeps only its domain.
ADDRESS_IN_TEXT = re.compile(r"[^\s@<>\"'(),;:\[\]]+@([A-Za-z0-9.-]+)")


def without_addresses(text: str) -> str:
    """The text with every email address in it cut down to its domain (…@example.org)."""
    return ADDRESS_IN_TEXT.sub(r"…@\1", text)
