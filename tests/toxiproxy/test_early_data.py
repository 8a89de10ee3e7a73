"""Regression: Python < 3.11.3 ignores pause_reading() in connection_made, so a client's first bytes can
arrive before the connection's links exist. They must reach the upstream, not crash the endpoint."""

import asyncio

from faults.toxiproxy.chunks import EOF
from faults.toxiproxy.connection import Endpoint


class RecordingLink:
    def __init__(self):
        self.items = []

    def feed(self, item):
        self.items.append(item)


def test_data_and_eof_before_wiring_are_handed_over_in_order():
    async def scenario():
        endpoint = Endpoint()
        endpoint.data_received(b"GET / HTTP/1.1\r\n")
        endpoint.data_received(b"\r\n")
        endpoint.eof_received()
        inbound = RecordingLink()
        endpoint.wire(inbound, RecordingLink())
        endpoint.data_received(b"late")
        return inbound.items

    items = asyncio.run(scenario())
    assert [i if i is EOF else i[0] for i in items] == [b"GET / HTTP/1.1\r\n", b"\r\n", EOF, b"late"]
