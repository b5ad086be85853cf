"""Live classroom sessions: what a lecturer creates and sends, what a follower receives."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Page = Literal["/", "/hello", "/gradients", "/explore", "/lab"]


class SessionCreated(BaseModel):
    code: str = Field(description="the join code students type at /join (6 characters)")
    join_url: str = Field(description="the link (and QR code) students open; never localhost")
    lecturer_token: str = Field(
        description="Bearer token that changes and ends the session; keep it to the lecturer"
    )
    expires_at: float = Field(description="Unix time the session ends if left idle")


class SessionState(BaseModel):
    """The lecturer's page: followers open `path` with `query` (story and scene included)."""

    model_config = ConfigDict(extra="forbid")

    path: Page = Field(description="the page", examples=["/hello"])
    query: str = Field(
        "",
        description="the page's query string, without '?'",
        examples=["model=hello-lstm&text=hello&step=3&story=forward&scene=2"],
    )


class SessionInfo(BaseModel):
    code: str = Field(description="the join code")
    join_url: str = Field(description="the link (and QR code) students open; never localhost")
    followers: int = Field(description="students following now, in this worker")
    expires_at: float = Field(description="Unix time the session ends if left idle")
    state: SessionState | None = Field(description="the lecturer's page, once sent")
