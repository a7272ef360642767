"""Meta's webhook handshake and X-Hub-Signature-256, against a signature computed with openssl
over the documented text-message example (tests/fixtures/meta/webhook_text.json.sig)."""

from pathlib import Path

import pytest

from channels.whatsapp_cloud import verify_handshake, verify_signature

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "meta"
APP_SECRET = "test-app-secret-8b5f0c"
BODY = (FIXTURES / "webhook_text.json").read_bytes()
SIGNATURE = (FIXTURES / "webhook_text.json.sig").read_text().strip()


def test_the_documented_payload_signed_with_the_app_secret_is_accepted():
    assert verify_signature(BODY, SIGNATURE, APP_SECRET)


def test_an_upper_case_hex_digest_is_accepted():
    assert verify_signature(BODY, "sha256=" + SIGNATURE.removeprefix("sha256=").upper(), APP_SECRET)


@pytest.mark.parametrize(
    ("body", "header", "secret"),
    [
        (BODY + b" ", SIGNATURE, APP_SECRET),  # one byte changed in transit
        (BODY.replace(b"color", b"colour"), SIGNATURE, APP_SECRET),
        (BODY, SIGNATURE, "another-app-secret"),
        (BODY, None, APP_SECRET),
        (BODY, "", APP_SECRET),
        (BODY, SIGNATURE.removeprefix("sha256="), APP_SECRET),  # no algorithm prefix
        (BODY, "sha1=" + SIGNATURE.removeprefix("sha256="), APP_SECRET),
        (BODY, "sha256=", APP_SECRET),
        (BODY, "sha256=zz" + SIGNATURE[9:], APP_SECRET),
        (BODY, "sha256=é" + SIGNATURE[8:], APP_SECRET),  # non-ASCII must not raise
        (BODY, SIGNATURE, ""),  # an unconfigured secret verifies nothing
    ],
)
def test_tampered_unsigned_or_malformed_requests_are_rejected(body, header, secret):
    assert verify_signature(body, header, secret) is False


def test_the_handshake_echoes_the_challenge_for_our_verify_token():
    params = {"hub.mode": "subscribe", "hub.verify_token": "s3cret-token", "hub.challenge": "1158201444"}
    assert verify_handshake(params, "s3cret-token") == "1158201444"


@pytest.mark.parametrize(
    ("params", "token"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}, "s3cret-token"),
        (
            {"hub.mode": "unsubscribe", "hub.verify_token": "s3cret-token", "hub.challenge": "1"},
            "s3cret-token",
        ),
        ({"hub.verify_token": "s3cret-token", "hub.challenge": "1"}, "s3cret-token"),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, "s3cret-token"),
        ({"hub.mode": "subscribe", "hub.verify_token": "s3cret-token"}, "s3cret-token"),
        ({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, ""),
    ],
)
def test_the_handshake_refuses_a_wrong_token_mode_or_missing_field(params, token):
    assert verify_handshake(params, token) is None
