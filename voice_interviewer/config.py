"""Settings: defaults < voice-interviewer.toml < environment < CLI flags.

The TOML file is read from the current directory, else from the user config dir
(``$XDG_CONFIG_HOME/voice-interviewer/`` or ``~/.config/voice-interviewer/``), or from the
path in ``VOICE_INTERVIEWER_CONFIG``. Environment variables are ``VOICE_INTERVIEWER_<FIELD>``,
plus ``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``. Secrets never appear in ``public_dict``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .errors import ConfigError

CONFIG_NAME = "voice-interviewer.toml"
# limits on what the program reads; Settings fields of the same names (lower case) change them
MAX_ANSWER_WORDS = 600  # 3 min of speech (max_answer_s) at 150-200 words a minute
MAX_SESSION_MB = 5.0  # a 100-turn session is ~0.3 MB; a 5 MB one takes ~4 s and ~250 MB to report
MAX_BANK_MB = 5.0


def user_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "voice-interviewer"


def user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "voice-interviewer"


def user_state_dir() -> Path:
    """Where logs of unexpected errors go (``$XDG_STATE_HOME/voice-interviewer``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "voice-interviewer"


_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s]*@")


def redact_url(text: str) -> str:
    """``scheme://user:key@host`` -> ``scheme://***@host``: credentials never leave memory."""
    return _URL_USERINFO.sub(r"\1***@", text)


def config_file() -> Path | None:
    explicit = os.environ.get("VOICE_INTERVIEWER_CONFIG")
    if explicit:
        return Path(explicit)
    for candidate in (Path.cwd() / CONFIG_NAME, user_config_dir() / CONFIG_NAME):
        if candidate.is_file():
            return candidate
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VOICE_INTERVIEWER_", extra="forbid", populate_by_name=True, frozen=True
    )

    # interview
    language: Literal["es", "en", "auto"] = "en"
    recordings_dir: Path = Path("recordings")
    banks: list[Path] = Field(default_factory=list)  # empty: the built-in bank
    scorer: Literal["offline", "llm", "auto"] = "offline"
    count: int = Field(default=5, ge=1, le=100)
    followups: int = Field(default=1, ge=0, le=5)
    category: str | None = None
    difficulty: Literal["easy", "medium", "hard"] | None = None
    seed: int | None = None

    # voice
    text: bool = False
    no_tts: bool = False
    voice: str | None = None
    rate: int = 165  # words per minute spoken by the interviewer
    save_question_audio: bool = True
    stt_model: str = "base"
    # one: beam search on two threads is slower on a 2-core CPU (0.85 vs 1.15 s per chunk) and
    # leaves no core for the VAD and turn model while a chunk decodes
    stt_threads: int = Field(1, ge=1)
    input_device: str | None = None
    push_to_talk: bool = False
    # the candidate may talk over the interviewer (questions, follow-ups, reactions): it stops.
    # None: on with headphones (nothing to cancel); with any other output on once the microphone
    # heard no voice while a question played (speaking/barge_in.py), else off: speakers need PulseAudio's
    # echo canceller: through it the microphone's audio is heard worse (the spoken end-to-end test's
    # "variance" came back as "Maryens"), and the own voice still cut in 3 times in 20
    barge_in: bool | None = None
    # with barge-in on, a pause whose transcript reads finished and that the turn model calls
    # finished (p >= 0.9) ends the answer after this much silence even where the end-of-answer rule
    # would wait for max_pause_s: a candidate who goes on talks over the reaction and the answer
    # continues (hearing/turn_end.py)
    barge_in_end_s: float = Field(1.2, gt=0)
    end_silence_s: float = 0.4  # silence that ends an answer the turn model calls complete
    max_pause_s: float = 3.0  # longest thinking pause when the turn model says incomplete
    turn_threshold: float = Field(0.95, ge=0.0, le=1.0)  # turn-model probability for a quick end
    # a quick end also needs the transcript up to the pause to read as finished (no trailing
    # comma or "and"); it waits for the last piece's text, which the reply needs anyway
    end_text_check: bool = True
    # the end-of-answer decision also weighs the rubric coverage and length of the answer so far: a
    # finished-reading pause the turn model doubts may still end it early (hearing/turn_end.py)
    end_rule: bool = True
    # while the reaction plays, Whisper hears the whole recording of the answer again (better than
    # the live chunks) and the answer is judged again on that text (hearing/second_hearing.py)
    hear_again: bool = True
    min_answer_s: float = 1.0
    max_answer_s: float = 180.0
    no_speech_timeout_s: float = 8.0
    think_s: float = Field(20.0, gt=0)  # longest pause waited for after "let me think" / "un momento"
    long_pause_s: float = Field(1.5, gt=0)  # a silence this long between words is a long pause (delivery)
    models_dir: Path = Field(default_factory=lambda: user_cache_dir() / "models")

    # LLM judge
    model: str = "gpt-4o-mini"
    llm_timeout: float = 30.0
    llm_retries: int = 2
    local_llm: bool = False
    llm_model: str = "smollm2-135m"
    llm_threads: int = 2
    # structured: JSON verdicts + score; probs: score-digit probabilities fused with the offline score
    llm_method: Literal["auto", "structured", "probs"] = "auto"
    prompts_dir: Path | None = None  # the user's own LLM prompt templates (default: the built-in ones)
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key"), exclude=True
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url")
    )

    # limits on what the program reads (see README "Limits")
    max_answer_words: int = Field(MAX_ANSWER_WORDS, ge=10)  # an answer is judged on its first N words
    max_session_mb: float = Field(MAX_SESSION_MB, gt=0)  # a larger session.json is listed as damaged
    max_bank_mb: float = Field(MAX_BANK_MB, gt=0)  # a larger question bank file is refused

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def llm_configured(self) -> bool:
        return bool(self.openai_base_url or self.openai_api_key or self.local_llm)

    def effective_scorer(self) -> str:
        if self.scorer == "auto":
            return "llm" if self.llm_configured() else "offline"
        return self.scorer

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to store in a session: no secrets, paths as strings."""
        data = self.model_dump(mode="json", exclude={"openai_api_key"})
        data["openai_api_key_set"] = self.openai_api_key is not None
        if data.get("openai_base_url"):
            data["openai_base_url"] = redact_url(data["openai_base_url"])
        return data


def load_settings(**overrides: Any) -> Settings:
    """Build settings; ``overrides`` are CLI flags (``None`` means not given)."""
    given = {k: v for k, v in overrides.items() if v is not None and v != [] and v != ()}
    path = config_file()
    if path is not None and not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        return Settings(**given)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "settings"
        where = f" (from {path})" if path else ""
        raise ConfigError(f"invalid setting {field}: {err['msg']}{where}") from None
    except (OSError, ValueError) as exc:  # e.g. malformed TOML
        raise ConfigError(f"cannot read settings{f' from {path}' if path else ''}: {exc}") from None
