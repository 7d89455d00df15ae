import pytest

from widget.core.origins import InvalidOrigin, clean_source_url, normalize_origin, origin_of


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://Example.org", "https://example.org"),
        ("https://example.org/", "https://example.org"),
        ("https://example.org:443", "https://example.org"),
        ("http://localhost:5001", "http://localhost:5001"),
        ("http://example.org:80", "http://example.org"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
    ],
)
def test_origins_are_normalised(given, origin):
    assert normalize_origin(given) == origin


@pytest.mark.parametrize(
    "bad",
    [
        "example.org",
        "ftp://example.org",
        "https://",
        "https://example.org/page",
        "https://user@example.org",
        "https://example.org?x=1",
        "javascript:alert(1)",
        "https://example.org:99999",
    ],
)
def test_non_origins_are_refused(bad):
    with pytest.raises(InvalidOrigin):
        normalize_origin(bad)


def test_origin_of_page_url():
    assert origin_of("https://Partner.example/news/petition?x=1#f") == "https://partner.example"
    assert origin_of("not a url") is None
    assert origin_of(None) is None


def test_source_url_keeps_utm_but_drops_personal_query_and_fragment():
    cleaned = clean_source_url(
        "https://partner.example/sign?utm_source=newsletter&token=abc123&email=a%40b.c#top"
    )
    assert cleaned == "https://partner.example/sign?utm_source=newsletter"


def test_source_url_is_capped():
    assert len(clean_source_url("https://partner.example/" + "a" * 2000)) == 500
