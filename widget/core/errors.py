"""Conditions a use case reports to its caller (view, CLI or test)."""


class WidgetError(Exception):
    """Base of every condition the use cases raise on purpose; str() explains it."""


class NotFound(WidgetError):
    """A petition or partner that does not exist."""


class UnknownPetition(NotFound):
    def __init__(self, slug: str) -> None:
        super().__init__(f"no petition {slug!r}")
        self.slug = slug


class UnknownPartner(NotFound):
    def __init__(self, slug: str) -> None:
        super().__init__(f"no partner {slug!r}")
        self.slug = slug


class PetitionNotAccepting(WidgetError):
    """The petition is a draft, closed, or outside its signing dates."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"petition {slug!r} does not accept signatures now")
        self.slug = slug


class InvalidInput(WidgetError):
    """An operator gave a value the use case cannot accept (bad slug, origin ...)."""


class RateLimited(WidgetError):
    """Too many signatures from one network or partner, and the petition refuses them."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"petition {slug!r}: over the rate limit")
        self.slug = slug


class FormTokenUsedUp(WidgetError):
    """This rendered form has signed as often as one form may (FORM_TOKEN_MAX_USES)."""
