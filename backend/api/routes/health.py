"""Liveness (/healthz) and readiness (/readyz: database, Redis when configured, Rasa)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from backend.api.deps import ComponentsDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _check_database(c: ComponentsDep) -> tuple[bool, str]:
    try:
        with c.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True, "ok"
    except Exception as exc:  # any driver error means not ready
        return False, type(exc).__name__


def _check_redis(url: str) -> tuple[bool, str]:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
        return True, "ok"
    except redis.RedisError as exc:
        return False, type(exc).__name__
    finally:
        client.close()


@router.get("/readyz")
def readyz(c: ComponentsDep) -> JSONResponse:
    checks: dict[str, dict[str, Any]] = {}
    ok, detail = _check_database(c)
    checks["database"] = {"ok": ok, "detail": detail}
    if c.settings.redis_url:
        ok, detail = _check_redis(c.settings.redis_url)
        checks["redis"] = {"ok": ok, "detail": detail}
    ok, detail = c.rasa.ready()
    checks["rasa"] = {"ok": ok, "detail": detail}
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "starting", "checks": checks}, status_code=200 if ready else 503
    )
