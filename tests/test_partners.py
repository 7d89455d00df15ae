import pytest

from tests.factories import make_partner
from widget.campaign.partners import (
    add_partner_origins,
    get_partner,
    list_partners,
    remove_partner_origins,
)
from widget.core.errors import InvalidInput, UnknownPartner


def test_add_partner_normalises_origins(app):
    partner = make_partner(
        "bees", origins=["https://Bees.example/", "https://bees.example", "http://localhost:5001"]
    )
    assert partner.origin_list == ["http://localhost:5001", "https://bees.example"]


def test_add_and_remove_origins(app):
    make_partner("bees", origins=["https://bees.example"])
    add_partner_origins("bees", ["https://www.bees.example", "https://bees.example"])
    assert get_partner("bees").origin_list == ["https://bees.example", "https://www.bees.example"]
    remove_partner_origins("bees", ["https://bees.example/"])
    assert get_partner("bees").origin_list == ["https://www.bees.example"]


@pytest.mark.parametrize(
    "over",
    [
        {"origins": ["bees.example"]},
        {"origins": ["https://bees.example/page"]},
        {"name": "  "},
        {"country": "XX"},
    ],
)
def test_bad_partner_input_is_refused(app, over):
    with pytest.raises(InvalidInput):
        make_partner("bees", **over)
    assert list_partners() == []


def test_duplicate_and_unknown_partner(app):
    make_partner("bees")
    with pytest.raises(InvalidInput, match="exists"):
        make_partner("bees")
    with pytest.raises(UnknownPartner):
        get_partner("wasps")


def test_country_is_upper_cased(app):
    assert make_partner("bees", country="de").country == "DE"
