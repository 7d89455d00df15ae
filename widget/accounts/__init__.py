"""Dashboard accounts: operators and partner users, invitations, password resets,
authentication and session versions.

May import: core, i18n, campaign, counting, outbox.
"""
