"""Schema of the append-only consultation log, shared by the importer, the web application and detection.

Layout under `Settings.log_dir`: `day=YYYY-MM-DD/<batch>.parquet`. Files are written to a temporary name
and renamed into place (atomic). The log is append-only: rows are never changed, and only the retention
purge removes them; compaction merges a settled day's files into one holding the same rows.
"""

from __future__ import annotations

import pyarrow as pa

# The interchange contract (consultations.csv): exact names, exact order.
CONTRACT_COLUMNS: tuple[str, ...] = ("event_id", "ts", "agent_id", "de_id", "application", "action")

ACTIONS: frozenset[str] = frozenset({"view", "edit", "print", "export"})

# Stored schema: the contract plus what the application knows of its own events.
# ts is in UTC. `purpose` is the purpose an agent declared when opening a file outside their scope;
# `source` is import|app|stream.
ARROW_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("agent_id", pa.string(), nullable=False),
        pa.field("de_id", pa.string(), nullable=False),
        pa.field("application", pa.string()),
        pa.field("action", pa.string(), nullable=False),
        pa.field("purpose", pa.string()),
        pa.field("source", pa.string()),
    ]
)
