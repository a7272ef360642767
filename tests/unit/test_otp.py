from datetime import UTC, datetime, timedelta

from backend.services import otp

SECRET = b"test-secret"
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def test_the_right_code_is_accepted_once():
    challenge, code = otp.issue(SECRET, NOW)
    first = otp.check(SECRET, challenge, code, NOW + timedelta(minutes=1))
    assert first.outcome is otp.Outcome.ACCEPTED
    again = otp.check(SECRET, first.challenge, code, NOW + timedelta(minutes=2))
    assert again.outcome is otp.Outcome.ALREADY_USED


def test_spaces_and_dashes_in_a_typed_code_are_ignored():
    challenge, code = otp.issue(SECRET, NOW)
    assert otp.check(SECRET, challenge, f"{code[:3]} - {code[3:]}", NOW).outcome is otp.Outcome.ACCEPTED


def test_three_wrong_codes_lock_signing_even_for_the_right_code():
    challenge, code = otp.issue(SECRET, NOW)
    wrong = "000000" if code != "000000" else "111111"
    result = otp.check(SECRET, challenge, wrong, NOW)
    assert (result.outcome, result.attempts_left) == (otp.Outcome.WRONG, 2)
    result = otp.check(SECRET, result.challenge, wrong, NOW)
    result = otp.check(SECRET, result.challenge, wrong, NOW)
    assert result.outcome is otp.Outcome.LOCKED
    assert otp.check(SECRET, result.challenge, code, NOW + timedelta(minutes=5)).outcome is otp.Outcome.LOCKED


def test_a_code_expires():
    challenge, code = otp.issue(SECRET, NOW)
    assert otp.check(SECRET, challenge, code, NOW + otp.CODE_TTL).outcome is otp.Outcome.EXPIRED


def test_only_a_keyed_hash_is_kept():
    challenge, code = otp.issue(SECRET, NOW)
    assert code not in challenge.code_hash
    assert challenge.code_hash != otp.hash_code(b"another-secret", challenge.id, code)
