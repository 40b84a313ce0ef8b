from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from functions.common.ids import is_ulid, new_ulid
from functions.common.objects import attachment_disposition


def test_ids_made_later_sort_after_earlier_ones() -> None:
    # Given ids made a millisecond apart
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = [new_ulid(start + timedelta(milliseconds=i)) for i in range(200)]
    # Then string order is creation order, and every id is a well-formed ULID
    assert made == sorted(made)
    assert all(is_ulid(asset_id) for asset_id in made)
    assert len(set(made)) == len(made)


def test_disposition_of_a_plain_name() -> None:
    assert attachment_disposition("cat.jpg") == "attachment; filename=\"cat.jpg\"; filename*=UTF-8''cat.jpg"


def test_disposition_neutralises_quotes_and_header_injection() -> None:
    # Given a name with quotes, CR/LF and a header it tries to inject
    value = attachment_disposition('evil".jpg\r\nSet-Cookie: a=b')
    # Then the header stays one header with the quote and line breaks gone
    assert "\r" not in value and "\n" not in value
    fallback = value.split(";")[1]
    assert fallback.count('"') == 2


def test_disposition_keeps_non_ascii_in_the_utf8_form() -> None:
    value = attachment_disposition("Überraschung 猫.png")
    assert 'filename="Uberraschung .png"' in value
    assert "filename*=UTF-8''%C3%9Cberraschung%20%E7%8C%AB.png" in value


@given(st.text(max_size=300))
def test_disposition_is_always_one_safe_ascii_header(name: str) -> None:
    value = attachment_disposition(name)
    assert value.isascii()
    assert not any(ch in value for ch in "\r\n\x00")
    assert value.startswith('attachment; filename="')
