"""The signer's side of the web: embed.js, the form in the iframe, the standalone page,
the counter, the privacy page, the email links' pages and the public count API.
"""
