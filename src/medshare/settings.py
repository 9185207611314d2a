"""Settings read from the environment (prefix MEDSHARE_), with an embedded SQLite default."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of a medshare process; read once per process."""

    model_config = SettingsConfigDict(env_prefix="MEDSHARE_", extra="ignore")

    data_dir: Path = Field(default=Path("medshare-data"), description="where the SQLite file and the secret key live")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means an SQLite file in data_dir")
    secret_key: str = Field(default="", description="signs CSRF tokens; empty means one kept in data_dir")
    demo_on_first_start: bool = Field(default=True, description="seed a demo region when the database is empty")
    demo_scale: Literal["small", "city", "province"] = "small"
    demo_seed: int = 1
    demo_password: str = Field(default="medshare-demo", description="password of every demo account")
    session_hours: int = Field(default=12, description="lifetime of a web session")
    api_token_days: int = Field(default=90, description="lifetime of an API bearer token")
    cookie_secure: bool = Field(default=False, description="mark cookies Secure and send HSTS (set behind HTTPS)")
    login_max_failures_per_account: int = Field(default=5, description="failed sign-ins of one name before a lockout")
    login_max_failures_per_source: int = Field(default=50,
                                               description="failed sign-ins from one address before a pause")
    login_window_minutes: int = Field(default=15, description="the window those failures are counted in")
    login_lockout_minutes: int = Field(default=15, description="how long a lockout lasts")
    max_sites_per_practitioner: int = Field(
        default=3, description="region policy: sites a practitioner may hold at once, the primary included"
    )
    supply_policy: dict = Field(
        default_factory=dict, description="region policy of supply allocation over its defaults, as JSON: classes "
        "([{code, lateness_cost}], most urgent first), max_source_km, km_per_day, horizon_days, substitute_cost, "
        "source_kinds, region_digits"
    )
    max_requests_in_progress: int = Field(
        default=32, ge=1, description="requests one server process works on at once; the others wait in line")
    request_queue_seconds: float = Field(
        default=20.0, gt=0, description="how long a request may wait in line before a 503 with Retry-After")
    default_locale: str = "en"
    timezone: str = Field(default="Asia/Shanghai", description="the region's local time, for opening hours")

    def resolved_database_url(self) -> str:
        """The configured URL, or the SQLite file inside the data folder."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'medshare.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once and kept beside the data (mode 600)."""
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            # Written aside then linked into place, so concurrent workers agree on one key.
            tmp = path.with_name(f"secret_key.{secrets.token_hex(4)}")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
