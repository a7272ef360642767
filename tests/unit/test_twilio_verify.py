import json
from pathlib import Path
from typing import Any

import pytest

from channels import twilio

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "twilio"


def fixture(name: str) -> Any:
    """A documented Twilio payload from tests/fixtures/twilio (sources in its README)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


VECTOR = fixture("signature_vector.json")
CASES = VECTOR["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["signature"] for c in CASES])
def test_twilios_published_signature_example_verifies(case):
    assert twilio.verify(VECTOR["url"], case["params"], case["signature"], VECTOR["auth_token"])


def test_a_tampered_parameter_is_rejected():
    case = CASES[0]
    tampered = {**case["params"], "Digits": "9999"}
    assert not twilio.verify(VECTOR["url"], tampered, case["signature"], VECTOR["auth_token"])


def test_an_added_parameter_is_rejected():
    case = CASES[0]
    assert not twilio.verify(
        VECTOR["url"], {**case["params"], "Body": "hi"}, case["signature"], VECTOR["auth_token"]
    )


def test_the_wrong_auth_token_is_rejected():
    case = CASES[0]
    assert not twilio.verify(VECTOR["url"], case["params"], case["signature"], "54321")


@pytest.mark.parametrize(
    "url",
    [
        "https://mycompany.com/myapp.php?foo=1&bar=3",
        "https://mycompany.com/otherapp.php?foo=1&bar=2",
        "http://mycompany.com/myapp.php?foo=1&bar=2",
        "https://evil.example/myapp.php?foo=1&bar=2",
    ],
)
def test_a_signature_for_another_url_is_rejected(url):
    case = CASES[0]
    assert not twilio.verify(url, case["params"], case["signature"], VECTOR["auth_token"])


@pytest.mark.parametrize("signature", [None, ""])
def test_a_missing_signature_is_rejected(signature):
    assert not twilio.verify(VECTOR["url"], CASES[0]["params"], signature, VECTOR["auth_token"])


def test_an_unset_auth_token_never_verifies():
    assert not twilio.verify(VECTOR["url"], CASES[0]["params"], CASES[0]["signature"], "")


def test_twilio_may_sign_the_url_with_the_default_port():
    """RequestValidator accepts the URL with and without :443, as Twilio signs either."""
    case = CASES[0]
    url = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert twilio.verify(url, case["params"], case["signature"], VECTOR["auth_token"])
