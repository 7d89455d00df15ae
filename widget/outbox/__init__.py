"""The outbox: queueing emails and webhooks in the caller's transaction, composing each
email in its recipient's language, and delivering them (SMTP, HTTP) with retries.

May import: core, i18n, campaign.
"""
