"""Every limit and knob of the server, in one place; override with UNROLLED_* variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.spec import Limits
from models.zoo import CHECKPOINT_DIR

# CSP frame-ancestors sources: 'self', 'none', or scheme/host sources (https:, *.example.edu,
# https://slides.example.edu:8443), separated by spaces: nothing that ends the directive.
SCHEME = r"[A-Za-z][A-Za-z0-9+.-]*"
HOST_SOURCE = rf"(?:{SCHEME}://)?[A-Za-z0-9*.-]+(?::(?:[0-9]+|\*))?(?:/[^\s;,'\"]*)?"
FRAME_SOURCE = rf"(?:'self'|'none'|{SCHEME}:|{HOST_SOURCE})"
FRAME_SOURCES = rf"^{FRAME_SOURCE}(?: +{FRAME_SOURCE})*$"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UNROLLED_")

    max_text_chars: int = Field(2000, ge=1, description="characters in one traced text")
    max_hidden_size: int = Field(256, ge=1, description="hidden units per layer of a model")
    max_layers: int = Field(3, ge=1, description="stacked recurrent layers of a model")
    max_vocab: int = Field(256, ge=1, description="distinct characters (words, classes) of a model")
    max_body_bytes: int = Field(16 * 2**20, ge=1024, description="size of one request body")
    max_held_body_bytes: int = Field(
        32 * 2**20,
        ge=0,
        description="request bodies held at once by the requests a worker is answering or "
        "queueing (parsed JSON takes up to ~8x more); beyond it a 429, but one request is "
        "always admitted",
    )
    cache_max_age: int = Field(3600, ge=0, description="seconds a browser may reuse a GET")
    trace_cache_bytes: int = Field(
        224 * 2**20,
        ge=0,
        description="built-in traces kept in memory (gzipped), per worker; one over 1/8 of "
        "this is not kept",
    )
    explore_cache_bytes: int = Field(
        32 * 2**20, ge=0, description="gradient-explorer answers kept in memory, per worker"
    )
    max_explore_steps: int = Field(1000, ge=2, description="sequence length in the explorer")
    max_explore_hidden: int = Field(128, ge=1, description="hidden units in the explorer")
    max_analysis_chars: int = Field(
        500, ge=1, description="characters of a trace with analysis (connectivity is T^2 work)"
    )
    max_trace_values: int = Field(
        6_000_000,
        ge=1,
        description="numbers in one trace response, ~20 bytes of JSON each (the largest "
        "built-in trace, code-lstm over 2000 characters with projections, has 5.8 million)",
    )
    max_generate_length: int = Field(1000, ge=1, description="characters generated at once")
    max_prompt_chars: int = Field(1000, ge=1, description="characters of a generation prompt")
    max_import_bytes: int = Field(
        8 * 2**20, ge=1024, description="size of an imported state_dict or safetensors file"
    )
    max_train_steps: int = Field(5000, ge=1, description="optimizer updates of one training run")
    max_train_length: int = Field(
        200, ge=2, description="steps T one training sequence may have (a task's delay/length)"
    )
    max_train_hidden: int = Field(128, ge=1, description="hidden units of a model in training")
    max_train_batch: int = Field(256, ge=1, description="sequences per training update")
    max_train_activations: int = Field(
        2**22,
        ge=1,
        description="activations one training update keeps for backpropagation, batch x T x "
        "hidden x layers (~80 bytes of memory each)",
    )
    max_train_seconds: float = Field(180, gt=0, description="wall time of one training run")
    max_train_measurements: int = Field(
        1001, ge=2, description="evals and probe curves of one run (steps / probe_every + 1)"
    )
    max_train_snapshots: int = Field(
        101, ge=2, description="weight snapshots of one run (steps / snapshot_every + 1)"
    )
    max_training_runs: int = Field(
        2, ge=1, description="training runs and comparisons streaming at once, per worker"
    )
    max_queued_runs: int = Field(
        128,
        ge=0,
        description="more that wait their turn in order, told their place and wait, per "
        "worker; beyond it a 429 (a default /lab run takes about a second, so a class of 60 "
        "pressing Start at once all train within about a minute)",
    )
    max_compare_runs: int = Field(60, ge=1, description="training runs of one comparison")
    max_compare_seconds: float = Field(300, gt=0, description="wall time of one comparison")
    stream_buffer_bytes: int = Field(
        16 * 2**20,
        ge=1,
        description="encoded events of one training stream waiting for its client; the run "
        "waits while they fill it (one event of any size fits when it is empty)",
    )
    stream_stall_seconds: float = Field(
        10,
        gt=0,
        description="a training stream whose buffer stays full this long has a client too slow "
        "for it: the run stops and the stream ends with an error event",
    )
    train_threads: int = Field(
        1, ge=1, description="torch threads per training run (tiny models run fastest on one)"
    )
    max_running_jobs: int = Field(
        2, ge=1, description="model computations running at once, per endpoint and worker"
    )
    max_waiting_jobs: int = Field(
        128,
        ge=0,
        description="more that may queue behind them before a 429, per endpoint and worker "
        "(a page sends one request at a time, so this is about one lecture hall)",
    )
    retry_after_seconds: int = Field(2, ge=1, description="Retry-After sent with a 429")
    max_header_bytes: int = Field(
        64 * 2**10, ge=1024, description="request line and headers of one request (431 beyond)"
    )
    header_timeout_seconds: float = Field(
        10,
        gt=0,
        description="from a connection's opening, or a request's first byte, to the end of its "
        "headers (408 beyond)",
    )
    body_timeout_seconds: float = Field(
        15, gt=0, description="a request body may pause between two reads (408 beyond)"
    )
    keep_alive_seconds: int = Field(
        5, ge=1, description="an idle connection stays open after its last response"
    )
    max_connections: int = Field(
        1000,
        ge=1,
        description="open connections per worker; one more closes the longest idle one, or "
        "gets a 503 when none is idle",
    )
    frame_ancestors: str = Field(
        "'self'",
        pattern=FRAME_SOURCES,
        description="pages that may show Unrolled in a frame (CSP frame-ancestors): 'self', "
        "'none', or origins separated by spaces, e.g. \"'self' https://slides.example.edu\"",
    )
    max_sessions: int = Field(100, ge=1, description="live classroom sessions at once")
    max_session_followers: int = Field(
        500, ge=1, description="students following one live session at once"
    )
    max_session_state_bytes: int = Field(
        4096, ge=256, description="size of the page state a lecturer sends (413 beyond)"
    )
    session_idle_seconds: float = Field(
        4 * 3600, gt=0, description="a session whose lecturer changes nothing this long ends"
    )
    max_session_polls: int = Field(64, ge=1, description="polls one live session may open")
    max_shared_model_bytes: int = Field(
        8 * 2**20, ge=1024, description="size of one model a lecturer shares with a session"
    )
    max_session_model_bytes: int = Field(
        32 * 2**20,
        ge=1024,
        description="bytes of all the models shared with one session (413 beyond)",
    )
    redis_url: str | None = Field(
        None,
        description="Redis that keeps live sessions (redis://host:port/db), so several workers "
        "and replicas serve one class; without it sessions live in one worker's memory",
    )
    workers: int = Field(
        1,
        ge=1,
        description="worker processes serving (set by `unrolled serve --workers`): without "
        "redis_url live sessions live in one worker's memory, so with more than one they "
        "answer 503",
    )
    checkpoint_dir: Path = Field(CHECKPOINT_DIR, description="folder of built-in checkpoints")

    def limits(self) -> Limits:
        return Limits(
            max_text_chars=self.max_text_chars,
            max_hidden_size=self.max_hidden_size,
            max_layers=self.max_layers,
            max_vocab=self.max_vocab,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
