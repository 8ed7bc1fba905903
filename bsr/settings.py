"""The one typed settings object of twse-bsr.

Every value comes from a `BSR_*` environment variable or its default, which works on a fresh machine."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_path
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.listing import EXCHANGE_LISTING_URL

REAL_SITE_URL = "https://bsr.twse.com.tw/bshtm/"
# The exchange's ISIN list of listed securities, which twstock's own updater reads too.
REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    return user_data_path("twse-bsr", appauthor=False)


class Settings(BaseSettings):
    """What a user can set through the environment (`BSR_DATA_DIR`, `BSR_DATABASE_URL`, ...)."""

    model_config = SettingsConfigDict(env_prefix="BSR_", extra="ignore")

    data_dir: Path = _default_data_dir()
    database_url: str = ""
    base_url: str = REAL_SITE_URL
    listing_url: str = EXCHANGE_LISTING_URL
    chromium: str = ""
    model: str = ""
    # The dashboard's access token; beyond loopback one is made at start when this is empty.
    dashboard_token: str = ""
    captcha_data: Path = REPO_ROOT.parent / "shared" / "data" / "twse-captcha-2019"
    # Where alerts go: apprise URLs, separated by spaces or commas (docs/alerts.md); empty: no alerts.
    notify_urls: str = ""
    # The watchlist whose rules are checked after each stored day (TOML, docs/alerts.md); empty: none.
    watchlist: Path | None = None
    # The dashboard as the alerts' readers reach it: the links in the messages start here.
    dashboard_url: str = "http://127.0.0.1:8000"

    @field_validator("watchlist", mode="before")
    @classmethod
    def _no_watchlist_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'bsr.sqlite3'}"

    @property
    def columnar_dir(self) -> Path:
        """Where the flows' columnar copy of the database lives (flows.columnar): a cache, safe to delete."""
        return self.data_dir / "columnar"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
