"""The replica's settings: the default trade date in Taipei time, and knobs refused when out of range."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from replica.config import TAIPEI, ReplicaConfig, ReplicaConfigError, latest_trade_date


@pytest.mark.parametrize(
    ("taipei_time", "expected"),
    [
        (datetime(2026, 11, 20, 16, 45), date(2026, 11, 20)),  # Friday, after the reports are up
        (datetime(2026, 11, 20, 15, 0), date(2026, 11, 19)),  # Friday, before
        (datetime(2026, 11, 21, 12, 0), date(2026, 11, 20)),  # Saturday
        (datetime(2026, 11, 23, 9, 0), date(2026, 11, 20)),  # Monday morning
    ],
)
def test_latest_trade_date_follows_taipei_publishing_time(taipei_time: datetime, expected: date) -> None:
    assert latest_trade_date(taipei_time.replace(tzinfo=TAIPEI)) == expected


def test_default_config_has_every_fault_off() -> None:
    config = ReplicaConfig()
    config.validate()
    assert config.captcha_ttl_s == 90 and config.min_answer_delay_s == 0
    assert config.trade_date.weekday() < 5
    assert config.faults()["firewall_requests_per_minute"] == 0
    assert all(config.faults()[name] == 0 for name in ("latency_s", "error_rate", "drop_rate"))
    assert config.throttle_requests_per_minute == 0 and config.throttle_block_s == 120
    assert config.csv_layout == "2026-09" and config.real_csv_dir is None, "the newest layout, no real reports"
    throttling = (
        "forbidden_rate",
        "blank_post_rate",
        "silent_post_rate",
        "forbidden_csv_rate",
        "forbidden_captcha_rate",
    )
    assert all(config.faults()[name] == 0 for name in throttling)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"captcha_source": "camera"}, "captcha source"),
        ({"captcha_source": "replay"}, "--replay-dir"),
        ({"csv_layout": "cp950"}, "CSV layout must be one of 2026-07, 2026-09"),
        ({"real_csv_dir": Path("no-such-folder")}, "--real-csv-dir"),
        ({"stale_csv_rate": 1.5}, "stale_csv_rate is a probability"),
        ({"latency_s": -1.0}, "latency_s must be zero or more"),
        ({"captcha_ttl_s": 0.0}, "captcha_ttl_s"),
        ({"firewall_requests_per_minute": -3}, "firewall_requests_per_minute"),
        ({"throttle_requests_per_minute": -1}, "throttle_requests_per_minute"),
        ({"throttle_block_s": -1.0}, "throttle_block_s must be zero or more"),
        ({"blank_post_rate": 2.0}, "blank_post_rate is a probability"),
    ],
)
def test_out_of_range_settings_name_themselves(changes: dict, message: str) -> None:
    with pytest.raises(ReplicaConfigError, match=message):
        ReplicaConfig(**changes).validate()


def test_set_faults_is_all_or_nothing() -> None:
    config = ReplicaConfig(replay_dir=Path("."))
    config.set_faults({"drop_rate": 0.25, "firewall_requests_per_minute": 30})
    assert config.drop_rate == 0.25 and config.firewall_requests_per_minute == 30
    with pytest.raises(ReplicaConfigError, match="takes a number"):
        config.set_faults({"drop_rate": 0.5, "error_rate": "high"})
    with pytest.raises(ReplicaConfigError, match="unknown fault knob"):
        config.set_faults({"trade_date": 1})
    assert config.drop_rate == 0.25 and config.error_rate == 0.0
