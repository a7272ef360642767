"""Identity numbers at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) to read them
back for the provider, and an HMAC-SHA256 look-up hash to find a number already registered.

Both keys come from one secret, IDENTITY_ENCRYPTION_KEY, split with HKDF so the look-up key is
not the encryption key. A plain SHA-256 of an 11-digit number is no protection (all 10^11 of them
hash in hours), so the look-up hash is keyed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.launcher.keys import SECRETS_FILE, read_env_file
from backend.settings import VAR_DIR, Settings

KEY_NAME = "IDENTITY_ENCRYPTION_KEY"


class MissingIdentityKey(RuntimeError):
    """Production with no IDENTITY_ENCRYPTION_KEY: refusing beats storing numbers under a guessable key."""


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


class FernetVault:
    def __init__(self, key: str) -> None:
        try:
            secret = base64.urlsafe_b64decode(key.encode())
        except ValueError as exc:
            raise MissingIdentityKey(f"{KEY_NAME} is not urlsafe base64") from exc
        if len(secret) != 32:
            raise MissingIdentityKey(f"{KEY_NAME} must encode 32 bytes (Fernet.generate_key() makes one)")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"identity-number-encryption")))
        self._lookup = _derive(secret, b"identity-number-lookup")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("identity number cannot be decrypted with this key") from exc

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._lookup, value.encode(), hashlib.sha256).hexdigest()


def identity_key(settings: Settings, var_dir: Path = VAR_DIR) -> str:
    """The configured key; in sandbox mode without one, a key generated once and kept in
    var/secrets.env beside the generated API keys (mode 600), so numbers stored yesterday can
    still be read today."""
    if settings.identity_encryption_key:
        return settings.identity_encryption_key
    if not settings.sandbox_mode:
        raise MissingIdentityKey(f"Set {KEY_NAME}: identity numbers are stored encrypted.")
    path = var_dir / SECRETS_FILE
    stored = read_env_file(path)
    if stored.get(KEY_NAME):
        return stored[KEY_NAME]
    key = Fernet.generate_key().decode()
    var_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as out:
        out.write(f"{KEY_NAME}={key}\n")
    os.chmod(path, 0o600)
    return key
