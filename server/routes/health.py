"""Liveness."""

import os

from fastapi import APIRouter

from server.deps import ZooDep
from server.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz(zoo: ZooDep) -> Health:
    """The server is up and its built-in models are loaded."""
    return Health(status="ok", models=len(zoo), worker=os.getpid())
