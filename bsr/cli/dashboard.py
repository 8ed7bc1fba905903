"""`bsr dashboard`: the web dashboard over the database, on loopback unless another host is asked for.

The dashboard room (FastAPI, templates) is imported inside the command, so that `bsr --help` stays fast."""

from __future__ import annotations

import secrets

import typer
from rich.console import Console

from bsr.settings import get_settings

console = Console(stderr=True)
LOOPBACK = "127.0.0.1"


def dashboard(
    host: str = typer.Option(LOOPBACK, help="Address to listen on; anything but loopback opens it to others."),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port to listen on."),
) -> None:
    """Serve the dashboard: job runs, solver accuracy, the failure queue to relabel, and the reports."""
    import uvicorn

    from dashboard.app import LOOPBACK_HOSTS, create_app

    settings = get_settings()
    # On a wildcard address the dashboard is reached by whatever name the machine has.
    allowed_hosts = ["*"] if host in ("0.0.0.0", "::") else [*LOOPBACK_HOSTS, host]
    beyond_loopback = host not in LOOPBACK_HOSTS and host != "::1"
    # Anyone who can reach a non-loopback address could read the reports and relabel captchas: a token it is.
    token = settings.dashboard_token or (secrets.token_urlsafe(24) if beyond_loopback else None)
    app = create_app(
        settings.resolved_database_url, allowed_hosts=allowed_hosts, token=token, columnar_dir=settings.columnar_dir
    )
    address = f"http://{'localhost' if host == LOOPBACK else host}:{port}/"
    if token:
        console.print(f"dashboard on {address}?token={token} (the token is required; Ctrl+C stops it)", soft_wrap=True)
    else:
        console.print(f"dashboard on {address} (Ctrl+C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
