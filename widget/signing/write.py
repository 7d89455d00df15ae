"""Writing a new signature and the rows that come with it, all or nothing.

A signature brings its consent records, its confirmation token, its queued email and,
when it counts, a tally shard and an hourly shard. On SQLite these are six statements in
one short transaction: the database is in this process, so a statement costs
microseconds, and the transaction holds the write lock for the inserts alone.

On PostgreSQL every statement is a round trip to another process, and on a busy machine
each one waits to be scheduled: six statements plus BEGIN and COMMIT were most of the
signing POST's time. There the same rows go in one statement (data-modifying WITH
queries), committed on its own: one round trip, atomic like any single statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import ARRAY, Integer, String, bindparam, func, insert, select, true

from widget.campaign.consent import INSERT_RECORD
from widget.core.extensions import db
from widget.core.models import (
    ConsentRecord,
    HourlyTally,
    OutboxMessage,
    Signature,
    SignatureToken,
    Tally,
)
from widget.core.tokens import INSERT_TOKEN
from widget.counting.tallies import tally_upserts
from widget.outbox.queue import INSERT_MESSAGE

SIGNATURES = Signature.__table__
INSERT_SIGNATURE = insert(SIGNATURES).returning(SIGNATURES.c.id)


@dataclass(frozen=True)
class NewSignatureRows:
    """Everything one signature writes; each row's signature_id is filled in here."""

    signature: dict
    consents: list[dict]  # campaign.consent.consent_rows
    token: dict  # core.tokens.new_token
    email: dict  # outbox.queue.email_message
    tallies: tuple[dict, dict] | None  # counting.tallies.tally_rows, when the signature counts


def write_new_signature(rows: NewSignatureRows) -> int:
    """Store the rows; return the signature's id. Raises IntegrityError (nothing stored)
    when the person signed already."""
    if db.engine.dialect.name == "postgresql":
        return _write_in_one_statement(rows)
    return _write_in_one_transaction(rows)


def _write_in_one_transaction(rows: NewSignatureRows) -> int:
    with db.engine.begin() as connection:
        signature_id = connection.scalar(INSERT_SIGNATURE, rows.signature)
        if rows.consents:
            consents = [{**row, "signature_id": signature_id} for row in rows.consents]
            connection.execute(INSERT_RECORD, consents)
        connection.execute(INSERT_TOKEN, {**rows.token, "signature_id": signature_id})
        connection.execute(INSERT_MESSAGE, {**rows.email, "signature_id": signature_id})
        if rows.tallies:
            tally, hourly = tally_upserts(connection.dialect.name)
            connection.execute(tally, rows.tallies[0])
            connection.execute(hourly, rows.tallies[1])
    return signature_id


def _write_in_one_statement(rows: NewSignatureRows) -> int:
    tally, hourly = rows.tallies or ({}, {})
    shape = [tuple(row) for row in (rows.signature, rows.token, rows.email, tally, hourly)]
    parameters = {
        **_prefixed("s_", rows.signature),
        **_prefixed("t_", rows.token),
        **_prefixed("e_", rows.email),
        "consent_text_ids": [row["consent_text_id"] for row in rows.consents],
        "recipients": [row["recipient"] for row in rows.consents],
    }
    parameters |= _prefixed("ta_", tally) | _prefixed("h_", hourly)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return connection.scalar(_one_statement(*shape), parameters)


def _prefixed(prefix: str, row: dict) -> dict:
    return {prefix + name: value for name, value in row.items() if name != "signature_id"}


@cache
def _one_statement(signature: tuple, token: tuple, email: tuple, tally: tuple, hourly: tuple):
    """The whole write as one statement, built once per shape with every value a
    parameter, so SQLAlchemy compiles it once and PostgreSQL plans it once."""
    new = (
        insert(SIGNATURES)
        .values(_parameters("s_", SIGNATURES, signature))
        .returning(SIGNATURES.c.id)
        .cte("new_signature")
    )
    # Any number of agreed versions, as two arrays: one statement shape for all forms.
    agreed = (
        func.unnest(
            bindparam("consent_text_ids", type_=ARRAY(Integer)),
            bindparam("recipients", type_=ARRAY(String)),
        )
        .table_valued("consent_text_id", "recipient")
        .render_derived(name="agreed")
    )
    writes = [
        insert(ConsentRecord.__table__)
        .from_select(
            ["signature_id", "consent_text_id", "recipient"],
            # Each agreed version with the one new signature: a join on nothing but TRUE.
            select(new.c.id, agreed.c.consent_text_id, agreed.c.recipient).select_from(
                new.join(agreed, true())
            ),
        )
        .cte("consents"),
        _insert_for(new, "t_", SignatureToken.__table__, token).cte("token"),
        _insert_for(new, "e_", OutboxMessage.__table__, email).cte("email"),
    ]
    if tally:  # the signature counts
        upsert_tally, upsert_hourly = tally_upserts("postgresql")
        writes += [
            upsert_tally.values(_parameters("ta_", Tally.__table__, tally)).cte("tally"),
            upsert_hourly.values(_parameters("h_", HourlyTally.__table__, hourly)).cte("hourly"),
        ]
    return select(new.c.id).add_cte(*writes)


def _parameters(prefix: str, table, names) -> dict:
    columns = table.c
    return {
        name: bindparam(prefix + name, type_=columns[name].type)
        for name in names
        if name != "signature_id"
    }


def _insert_for(new, prefix: str, table, names: tuple):
    """INSERT INTO table SELECT the new signature's id and the other columns' parameters."""
    values = _parameters(prefix, table, names)
    return insert(table).from_select(["signature_id", *values], select(new.c.id, *values.values()))
