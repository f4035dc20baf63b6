"""``tdx serve --workers N``: one process accepts connections and deals them round-robin
to N uvicorn worker processes, passing each socket over a Unix channel (SCM_RIGHTS).

When workers share one listening socket (uvicorn's own ``--workers``), whichever worker
wakes first accepts a whole burst of connections: measured here, all 16 connections of a
load generator landed on one of two workers. Per-worker SO_REUSEPORT sockets spread them
by a hash, which split the same 16 as 4 and 12 in one run of three. Dealing them gives
each worker its share, as Node's cluster module does for the same reason.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import selectors
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn

from api.http.protocol import CoalescingHttpToolsProtocol

log = logging.getLogger("tdx.serve")
APP = "api.http.app:app_from_environment"
# A worker that dies this soon after it started is failing to start (a bad home, say):
# restarting it would fail the same way, so the node stops instead.
STARTUP_GRACE = 10.0
STOP_TIMEOUT = 30.0
ACCEPTS_PER_WAKEUP = 64


class ServeError(RuntimeError):
    """The node cannot serve on this address."""


def uvicorn_config(**kwargs: object) -> uvicorn.Config:
    return uvicorn.Config(
        APP,
        factory=True,
        log_level="warning",
        # The app logs every request itself (JSON, with its request id), and nothing reads
        # the client's address: uvicorn's access log and proxy-header rewriting are off.
        access_log=False,
        proxy_headers=False,
        server_header=False,  # no need to tell the world which server software answers
        http=CoalescingHttpToolsProtocol,
        **kwargs,  # type: ignore[arg-type]
    )


class _DealtServer(uvicorn.Server):
    """A uvicorn server with no listening socket: connections arrive on ``channel``."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])
        if self.should_exit:
            return
        # The protocol uvicorn builds for a listening socket, registered with the same
        # server state so that shutdown waits for these connections too.
        protocol_class: Any = self.config.http_protocol_class
        protocol = functools.partial(
            protocol_class,
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
        )
        loop = asyncio.get_running_loop()
        self.channel.setblocking(False)
        loop.add_reader(self.channel.fileno(), self._take, loop, protocol)

    def _take(
        self, loop: asyncio.AbstractEventLoop, protocol: functools.partial[asyncio.Protocol]
    ) -> None:
        try:
            data, fds, _, _ = socket.recv_fds(self.channel, ACCEPTS_PER_WAKEUP, ACCEPTS_PER_WAKEUP)
        except BlockingIOError:
            return
        if not data:  # the supervisor is gone: stop serving
            loop.remove_reader(self.channel.fileno())
            self.should_exit = True
            return
        for fd in fds:
            conn = socket.socket(fileno=fd)
            loop.create_task(loop.connect_accepted_socket(protocol, conn))


def _worker(channel: socket.socket) -> None:
    _DealtServer(uvicorn_config(), channel).run()


def _listen(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


class _Worker:
    def __init__(self, context: multiprocessing.context.SpawnContext) -> None:
        self.channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.process: BaseProcess = context.Process(target=_worker, args=(theirs,))
        self.process.start()
        theirs.close()
        self.started = time.monotonic()

    def deal(self, conn: socket.socket) -> bool:
        try:
            socket.send_fds(self.channel, [b"c"], [conn.fileno()])
        except OSError:
            return False
        return True

    def stop(self) -> None:
        self.channel.close()  # the worker sees EOF and shuts down gracefully
        if self.process.is_alive():
            self.process.terminate()


def serve(host: str, port: int, workers: int, startup_grace: float = STARTUP_GRACE) -> None:
    """Serve until SIGINT or SIGTERM; with several workers, restart one that dies (unless
    it dies within ``startup_grace`` seconds of starting, which stops the node)."""
    if workers == 1:
        uvicorn.Server(uvicorn_config(host=host, port=port)).run()
        return
    listener = _listen(host, port)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    context = multiprocessing.get_context("spawn")
    pool = [_Worker(context) for _ in range(workers)]
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    turn = 0
    failed = False
    try:
        while not stopping:
            if selector.select(timeout=0.5):
                for _ in range(ACCEPTS_PER_WAKEUP):
                    try:
                        conn, _ = listener.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as exc:  # out of file descriptors, say: keep serving
                        log.error("accept failed: %s", exc)
                        break
                    with conn:
                        for _ in range(workers):  # skip a worker that is restarting
                            turn = (turn + 1) % workers
                            if pool[turn].deal(conn):
                                break
            for i, worker in enumerate(pool):
                if worker.process.is_alive() or stopping:
                    continue
                code = worker.process.exitcode
                if time.monotonic() - worker.started < startup_grace:
                    log.error("worker %s exited at start (%s)", worker.process.pid, code)
                    failed = stopping = True
                    break
                log.error("worker %s died (%s); starting another", worker.process.pid, code)
                worker.stop()
                pool[i] = _Worker(context)
    finally:
        selector.close()
        listener.close()
        for worker in pool:
            worker.stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        for worker in pool:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        for s, handler in previous.items():
            signal.signal(s, handler)
    if failed:
        raise ServeError("a worker failed to start; see the messages above")
