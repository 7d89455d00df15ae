from devtools.demo import DEFAULT_PARTNER_ORIGINS, DEMO_PETITION, demo_pages, seed_demo
from devtools.partner_site import create_partner_site


def test_demo_partner_pages_embed_the_widget(app):
    seed_demo(partner_origins=DEFAULT_PARTNER_ORIGINS, supported_locales=app.config["LOCALES"])
    pages = demo_pages()["kinderschutz-demo"]
    site = create_partner_site(app, DEMO_PETITION, pages).test_client()
    home = site.get("/").get_data(as_text=True)
    assert 'data-petition="safe-online" data-partner="kinderschutz-demo"' in home
    assert '<script async src="http://widget.test/embed.js"></script>' in home
    iframe = site.get("/iframe").get_data(as_text=True)
    assert '<iframe src="http://widget.test/embed/safe-online?partner=kinderschutz-demo' in iframe
    counter = site.get("/counter").get_data(as_text=True)
    assert 'data-variant="counter"' in counter
