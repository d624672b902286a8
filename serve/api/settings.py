"""Server settings: defaults here, overridden by ``RASD_*`` environment variables, then by the CLI.

Every field can be set from the environment with the ``RASD_`` prefix (``RASD_MODEL_DIR``,
``RASD_MAX_BODY_BYTES``, ``RASD_API_KEY``, ``RASD_CORS_ORIGINS=https://a.example,https://b.example``).
The defaults are safe for a public port: inputs are bounded, CORS is off, and no API key means
the API is open (set ``RASD_API_KEY`` to require one on ``/predict`` and ``/reload``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from model.modeldir import CURRENT
from model.paths import ANNOTATIONS_DIR, MODELS_DIR


class Settings(BaseSettings):
    """What ``create_app`` needs. Validation errors name the offending variable or option."""

    model_config = SettingsConfigDict(env_prefix="RASD_", extra="ignore")

    model_dir: Path = Field(MODELS_DIR / CURRENT, description="model dir written by `make train`")
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$",
                        description="auto, cpu or cuda[:n]; cuda runs in half precision")
    quantize: Literal["none", "int8"] = Field("none", description="int8: dynamic quantization (CPU only)")
    batch_tokens: int = Field(8192, gt=0, description="padded tokens per forward pass")

    # Micro-batching (serve/api/batching.py): concurrent /predict requests share one Predictor call.
    micro_batching: bool = Field(True, description="join concurrent requests into one model call")
    max_batch_tokens: int = Field(8192, gt=0, description="estimated tokens (characters / 4) per joined call")
    max_wait_ms: float = Field(5.0, ge=0, le=1000, description="longest a request waits for others to join it")
    max_queue: int = Field(256, gt=0, description="requests waiting for the model before /predict answers 503")
    max_expected_wait: float = Field(10.0, ge=0, description="seconds: a request whose expected wait for its answer "
                                     "is longer gets 503 with Retry-After (0: no bound by time)")

    # 100k Arabic characters are ~200 KB of UTF-8, or ~600 KB when a client \u-escapes them
    # (Python's json.dumps does by default), so 5 MB leaves room for a few long articles.
    max_body_bytes: int = Field(5_000_000, gt=0, description="largest request body, in bytes")
    max_chars_per_text: int = Field(200_000, gt=0, description="longest text, in characters")
    max_texts_per_request: int = Field(64, gt=0, description="most texts in one request")

    api_key: SecretStr | None = Field(None, description="when set, /predict and /reload require it")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins allowed by CORS; empty (the default) turns CORS off")

    # The Label Studio ML backend under /labelstudio (serve/api/studio.py).
    labelstudio_annotations: Path = Field(ANNOTATIONS_DIR / "labelstudio.jsonl",
                                          description="annotations file the Label Studio webhook writes; "
                                                      "retrains use every *.jsonl of its folder")
    labelstudio_events: Path = Field(ANNOTATIONS_DIR / "labelstudio" / "events.jsonl",
                                     description="raw Label Studio webhook events as received "
                                                 "(rejected annotations in rejected.jsonl beside it)")
    labelstudio_retrain_every: int = Field(10, ge=0, description="retrain after this many new Label Studio "
                                           "annotations (0: only when Label Studio asks, START_TRAINING)")
    labelstudio_models_dir: Path = Field(MODELS_DIR, description="where Label Studio retrains publish model dirs "
                                         "(and repoint `current`)")

    host: str = Field("127.0.0.1", description="address to bind")
    port: int = Field(8000, ge=0, le=65535, description="port to listen on")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        # Environment variables are plain strings; accept the comma-separated form people write.
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, value):
        # `RASD_API_KEY=` (set but empty) must not silently mean "the key is the empty string".
        return None if isinstance(value, str) and not value.strip() else value
