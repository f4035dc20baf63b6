"""The coalescing transport: one send per event-loop pass, nothing lost or reordered."""

import asyncio

from api.http.protocol import CoalescingTransport


class _Recorded:
    def __init__(self):
        self.sent = []
        self.closed = False
        self.aborted = False

    def write(self, data):
        self.sent.append(data)

    def is_closing(self):
        return self.closed or self.aborted

    def close(self):
        self.closed = True

    def abort(self):
        self.aborted = True

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 1)}.get(name, default)


def _run(steps):
    async def main():
        inner = _Recorded()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())
        await steps(transport, inner)
        return inner

    return asyncio.run(main())


def test_writes_in_one_pass_leave_as_one_send_in_order():
    async def steps(transport, inner):
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(memoryview(b"body"))
        assert inner.sent == []  # not before the pass ends
        await asyncio.sleep(0)
        transport.write(b"next")
        await asyncio.sleep(0)

    assert _run(steps).sent == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"]


def test_close_sends_what_was_written_and_abort_drops_it():
    async def close(transport, inner):
        transport.write(b"last words")
        transport.close()
        await asyncio.sleep(0)

    closed = _run(close)
    assert closed.sent == [b"last words"]
    assert closed.closed

    async def abort(transport, inner):
        transport.write(b"never sent")
        transport.abort()
        await asyncio.sleep(0)

    aborted = _run(abort)
    assert aborted.sent == []
    assert aborted.aborted


def test_everything_else_is_the_wrapped_transports():
    async def steps(transport, inner):
        assert transport.get_extra_info("peername") == ("127.0.0.1", 1)
        assert transport.is_closing() is False

    _run(steps)
