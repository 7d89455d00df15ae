"""Who receives signers' data: the recipient keys that consents, deliveries and erasure
notices record ("partner:<id>", "lead", "organisation:<id>"), and their names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from widget.campaign.partners import get_partner
from widget.core.errors import InvalidInput
from widget.core.extensions import db
from widget.core.models import Partner, Petition, PetitionOrganisation


@dataclass(frozen=True)
class Recipient:
    key: str  # partner:<id>, lead, organisation:<id>
    label: str


def resolve_recipient(petition: Petition, spec: str) -> Recipient:
    """'partner:SLUG', 'lead' or 'organisation:SLUG' for this petition."""
    kind, _, slug = spec.partition(":")
    if kind == "partner":
        partner = get_partner(slug)
        return Recipient(f"partner:{partner.id}", partner.name)
    if kind == "lead" and petition.lead_organisation:
        return Recipient("lead", petition.lead_organisation)
    if kind == "organisation":
        for organisation in petition.organisations:
            if organisation.slug == slug:
                return Recipient(f"organisation:{organisation.id}", organisation.name)
    raise InvalidInput(
        f"no recipient {spec!r} for {petition.slug} (partner:SLUG, lead, organisation:SLUG)"
    )


def recipient_names(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """The organisation's name for each (petition id, recipient key) pair.

    Keys are what consents and deliveries record: "partner:<id>", "lead" (the petition's
    lead organisation) or "organisation:<id>" (a co-organiser). A signer or an operator
    must read who holds the data, never an internal id.
    """
    names: dict[tuple[int, str], str] = {}
    for petition_id, key in set(pairs):
        kind, _, raw_id = key.partition(":")
        name = None
        if kind == "lead":
            petition = db.session.get(Petition, petition_id)
            name = petition.lead_organisation if petition else None
        elif kind == "partner" and raw_id.isdigit():
            partner = db.session.get(Partner, int(raw_id))
            name = partner.name if partner else None
        elif kind == "organisation" and raw_id.isdigit():
            organisation = db.session.get(PetitionOrganisation, int(raw_id))
            name = organisation.name if organisation else None
        names[(petition_id, key)] = name or key
    return names
