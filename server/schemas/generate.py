"""Schemas of text generation (`POST /api/generate`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from server.schemas.core import ModelReference, Text


class GenerateRequest(BaseModel):
    model_config = ConfigDict(
        strict=True,  # "5" is not a number
        extra="forbid",  # a misspelt field is an error, not ignored
        json_schema_extra={
            "example": {
                "model": "hello-lstm",
                "prompt": "h",
                "length": 20,
                "temperature": 1.0,
                "seed": 0,
            }
        },
    )

    model: ModelReference = Field(description="a built-in model id or an inline model")
    prompt: Text = Field(
        description="characters the model reads first (at least 1, all in its vocabulary)"
    )
    length: int = Field(200, description="characters to generate, 1 to max_generate_length")
    temperature: float = Field(
        1.0,
        ge=0,
        le=100,
        description=(
            "sample from softmax(logits / temperature); 0 takes the most likely character "
            "every step (greedy argmax)"
        ),
    )
    seed: int = Field(
        0,
        ge=0,
        le=2**32 - 1,
        description="seed of the NumPy generator: same request, same text",
    )


class TopChar(BaseModel):
    char: str = Field(description="a character of the vocabulary")
    prob: float = Field(description="its probability, softmax of the logits (temperature 1)")


class GenerateStep(BaseModel):
    char: str = Field(description="the character generated at this step")
    prob: float = Field(
        description=(
            "its probability under the model (softmax of the logits, temperature 1): equal to "
            "the trace's probs of `text` at the step that predicts it"
        )
    )
    sample_prob: float = Field(
        description="its probability in the distribution it was drawn from (with temperature)"
    )
    top: list[TopChar] = Field(description="the 5 most likely characters, best first")


class GenerateResponse(BaseModel):
    model: str = Field(description="the built-in id, or 'inline'")
    prompt: str = Field(description="the prompt, as sent")
    text: str = Field(description="prompt + generated: trace it to step through the writing")
    generated: str = Field(description="the generated characters only")
    temperature: float = Field(description="the temperature used")
    seed: int = Field(description="the seed used")
    steps: list[GenerateStep] = Field(
        description="one per generated character, each fed back as the next input"
    )
