"""`bsr replica ...`: serve the local replica of the TWSE site."""

from __future__ import annotations

import typer

app = typer.Typer(help="The local replica of bsr.twse.com.tw/bshtm.", no_args_is_help=True)
