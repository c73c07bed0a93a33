"""Talking to an OpenAI-compatible endpoint: the client, output formats, faults, local server.

The ``openai`` client does the bounded retries itself: ``max_retries`` attempts more on
timeouts, refused connections, 408/409/429 and 5xx, with exponential backoff and jitter
(and ``Retry-After`` when the server sends one). Every request has ``timeout`` seconds.
Structured output uses ``json_schema`` where the server accepts it; a server that rejects
it with HTTP 400 is asked again in JSON mode with the schema in the prompt, and one that
rejects JSON mode too gets the schema in the prompt only. The choice is remembered.
"""

from __future__ import annotations

import atexit
import ipaddress
import time
from collections.abc import Callable
from urllib.parse import urlparse

from ..config import Settings
from ..errors import ConfigError
from .llm_parse import redact

FORMATS = ("json_schema", "json_object", "none")


class LLMFault(Exception):
    """A request failed in a way the judge survives by falling back (message: one safe line)."""


def describe_fault(exc: BaseException, timeout: float, attempts: int, secret: str | None = None) -> str:
    """One line naming what went wrong, without the server's text (it may echo secrets)."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        why = f"timed out after {timeout:g} s ({attempts} attempt{'s' if attempts > 1 else ''})"
    elif isinstance(exc, openai.APIConnectionError):
        why = f"cannot connect to the LLM endpoint ({attempts} attempt{'s' if attempts > 1 else ''})"
    elif isinstance(exc, openai.RateLimitError):
        why = f"rate limited, HTTP 429 ({attempts} attempts)"
    elif isinstance(exc, openai.AuthenticationError):
        why = "the LLM endpoint refused the API key (HTTP 401)"
    elif isinstance(exc, openai.APIStatusError):
        why = f"HTTP {exc.status_code} from the LLM endpoint"
        if exc.status_code >= 500:
            why += f" ({attempts} attempts)"
    elif isinstance(exc, LLMFault):
        why = str(exc)
    else:
        why = f"{type(exc).__name__} from the LLM client"
    return redact(why, secret)


def is_loopback(base_url: str | None) -> bool:
    host = urlparse(base_url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Endpoint:
    """One OpenAI-compatible chat endpoint (and the local server behind it, if we started it)."""

    def __init__(self, client, model: str, *, timeout: float, retries: int, local: bool,
                 secret: str | None = None, server=None):
        self.client = client
        self.model = model
        self.timeout = timeout
        self.retries = retries
        self.local = local
        self.server = server
        self._secret = secret
        self.format = "json_schema"
        self.calls = 0  # completions asked for (the client's retries not counted)
        self.last_latency: float | None = None
        if server is not None:
            atexit.register(self.close)

    @classmethod
    def from_settings(cls, settings: Settings, *, progress: bool = True) -> Endpoint:
        from openai import OpenAI

        server = None
        base_url = settings.openai_base_url
        model = settings.model
        if settings.local_llm:
            from .llm_server import LocalLLMServer, choose_threads, resolve_gguf

            gguf = resolve_gguf(settings.llm_model, settings.models_dir, progress=progress)
            server = LocalLLMServer(gguf, threads=choose_threads(settings.llm_threads))
            base_url, model = server.start(), "local"
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        if key is None and base_url is None:
            raise ConfigError(
                "the LLM judge needs an endpoint",
                hint="set OPENAI_API_KEY, OPENAI_BASE_URL or use --local-llm",
            )
        client = OpenAI(
            api_key=key or "not-needed",
            base_url=base_url,
            timeout=settings.llm_timeout,
            max_retries=max(0, settings.llm_retries),
        )
        local = server is not None or is_loopback(base_url)
        return cls(client, model, timeout=settings.llm_timeout, retries=settings.llm_retries,
                   local=local, secret=key, server=server)

    def describe(self, exc: BaseException, attempts: int | None = None) -> str:
        return describe_fault(exc, self.timeout, attempts or self.retries + 1, self._secret)

    def chat(self, messages: list[dict], **kwargs) -> object:
        """One chat completion; failures other than HTTP 400 become an LLMFault (safe line)."""
        import openai

        self.calls += 1
        t0 = time.monotonic()
        try:
            resp = self.client.chat.completions.create(model=self.model, messages=messages, **kwargs)
        except openai.BadRequestError:
            raise
        except openai.OpenAIError as exc:
            raise LLMFault(self.describe(exc)) from None
        except ValueError:  # e.g. a body that is not JSON
            raise LLMFault("the LLM endpoint sent a reply that is not a chat completion") from None
        except Exception as exc:  # noqa: BLE001 - a judge must never break the interview
            raise LLMFault(self.describe(exc)) from None
        self.last_latency = time.monotonic() - t0
        if not hasattr(resp, "choices"):
            raise LLMFault("the LLM endpoint sent a reply that is not a chat completion")
        return resp

    def grade_call(self, build: Callable[[str], list[dict]], schema: dict, **kwargs) -> tuple[str | None, list[dict]]:
        """A completion in the best output format the server accepts.

        ``build(format)`` gives the messages for a format ("json_schema": the server enforces
        the schema; otherwise the schema is written into the prompt). Returns the reply text
        and the messages sent (for a repair turn).
        """
        import openai

        while True:
            messages = build(self.format)
            extra: dict = {}
            if self.format == "json_schema":
                extra["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "grade", "strict": True, "schema": schema},
                }
            elif self.format == "json_object":
                extra["response_format"] = {"type": "json_object"}
            try:
                resp = self.chat(messages, **extra, **kwargs)
            except openai.BadRequestError as exc:
                nxt = FORMATS.index(self.format) + 1
                if nxt >= len(FORMATS):
                    raise LLMFault(self.describe(exc)) from None
                self.format = FORMATS[nxt]
                continue
            return _content(resp), messages

    def text_call(self, messages: list[dict], **kwargs) -> str | None:
        import openai

        try:
            return _content(self.chat(messages, **kwargs))
        except openai.BadRequestError as exc:
            raise LLMFault(self.describe(exc)) from None

    def close(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            server.stop()


def _content(resp) -> str | None:
    try:
        return resp.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        raise LLMFault("the LLM reply has no message") from None
