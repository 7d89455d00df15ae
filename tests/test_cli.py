from sqlalchemy import update

from tests.factories import make_partner, make_petition, sign
from widget.campaign.petitions import get_petition
from widget.core.extensions import db
from widget.core.models import Tally


def test_petition_create_list_open_close(runner, app):
    result = runner.invoke(
        args=["petition", "create", "bees", "--title", "Save the bees", "--goal", "100"]
    )
    assert result.exit_code == 0, result.output
    assert "created petition bees (draft)" in result.output
    assert runner.invoke(args=["petition", "open", "bees"]).exit_code == 0
    listing = runner.invoke(args=["petition", "list"]).output
    assert "bees\topen\t0/100\ten" in listing
    closed = runner.invoke(args=["petition", "close", "bees"])
    assert closed.exit_code == 0 and "closes now" in closed.output
    db.session.expire_all()
    assert get_petition("bees").status == "closed"


def test_petition_open_with_dates(runner, app):
    make_petition("bees", is_open=False)
    result = runner.invoke(
        args=[
            "petition",
            "open",
            "bees",
            "--from",
            "2030-01-01T09:00",
            "--until",
            "2030-02-01T09:00+01:00",
        ]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    petition = get_petition("bees")
    assert petition.opens_at.isoformat() == "2030-01-01T09:00:00+00:00"
    assert petition.closes_at.isoformat() == "2030-02-01T08:00:00+00:00"
    bad = runner.invoke(args=["petition", "open", "bees", "--from", "soon"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output


def test_petition_set_text_and_update(runner, app, tmp_path):
    make_petition("bees")
    body = tmp_path / "body.txt"
    body.write_text("Absatz eins\n\nAbsatz zwei", encoding="utf-8")
    result = runner.invoke(
        args=[
            "petition",
            "set-text",
            "bees",
            "--lang",
            "de",
            "--title",
            "Bienen",
            "--body-file",
            str(body),
            "--consent",
            "Ich stimme zu.",
        ]
    )
    assert result.exit_code == 0, result.output
    assert (
        runner.invoke(args=["petition", "update", "bees", "--goal", "5", "--anywhere"]).exit_code
        == 0
    )
    db.session.expire_all()
    petition = get_petition("bees")
    assert petition.text_in("de").body == "Absatz eins\n\nAbsatz zwei"
    assert petition.text_in("de").consent_statement == "Ich stimme zu."
    assert petition.goal == 5 and petition.is_embeddable_anywhere


def test_errors_are_reported_without_a_traceback(runner, app):
    result = runner.invoke(args=["petition", "open", "nope"])
    assert result.exit_code == 1
    assert "Error: no petition 'nope'" in result.output
    bad_slug = runner.invoke(args=["petition", "create", "Bad Slug", "--title", "T"])
    assert bad_slug.exit_code == 1 and "slug" in bad_slug.output
    assert "Traceback" not in result.output + bad_slug.output


def test_partner_add_list_and_origins(runner, app):
    result = runner.invoke(
        args=[
            "partner",
            "add",
            "bees",
            "--name",
            "Friends of Bees",
            "--origin",
            "https://Bees.example/",
            "--origin",
            "http://localhost:5001",
            "--country",
            "de",
        ]
    )
    assert result.exit_code == 0, result.output
    assert (
        runner.invoke(args=["partner", "add-origin", "bees", "https://www.bees.example"]).exit_code
        == 0
    )
    assert (
        runner.invoke(args=["partner", "remove-origin", "bees", "http://localhost:5001"]).exit_code
        == 0
    )
    listing = runner.invoke(args=["partner", "list"]).output
    assert "bees\tFriends of Bees\thttps://bees.example https://www.bees.example" in listing
    bad = runner.invoke(args=["partner", "add", "wasps", "--name", "W", "--origin", "wasps"])
    assert bad.exit_code == 1 and "origin" in bad.output


def test_embed_code_prints_only_the_snippet(runner, app):
    make_petition("bees", texts={"de": {"title": "Rettet die Bienen"}})
    make_partner("friends")
    script = runner.invoke(
        args=["partner", "embed-code", "friends", "--petition", "bees", "--lang", "de"]
    )
    assert script.exit_code == 0
    assert script.output.startswith('<div class="petition-widget" data-petition="bees"')
    assert 'data-partner="friends" data-lang="de"' in script.output
    assert '<script async src="http://widget.test/embed.js"></script>' in script.output
    assert "Rettet die Bienen" in script.output
    iframe = runner.invoke(
        args=["partner", "embed-code", "friends", "--petition", "bees", "--variant", "iframe"]
    )
    assert iframe.output.startswith(
        '<iframe src="http://widget.test/embed/bees?partner=friends&amp;lang=en"'
    )
    assert "<script" not in iframe.output
    counter = runner.invoke(
        args=[
            "partner",
            "embed-code",
            "friends",
            "--petition",
            "bees",
            "--variant",
            "counter",
            "--color",
            "#1a7f37",
        ]
    )
    assert 'data-variant="counter"' in counter.output
    assert 'data-color="#1a7f37"' in counter.output
    unknown = runner.invoke(args=["partner", "embed-code", "nobody", "--petition", "bees"])
    assert unknown.exit_code == 1


def test_count_verify_exit_codes(runner, app):
    petition = make_petition("bees")
    sign(petition, country="DE")
    ok = runner.invoke(args=["count", "verify", "bees"])
    assert ok.exit_code == 0 and "count 1 matches" in ok.output
    db.session.execute(update(Tally).values(count=5))
    db.session.commit()
    broken = runner.invoke(args=["count", "verify", "bees"])
    assert broken.exit_code == 1
    assert "differ" in broken.output
    rebuilt = runner.invoke(args=["count", "rebuild", "bees"])
    assert rebuilt.exit_code == 0 and "count 1" in rebuilt.output
    assert runner.invoke(args=["count", "verify", "bees"]).exit_code == 0


def test_demo_is_idempotent(runner, app):
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    petition = get_petition("safe-online")
    assert petition.is_accepting(petition.updated_at)
    assert {"en", "de", "fr"} <= set(petition.languages)
    partners = runner.invoke(args=["partner", "list"]).output
    assert "kinderschutz-demo" in partners and "http://localhost:5001" in partners
    assert "enfance-demo" in partners and "http://localhost:5002" in partners


def test_petition_list_shows_counts(runner, app):
    petition = make_petition("bees")
    partner = make_partner()
    sign(petition, partner)
    assert "bees\topen\t1/1000" in runner.invoke(args=["petition", "list"]).output
