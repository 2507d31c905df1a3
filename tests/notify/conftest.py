from __future__ import annotations

from collections.abc import Iterator

import pytest

from parcours.notify.testing import RecordingHandler, SmtpServer, free_port


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port(), handler=RecordingHandler())
    server.start()
    yield server
    server.stop()
