"""Live classroom sessions: what a lecturer creates and sends, what a follower receives."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Page = Literal["/", "/hello", "/gradients", "/explore", "/lab"]
JOIN_URL = "the link (and QR code) students open; never localhost"
DIGEST = r"^[0-9a-f]{64}$"


class SessionCreated(BaseModel):
    code: str = Field(description="the join code students type at /join (6 characters)")
    join_url: str = Field(description=JOIN_URL)
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
    shared_model: str | None = Field(
        None,
        pattern=DIGEST,
        description="the SHA-256 of a model shared with the session (POST .../models) that "
        "the query's model=local:<name> names: followers fetch it and store it as <name>",
    )


class SessionInfo(BaseModel):
    code: str = Field(description="the join code")
    join_url: str = Field(description=JOIN_URL)
    followers: int = Field(description="students following now, on every worker")
    expires_at: float = Field(description="Unix time the session ends if left idle")
    state: SessionState | None = Field(description="the lecturer's page, once sent")


class PollOpen(BaseModel):
    """A predict-then-reveal question put to the class; its answer stays with the lecturer
    until the reveal."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="names the poll in the session, e.g. <story>:<scene>",
        examples=["vanishing:3"],
    )
    prompt: str = Field(min_length=1, max_length=500, description="the question")
    choices: list[str] = Field(
        min_length=2, max_length=9, description="the answers to choose from (keys 1-9)"
    )
    answer: int | None = Field(None, ge=0, le=8, description="the right choice, if one is")
    explain: str | None = Field(None, max_length=2000, description="why, shown at the reveal")

    @model_validator(mode="after")
    def answer_is_a_choice(self) -> PollOpen:
        if self.answer is not None and self.answer >= len(self.choices):
            raise ValueError(
                f"answer {self.answer} is not one of the {len(self.choices)} choices "
                f"(0 to {len(self.choices) - 1})"
            )
        return self


class PollView(PollOpen):
    revealed: bool = Field(description="the answer and counts have been shown to the class")
    counts: list[int] = Field(description="answers per choice so far (one per browser)")


class PollAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    choice: int = Field(description="index into the poll's choices")


class SharedModel(BaseModel):
    digest: str = Field(description="the model's SHA-256, which names it in the session")
    bytes: int = Field(description="its size")
    url: str = Field(description="where followers fetch it (relative to this server)")
