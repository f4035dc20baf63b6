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
import contextlib
import functools
import gc
import logging
import multiprocessing
import selectors
import signal
import socket
import time
from collections.abc import Iterator
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from api.http.app import create_app
from api.http.protocol import CoalescingHttpToolsProtocol
from network.config import NodeConfig
from network.node import Node

log = logging.getLogger("tdx.serve")
# A worker that dies this soon after it started is failing to start (a bad home, say):
# restarting it would fail the same way, so the node stops instead.
STARTUP_GRACE = 10.0
STOP_TIMEOUT = 30.0
ACCEPTS_PER_WAKEUP = 64
YOUNG_COLLECTION_AT = 20_000  # net new container objects between young collections


class ServeError(RuntimeError):
    """The node cannot serve on this address."""


def uvicorn_config(app: ASGIApp, **kwargs: object) -> uvicorn.Config:
    return uvicorn.Config(
        app,
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


@contextlib.contextmanager
def _node_app(config: NodeConfig, log_level: str) -> Iterator[ASGIApp]:
    """The node this process serves, built from the configuration it was handed, and its
    app; the node is closed when serving ends."""
    with Node.open(config) as node:
        app = create_app(node, log_level=log_level)
        # What start-up built (modules, schemas, the node, the app) lives as long as the
        # process: out of the collector's sight, a full collection no longer walks it in the
        # middle of requests (measured: issue p99 over HTTP 73-158 ms without, 60-69 with).
        gc.freeze()
        # A request's parsed document, models and envelope are hundreds of container
        # objects; with a few dozen requests in flight, the default threshold (700 net new
        # containers) ran a young collection every few issues, each walking every object in
        # flight, and the older generations' collections in their wake: about a twentieth
        # of an issue's CPU. Cycles are still collected, less often.
        gc.set_threshold(YOUNG_COLLECTION_AT, *gc.get_threshold()[1:])
        yield app


def _worker(channel: socket.socket, config: NodeConfig, log_level: str) -> None:
    with _node_app(config, log_level) as app:
        _DealtServer(uvicorn_config(app), channel).run()


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
    def __init__(
        self, context: multiprocessing.context.SpawnContext, config: NodeConfig, log_level: str
    ) -> None:
        self.channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.process: BaseProcess = context.Process(
            target=_worker, args=(theirs, config, log_level)
        )
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


class _Supervisor:
    """Deals accepted connections to the workers in turn; replaces a worker that dies,
    unless it dies at start (then the node stops)."""

    def __init__(
        self,
        listener: socket.socket,
        config: NodeConfig,
        log_level: str,
        workers: int,
        startup_grace: float,
    ) -> None:
        self.listener = listener
        self.config = config
        self.log_level = log_level
        self.startup_grace = startup_grace
        self.context = multiprocessing.get_context("spawn")
        self.pool = [self._start() for _ in range(workers)]
        self.turn = 0
        self.stopping = False
        self.failed = False

    def _start(self) -> _Worker:
        return _Worker(self.context, self.config, self.log_level)

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.listener, selectors.EVENT_READ)
            while not self.stopping:
                if selector.select(timeout=0.5):
                    self._accept()
                self._replace_dead()

    def _accept(self) -> None:
        for _ in range(ACCEPTS_PER_WAKEUP):
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors, say: keep serving
                log.error("accept failed: %s", exc)
                return
            with conn:
                for _ in range(len(self.pool)):  # skip a worker that is restarting
                    self.turn = (self.turn + 1) % len(self.pool)
                    if self.pool[self.turn].deal(conn):
                        break

    def _replace_dead(self) -> None:
        for i, worker in enumerate(self.pool):
            if worker.process.is_alive() or self.stopping:
                continue
            code = worker.process.exitcode
            if time.monotonic() - worker.started < self.startup_grace:
                log.error("worker %s exited at start (%s)", worker.process.pid, code)
                self.failed = self.stopping = True
                return
            log.error("worker %s died (%s); starting another", worker.process.pid, code)
            worker.stop()
            self.pool[i] = self._start()

    def shutdown(self) -> None:
        self.listener.close()
        for worker in self.pool:
            worker.stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        for worker in self.pool:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()


def serve(
    config: NodeConfig,
    host: str,
    port: int,
    workers: int,
    log_level: str = "INFO",
    startup_grace: float = STARTUP_GRACE,
) -> None:
    """Serve the node ``config`` describes until SIGINT or SIGTERM; with several workers,
    restart one that dies (unless it dies within ``startup_grace`` seconds of starting,
    which stops the node)."""
    if workers == 1:
        with _node_app(config, log_level) as app:
            uvicorn.Server(uvicorn_config(app, host=host, port=port)).run()
        return
    supervisor = _Supervisor(_listen(host, port), config, log_level, workers, startup_grace)
    previous = {s: signal.signal(s, supervisor.stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        supervisor.run()
    finally:
        supervisor.shutdown()
        for s, handler in previous.items():
            signal.signal(s, handler)
    if supervisor.failed:
        raise ServeError("a worker failed to start; see the messages above")
