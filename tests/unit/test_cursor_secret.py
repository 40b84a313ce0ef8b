"""The cursors' HMAC key from its S3 object: read when there, created once when not, with S3's 403-for-missing rule."""

from __future__ import annotations

import pytest

from functions.common.cursor_secret import SECRET_BYTES, cursor_secret
from functions.common.failures import TransientError

KEY = "system/cursor-secret"


class FakeObjects:
    """The bucket as a role without ListBucket sees it: a missing or unreadable key reads as None (S3's 403)."""

    def __init__(self, stored: bytes | None = None, *, readable: bool = True) -> None:
        self.stored = stored
        self.readable = readable
        self.calls: list[str] = []
        self.before_create: list[bytes] = []  # what another start writes just before this one's create

    def read_if_readable(self, key: str) -> bytes | None:
        self.calls.append("get")
        return self.stored if self.readable else None

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        self.calls.append("put")
        if self.before_create:
            self.stored = self.before_create.pop(0)
        if self.stored is not None:
            return False  # 412: If-None-Match failed
        self.stored = body
        return True


def test_an_existing_key_costs_one_read() -> None:
    # Given a stored key
    objects = FakeObjects(b"k" * SECRET_BYTES)
    # When a function starts / Then it uses that key after one GetObject
    assert cursor_secret(objects, key=KEY) == b"k" * SECRET_BYTES
    assert objects.calls == ["get"]


def test_the_first_start_creates_a_random_key_and_the_next_reads_it() -> None:
    # Given no key yet
    objects = FakeObjects()
    # When two functions start one after the other
    first = cursor_secret(objects, key=KEY)
    second = cursor_secret(objects, key=KEY)
    # Then the first created a random 32-byte key and the second read the same one
    assert len(first) == SECRET_BYTES and first == second == objects.stored
    assert objects.calls == ["get", "put", "get"]
    assert cursor_secret(FakeObjects(), key=KEY) != first


def test_losing_the_race_to_create_reads_the_winners_key() -> None:
    # Given no key when this start reads, and another start creating one before this one's write
    winner = b"w" * SECRET_BYTES
    objects = FakeObjects()
    objects.before_create.append(winner)
    # When this one starts / Then its conditional write fails (412) and it uses the winner's key
    assert cursor_secret(objects, key=KEY) == winner
    assert objects.calls == ["get", "put", "get"]


def test_a_key_that_exists_but_cannot_be_read_fails_the_start_never_replaces_it() -> None:
    # Given a stored key this role may not read (S3 answers 403, as for a missing key)
    objects = FakeObjects(b"k" * SECRET_BYTES, readable=False)
    # When a function starts / Then it fails (a retry may work) and the key is untouched
    with pytest.raises(TransientError):
        cursor_secret(objects, key=KEY)
    assert objects.stored == b"k" * SECRET_BYTES


def test_a_short_object_is_not_taken_as_a_key() -> None:
    # Given an object too short to be a key / When a function starts / Then it refuses to sign cursors with it
    with pytest.raises(RuntimeError, match="not a cursor key"):
        cursor_secret(FakeObjects(b""), key=KEY)
