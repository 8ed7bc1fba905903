"""`bsr replica ...`: serve the local replica of the TWSE site."""

from __future__ import annotations

import inspect
import ipaddress
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from bsr.settings import get_settings
from replica.config import FaultKnobs, ReplicaConfig, ReplicaConfigError, latest_trade_date

app = typer.Typer(help="The local replica of bsr.twse.com.tw/bshtm.", no_args_is_help=True)


class CaptchaChoice(StrEnum):
    synthetic = "synthetic"
    replay = "replay"


class CsvLayoutChoice(StrEnum):
    july_2026 = "2026-07"
    september_2026 = "2026-09"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _flag(knob: str) -> str:
    """The flag of a fault knob: its name without the unit of seconds, requests per minute as rpm."""
    return "--" + knob.removesuffix("_s").replace("_requests_per_minute", "_rpm").replace("_", "-")


def _with_fault_flags(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with a flag for every fault knob of the replica, as FaultKnobs declares them."""
    signature = inspect.signature(command)
    declared = [parameter for parameter in signature.parameters.values() if parameter.kind is not parameter.VAR_KEYWORD]
    knobs = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=field.annotation,
            default=typer.Option(field.default, _flag(name), help=field.description),
        )
        for name, field in FaultKnobs.model_fields.items()
    ]
    command.__signature__ = signature.replace(parameters=[*declared, *knobs])  # type: ignore[attr-defined]
    return command


@app.command()
@_with_fault_flags
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on; loopback unless --allow-remote."),
    port: int = typer.Option(8765, help="Port to listen on."),
    captcha: CaptchaChoice = typer.Option(CaptchaChoice.synthetic, help="Draw captchas, or replay real ones."),
    replay_dir: Path | None = typer.Option(
        None, help="Folder of labelled captchas (labels.csv) for --captcha replay; default: BSR_CAPTCHA_DATA."
    ),
    trade_date: datetime | None = typer.Option(
        None,
        formats=["%Y-%m-%d"],
        help="Trade date served (YYYY-MM-DD); default: the latest one up in Taipei.",
    ),
    csv_layout: CsvLayoutChoice = typer.Option(
        CsvLayoutChoice.september_2026,
        help="CSV bytes as the site wrote them in 2026-07 (Big5, bare numbers, LF after records) "
        "or 2026-09 (UTF-8 with a BOM, quoted values).",
    ),
    real_csv_dir: Path | None = typer.Option(
        None, help="Folder of whole CSVs the site gave: serve them byte for byte for their codes, generate the rest."
    ),
    seed: int = typer.Option(1, help="Seed of the market data, captchas and faults."),
    captcha_ttl: float = typer.Option(90.0, help="Seconds a captcha stays valid."),
    min_answer_delay: float = typer.Option(0.0, help="Reject answers typed faster than this many seconds."),
    allow_remote: bool = typer.Option(False, help="Allow listening on a non-loopback address."),
    **faults: Any,
) -> None:
    """Serve the replica until interrupted; prints its URL."""
    from replica.server import serve as serve_replica

    if not allow_remote and not _is_loopback(host):
        raise ReplicaConfigError(f"{host} is not a loopback address: use 127.0.0.1, or pass --allow-remote")
    config = ReplicaConfig(
        trade_date=trade_date.date() if trade_date else latest_trade_date(),
        captcha_source=captcha.value,
        replay_dir=(replay_dir or get_settings().captcha_data) if captcha is CaptchaChoice.replay else None,
        csv_layout=csv_layout.value,
        real_csv_dir=real_csv_dir,
        captcha_ttl_s=captcha_ttl,
        min_answer_delay_s=min_answer_delay,
        seed=seed,
        **faults,
    )
    serve_replica(config, host, port, announce=typer.echo)
