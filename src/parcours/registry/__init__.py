"""Reference data: models, the interchange contract, validated idempotent imports, Parquet snapshots."""
