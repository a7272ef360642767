import pytest

from backend.api.errors import Problem
from backend.api.paging import decode_cursor, encode_cursor


def test_a_cursor_round_trips_its_sort_key():
    cursor = encode_cursor("2026-11-29T10:00:00+00:00", "4b1c")
    assert decode_cursor(cursor, 2) == ["2026-11-29T10:00:00+00:00", "4b1c"]


@pytest.mark.parametrize("bad", ["not base64!", encode_cursor("only-one"), "e30"])
def test_a_forged_cursor_is_a_400(bad):
    with pytest.raises(Problem) as caught:
        decode_cursor(bad, 2)
    assert caught.value.status == 400
