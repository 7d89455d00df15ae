import pytest

from widget.core.email_address import InvalidEmail, canonicalize_email, normalize_email


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Ada@Example.ORG", "ada@example.org"),
        ("ada+petitions@example.org", "ada@example.org"),
        ("A.Da.Love+x@gmail.com", "adalove@gmail.com"),
        ("adalove@googlemail.com", "adalove@gmail.com"),
        ("ada.love@example.org", "ada.love@example.org"),
        ("ada+a+b@outlook.com", "ada@outlook.com"),
        ("+only@example.org", "+only@example.org"),
    ],
)
def test_canonical_form_folds_aliases(typed, canonical):
    assert canonicalize_email(typed) == canonical


def test_dots_only_fold_on_gmail():
    assert canonicalize_email("a.b@example.org") != canonicalize_email("ab@example.org")


def test_normalize_keeps_local_part_as_typed_and_lowercases_domain():
    assert normalize_email("Ada.Love@EXAMPLE.org") == "Ada.Love@example.org"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "ada",
        "ada@",
        "@example.org",
        "ada@example",
        "a b@example.org",
        "ada@example.org\r\nBcc: x@example.org",
        "ada@exa mple.org",
    ],
)
def test_normalize_rejects_invalid_addresses(bad):
    with pytest.raises(InvalidEmail):
        normalize_email(bad)
