"""The demo page at ``/`` and its static files (no CDN: works offline)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"  # package data, installed with serve.api

router = APIRouter(include_in_schema=False)


@router.get("/")
async def demo() -> FileResponse:
    return FileResponse(STATIC / "index.html")
