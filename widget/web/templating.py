"""Helpers the templates use: asset URLs, paragraphs, counts in words."""

from __future__ import annotations

import hashlib
from functools import cache, lru_cache

from flask import Flask, url_for
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
    gettext,
    ngettext,
)
from markupsafe import Markup, escape

from widget.core.settings import STATIC_DIR
from widget.i18n.cldr import locale_for
from widget.i18n.locales import language_choices, text_direction

NUMBER_SLOT = "{n}"


def paragraphs(text: str) -> Markup:
    """Operators separate paragraphs with blank lines; render each as a <p>."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("\n").join(Markup("<p>{}</p>").format(b) for b in blocks)


def _count_template(n: int) -> str:
    # The number goes in later, formatted for the locale (and wrapped in <strong>).
    return ngettext(
        "%(count)s person has signed.", "%(count)s people have signed.", n, count=NUMBER_SLOT
    )


def count_sentence(n: int) -> Markup:
    number = Markup('<strong class="count-number">{}</strong>').format(format_decimal(n))
    return escape(_count_template(n)).replace(NUMBER_SLOT, number)


@cache
def _plural_examples(locale: str) -> dict[str, int]:
    """One example number per CLDR plural category of the locale (one: 1, few: 2 ...)."""
    rule = locale_for(locale).plural_form
    examples: dict[str, int] = {}
    for n in range(0, 1001):
        examples.setdefault(rule(n), n)
    return examples


@lru_cache(maxsize=64)
def plural_attributes(locale: str) -> Markup:
    """data-plural-<category> attributes for frame.js, rendered once per language."""
    return Markup("").join(
        Markup(' data-plural-{}="{}"').format(category, template)
        for category, template in plural_templates(locale).items()
    )


@lru_cache(maxsize=4096)
def goal_progress(count: int, goal: int, locale: str) -> Markup:
    """The progress bar and goal line (the goal rarely changes; counts repeat in caches)."""
    progress = Markup(
        '<progress class="goal" max="{}" value="{}" aria-label="{}">{}</progress>'
    ).format(
        goal, min(count, goal), gettext("Progress towards the goal"), format_percent(count / goal)
    )
    line = ngettext(
        "Goal: %(goal)s signature", "Goal: %(goal)s signatures", goal, goal=format_decimal(goal)
    )
    return progress + Markup('\n<p class="goal-line">{}</p>').format(line)


@lru_cache(maxsize=64)
def plural_templates(locale: str) -> dict[str, str]:
    """The count sentence for each plural category, so frame.js can update it correctly.

    Called with the request's own locale, which is what the translations below use.
    """
    return {category: _count_template(n) for category, n in _plural_examples(locale).items()}


def status_label(status: str) -> str:
    """A petition's status in the reader's language."""
    labels = {"draft": gettext("Draft"), "open": gettext("Open"), "closed": gettext("Closed")}
    return labels.get(str(status), str(status))


def register_template_helpers(app: Flask) -> None:
    versions: dict[str, str] = {}

    def asset_url(filename: str) -> str:
        # A content hash in the URL: assets are cached long and still change when edited.
        if filename not in versions:
            content = (STATIC_DIR / filename).read_bytes()
            digest = hashlib.sha256(content).hexdigest()[:10]
            versions[filename] = url_for("static", filename=filename, v=digest)
        return versions[filename]

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.globals.update(
        asset_url=asset_url,
        count_sentence=count_sentence,
        plural_attributes=plural_attributes,
        goal_progress=goal_progress,
        format_decimal=format_decimal,
        format_percent=format_percent,
        format_date=format_date,
        format_datetime=format_datetime,
        current_locale=lambda: str(get_locale()),
        text_direction=text_direction,
        dashboard_languages=language_choices,
        status_label=status_label,
    )
