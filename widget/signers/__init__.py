"""Signers' data after signing: confirmation, withdrawal and reminders; erasure and
retention; a signer's own requests (a copy of their data, an erasure link); exports for
recipients and operators; fraud review.

May import: core, i18n, campaign, counting, outbox.
"""
