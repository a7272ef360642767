"""Nigerian business identifiers: CAC registration numbers and tax identification numbers.

Checked as the customer types them so KYB never starts on a number that cannot exist.
"""

from __future__ import annotations

import re

from backend.lending.identity import InvalidIdentity

# The Corporate Affairs Commission numbers each register separately: RC for companies
# (Part B of CAMA 2020), BN for business names (Part E), IT for incorporated trustees (Part F).
CAC_PREFIXES = ("RC", "BN", "IT")
_CAC = re.compile(r"^(RC|BN|IT)\s*[-.:/]?\s*(\d{1,8})$")
_TIN_OLD = re.compile(r"^\d{8}-\d{4}$")
_TIN_NEW = re.compile(r"^\d{10}$")


def normalise_registration_number(raw: str) -> str:
    """ "rc 123456", "RC-123456" and "Rc123456" are one company: "RC123456", the form on the
    certificate and in the CAC's public search, so duplicates and provider look-ups match."""
    match = _CAC.match(raw.strip().upper())
    if match is None:
        raise InvalidIdentity(
            "registration_number",
            "A CAC number is RC, BN or IT followed by digits, e.g. RC123456 or BN2345678.",
        )
    return f"{match.group(1)}{match.group(2)}"


def registration_kind(number: str) -> str:
    return {"RC": "company", "BN": "business_name", "IT": "incorporated_trustees"}[number[:2]]


def normalise_tin(raw: str) -> str:
    """FIRS issued 8 digits, a dash and 4 digits (12345678-0001) until the Joint TIN; the new
    Tax ID is 10 digits. Both are still in use, so both are accepted, spaces removed."""
    value = re.sub(r"\s+", "", raw)
    if _TIN_OLD.match(value) or _TIN_NEW.match(value):
        return value
    raise InvalidIdentity("tin", "A TIN is 8 digits, a dash and 4 digits (12345678-0001), or 10 digits.")
