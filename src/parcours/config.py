"""The one settings object. Every knob of the product is read here, from the environment or `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"

Mode = Literal["development", "test", "production"]


class Settings(BaseSettings):
    """Settings of a Parcours deployment. `docs/settings.md` documents each field (a test checks it)."""

    model_config = SettingsConfigDict(env_prefix="PARCOURS_", env_file=".env", extra="ignore")

    mode: Mode = Field("development", description="development, test or production.")
    home: Path = Field(
        Path(".parcours"),
        description="Folder of the embedded deployment: SQLite database, consultation log, warehouse, inbox.",
    )
    database_url: str | None = Field(
        None,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL. Default: SQLite inside the home folder. Production: postgresql+psycopg://...",
    )
    secret_key: str = Field(
        DEV_SECRET_KEY,
        description="Signs sessions and CSRF tokens. The development default is refused outside development.",
    )
    timezone: str = Field(
        "Europe/Paris", description="Time zone of naive timestamps in imported files."
    )
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="Analytics engine for identity resolution and detection."
    )
    duckdb_memory_limit: str = Field(
        "3GB",
        description="Memory limit given to DuckDB (the process, Python and Splink included, "
        "stays under 4 GB on the region quarter).",
    )
    import_memory_limit: str = Field(
        "1GB",
        description="Memory limit of DuckDB during `parcours import`; beyond it DuckDB spills to "
        "the home folder, which keeps the import under 2 GB whatever the file size.",
    )
    duckdb_threads: int = Field(2, description="Threads given to DuckDB.")
    spark_master: str = Field(
        "local[2]",
        description="Spark master of the Spark engine; empty: the one given by spark-submit.",
    )
    spark_shuffle_partitions: int = Field(
        4, description="Spark shuffle partitions (a cluster: about 2 to 3 per executor core)."
    )
    spark_driver_memory: str = Field("2g", description="Spark driver memory in local mode.")
    smtp_host: str = Field("127.0.0.1", description="SMTP server of the outbox.")
    smtp_port: int = Field(8025, description="SMTP port of the outbox.")
    smtp_sender: str = Field("parcours@localhost", description="Sender address of outgoing mail.")
    ingest_token: str | None = Field(
        None,
        description="Bearer token of the consultation ingestion endpoint (POST /api/ingestion/consultations); "
        "unset disables the endpoint.",
    )
    log_retention_days: int = Field(
        365,
        ge=180,
        le=1095,
        description="Retention of consultation logs (CNIL: 6 to 12 months, 3 years max).",
    )
    investigation_retention_days: int = Field(
        1095,
        ge=180,
        le=1095,
        description="Days a control closed on a proven misuse keeps its consultations in the legal hold "
        "after closing (CNIL: up to 3 years for documented investigations).",
    )

    @model_validator(mode="after")
    def _refuse_dev_secret(self) -> Settings:
        if self.mode != "development" and self.secret_key == DEV_SECRET_KEY:
            raise ValueError(
                "PARCOURS_SECRET_KEY still holds the development default: set a real secret "
                f"outside development mode (mode={self.mode})."
            )
        if self.mode == "production" and len(self.secret_key) < 32:
            raise ValueError("PARCOURS_SECRET_KEY must be at least 32 characters in production.")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'parcours.db').resolve()}"

    @property
    def log_dir(self) -> Path:
        """Append-only consultation log: Parquet partitioned by day."""
        return self.home / "log" / "consultations"

    @property
    def warehouse_dir(self) -> Path:
        """Parquet snapshots of the reference tables, read by the analytics engines."""
        return self.home / "warehouse"

    @property
    def inbox_dir(self) -> Path:
        """Folder watched by the in-flow detection for new consultation files."""
        return self.home / "inbox"

    @property
    def rejects_dir(self) -> Path:
        return self.home / "rejects"

    @property
    def tmp_dir(self) -> Path:
        """Scratch space (DuckDB spill files during imports)."""
        return self.home / "tmp"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """For tests and CLI options that change the environment after start-up."""
    get_settings.cache_clear()
