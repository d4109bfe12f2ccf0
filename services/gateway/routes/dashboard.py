"""``GET /dashboard``: the live operations page (one static HTML file, no build step).

The page polls ``GET /v1/ops/summary`` every two seconds and ``GET /v1/trends``
when the gateway serves it.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

PAGE = Path(__file__).resolve().parent.parent / "static" / "dashboard.html"

router = APIRouter(tags=["operations"])


@router.get("/dashboard", include_in_schema=False)
async def dashboard() -> FileResponse:
    return FileResponse(PAGE, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})
