"""Cells that spreadsheets show as text and never run as formulas.

Excel, LibreOffice and Google Sheets read a cell that starts with one of these as a
formula (OWASP: CSV injection). Exports quote such cells; the signing form refuses
names that start like one, so nothing a signer typed can turn into a formula.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def starts_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def spreadsheet_safe(value) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if starts_like_formula(text) else text
