"""Cursor pagination: opaque cursors over a stable sort key, so pages never skip or repeat rows
when new rows arrive between requests (offset paging would)."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from backend.api.errors import Problem

T = TypeVar("T")

MAX_LIMIT = 200
CursorQuery = Annotated[str | None, Query(description="The `next_cursor` of the previous page.")]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(*key: Any) -> str:
    """The sort key of the last row of a page (e.g. created_at, id), as an opaque string."""
    return base64.urlsafe_b64encode(json.dumps([str(k) for k in key]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, parts: int) -> list[str] | None:
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, json.JSONDecodeError) as exc:
        raise Problem(400, "invalid-cursor", "The cursor is not one this API issued.") from exc
    if not isinstance(key, list) or len(key) != parts or not all(isinstance(k, str) for k in key):
        raise Problem(400, "invalid-cursor", "The cursor is not one this API issued.")
    return key
