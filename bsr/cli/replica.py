"""`bsr replica ...`: serve the local replica of the TWSE site."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import typer

from bsr.settings import get_settings
from replica.config import ReplicaConfig, ReplicaConfigError, latest_trade_date

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


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on; loopback unless --allow-remote."),
    port: int = typer.Option(8765, help="Port to listen on."),
    captcha: CaptchaChoice = typer.Option(
        CaptchaChoice.synthetic, help="Draw captchas, or replay real ones."
    ),
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
    latency: float = typer.Option(0.0, help="Seconds added to every page."),
    error_rate: float = typer.Option(0.0, help="Share of requests answered with HTTP 500."),
    drop_rate: float = typer.Option(0.0, help="Share of connections dropped without an answer."),
    nonimage_captcha_rate: float = typer.Option(0.0, help="Share of captcha requests answered with HTML."),
    firewall_rpm: int = typer.Option(0, help="Block a client after this many requests in a minute (0: off)."),
    firewall_block: float = typer.Option(3600.0, help="Seconds a blocked client stays blocked."),
    stale_csv_rate: float = typer.Option(
        0.0, help="Share of CSV downloads answered with another security's."
    ),
    truncated_csv_rate: float = typer.Option(0.0, help="Share of CSV downloads cut off mid-way."),
    redesign_rate: float = typer.Option(
        0.0, help="Share of forms served with renamed fields (a redesigned site)."
    ),
    forbidden_rate: float = typer.Option(0.0, help="Share of the site's pages answered with HTTP 403."),
    throttle_rpm: int = typer.Option(
        0, help="Answer a client HTTP 403 after this many pages in a minute (0: off)."
    ),
    throttle_block: float = typer.Option(120.0, help="Seconds a throttled client gets HTTP 403."),
    blank_post_rate: float = typer.Option(0.0, help="Share of queries answered with a blank page."),
    silent_post_rate: float = typer.Option(
        0.0, help="Share of queries answered with a new form but neither message nor download link."
    ),
    forbidden_csv_rate: float = typer.Option(0.0, help="Share of CSV downloads answered with HTTP 403."),
    forbidden_captcha_rate: float = typer.Option(0.0, help="Share of captcha images answered with HTTP 403."),
    view_mismatch_rate: float = typer.Option(
        0.0, help="Share of HTML report views whose traded shares are neither the CSV's total buys nor sells."
    ),
    allow_remote: bool = typer.Option(False, help="Allow listening on a non-loopback address."),
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
        latency_s=latency,
        error_rate=error_rate,
        drop_rate=drop_rate,
        nonimage_captcha_rate=nonimage_captcha_rate,
        firewall_requests_per_minute=firewall_rpm,
        firewall_block_s=firewall_block,
        stale_csv_rate=stale_csv_rate,
        truncated_csv_rate=truncated_csv_rate,
        redesign_rate=redesign_rate,
        forbidden_rate=forbidden_rate,
        throttle_requests_per_minute=throttle_rpm,
        throttle_block_s=throttle_block,
        blank_post_rate=blank_post_rate,
        silent_post_rate=silent_post_rate,
        forbidden_csv_rate=forbidden_csv_rate,
        forbidden_captcha_rate=forbidden_captcha_rate,
        view_mismatch_rate=view_mismatch_rate,
    )
    serve_replica(config, host, port, announce=typer.echo)
