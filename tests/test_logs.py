from __future__ import annotations

import json
import logging

import pytest

from parcours.logs import JsonFormatter


def test_json_lines_carry_extra_fields(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.makeLogRecord(
        {
            "name": "parcours.web",
            "levelno": 20,
            "levelname": "INFO",
            "msg": "GET %s",
            "args": ("/x",),
            "status": 200,
        }
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "GET /x" and line["status"] == 200 and line["level"] == "info"
