"""A small web of real HTTP/1.1 servers on loopback addresses, for link-checker tests and
the benchmark. Each address (127.0.0.x) plays one host; the first path segment picks a
behaviour, the rest makes URLs unique:

    /ok/…          200                   /gone/…      404            /gone410/…   410
    /moved/…       301 → /ok/…           /perm308/…   308 → /ok/…    /temp302/…   302 → /ok/…
    /flaky/…       500, then 200         /down/…      503 always     /reset/…     RST
    /rate/…        429 Retry-After 1, then 200        /rate-forever/…  429 Retry-After 1
    /rate-long/…   429 Retry-After 3600
    /nohead/…      405 to HEAD, 200 to GET            /slow/…      no answer for `slow` s
    /loop/…        302 → /loop2/… → /loop/…           /huge/…      405 to HEAD, GET: 50 MB
    /challenge/…   403 + a Cloudflare-style challenge page
    /resolver/…    302 → /moved/… → /ok/… (as doi.org sends a reader on to a publisher)
    /html/…        200 text/html with <h2 id="intro"> (for fragment checks)

Every request is recorded: (host, method, path). Latency and a per-host concurrency cap
(requests beyond it wait, as on a busy server) make the benchmark's network.

`holds`: how a /slow/ request ends when the client hangs up. False (the default): the server
notices and frees the worker, as an event-driven server does. True: the worker runs to the end
of its `slow` seconds anyway, as most application servers' workers do. Either way the web
counts, per host, the requests it has received and not finished (`in_flight`): what the
server, not the client, sees as load.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

HUGE = 50 * 1024 * 1024


@dataclass
class HostConfig:
    address: str
    latency: tuple[float, float] = (0.0, 0.0)
    """Seconds added before each answer: uniform in [low, high]."""
    cap: int = 0
    """Requests served at once; 0 = unlimited."""


@dataclass
class Web:
    hosts: list[HostConfig]
    port: int = 0
    slow: float = 30.0
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    """time.monotonic() of each request, in the order of `requests`."""
    huge_sent: int = 0
    """Bytes of /huge/ bodies actually written."""
    peak: Counter[str] = field(default_factory=Counter)
    """Highest number of requests served at once per host (at most its cap)."""
    holds: bool = False
    """A /slow/ request keeps its worker after the client hangs up (see the module doc)."""
    in_flight: Counter[str] = field(default_factory=Counter)
    """Highest number of requests received and not finished per host, queued ones included."""

    def __post_init__(self) -> None:
        self._seen: Counter[str] = Counter()
        self._active: Counter[str] = Counter()
        self._received: Counter[str] = Counter()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[asyncio.AbstractServer] = []
        self._caps: dict[str, asyncio.Semaphore] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Web:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        port = self.port
        for host in self.hosts:
            if host.cap:
                self._caps[host.address] = asyncio.Semaphore(host.cap)
            server = await asyncio.start_server(
                lambda r, w, h=host: self._serve(h, r, w),
                host.address,
                port,
                reuse_address=True,
                backlog=1024,
            )
            port = port or server.sockets[0].getsockname()[1]
            self._servers.append(server)
        self.port = port

    def stop(self) -> None:
        async def close() -> None:
            for server in self._servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> Web:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget requests and per-URL state: the next client sees a fresh web."""
        self.requests.clear()
        self.times.clear()
        self.peak.clear()
        self.in_flight.clear()
        self._seen.clear()
        self.huge_sent = 0

    def url(self, address: str, path: str) -> str:
        return f"http://{address}:{self.port}{path}"

    def count(self, path_prefix: str = "", method: str = "") -> int:
        return sum(
            1
            for _, m, p in self.requests
            if p.startswith(path_prefix) and (not method or m == method)
        )

    # -- HTTP ------------------------------------------------------------------------------
    async def _serve(
        self, host: HostConfig, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, path = head.split(b" ", 2)[:2]
                keep = await self._answer(host, method.decode(), path.decode(), reader, writer)
                if not keep:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # the web is stopping
        finally:
            writer.close()

    async def _answer(
        self,
        host: HostConfig,
        method: str,
        path: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        self.requests.append((host.address, method, path))
        self.times.append(time.monotonic())
        address = host.address
        self._received[address] += 1
        self.in_flight[address] = max(self.in_flight[address], self._received[address])
        try:
            cap = self._caps.get(address)
            if cap:
                await cap.acquire()
            self._active[address] += 1
            self.peak[address] = max(self.peak[address], self._active[address])
            try:
                low, high = host.latency
                if high:
                    await asyncio.sleep(random.uniform(low, high))
                return await self._route(method, path, reader, writer)
            finally:
                self._active[address] -= 1
                if cap:
                    cap.release()
        finally:
            self._received[address] -= 1

    async def _route(
        self, method: str, path: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        kind = path.split("/")[1] if path.count("/") >= 1 else ""
        rest = path[len(kind) + 1 :]
        seen = self._seen[path]
        self._seen[path] += 1
        if kind == "ok":
            return _send(writer, method, 200, body=b"ok\n")
        if kind == "html":
            page = b'<!doctype html><title>t</title><h2 id="intro">Intro</h2><a name="old">x</a>'
            return _send(writer, method, 200, body=page, ctype="text/html; charset=utf-8")
        if kind in ("moved", "perm308", "temp302"):
            status = {"moved": 301, "perm308": 308, "temp302": 302}[kind]
            return _send(writer, method, status, headers={"Location": "/ok" + rest})
        if kind == "gone":
            return _send(writer, method, 404, body=b"not found\n")
        if kind == "gone410":
            return _send(writer, method, 410, body=b"gone\n")
        if kind == "flaky":
            return _send(writer, method, 500 if seen == 0 else 200, body=b"flaky\n")
        if kind == "down":
            return _send(writer, method, 503, body=b"down\n")
        if kind == "rate":
            if seen == 0:
                return _send(writer, method, 429, headers={"Retry-After": "1"})
            return _send(writer, method, 200, body=b"ok\n")
        if kind == "rate-long":
            return _send(writer, method, 429, headers={"Retry-After": "3600"})
        if kind == "rate-forever":
            return _send(writer, method, 429, headers={"Retry-After": "1"})
        if kind == "nohead":
            return _send(writer, method, 405 if method == "HEAD" else 200, body=b"get only\n")
        if kind == "slow":
            if self.holds:  # the worker runs to the end, whether the client waits or not
                await asyncio.sleep(self.slow)
                return _send(writer, method, 200, body=b"late\n")
            # Sleep, but stop as soon as the client hangs up (the server notices).
            try:
                await asyncio.wait_for(reader.read(1), self.slow)
            except TimeoutError:
                return _send(writer, method, 200, body=b"late\n")
            return False
        if kind == "resolver":
            return _send(writer, method, 302, headers={"Location": "/moved" + rest})
        if kind == "loop":
            return _send(writer, method, 302, headers={"Location": "/loop2" + rest})
        if kind == "loop2":
            return _send(writer, method, 302, headers={"Location": "/loop" + rest})
        if kind == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if kind == "challenge":
            page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head></html>"
            return _send(
                writer,
                method,
                403,
                body=page,
                ctype="text/html",
                headers={"cf-mitigated": "challenge", "Server": "cloudflare"},
            )
        if kind == "huge":
            if method == "HEAD":
                return _send(writer, method, 405)
            return await self._huge(writer)
        return _send(writer, method, 404, body=b"no such behaviour\n")

    async def _huge(self, writer: asyncio.StreamWriter) -> bool:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
            + f"Content-Length: {HUGE}\r\n\r\n".encode()
        )
        chunk = b"\0" * 65536
        started = time.monotonic()
        while self.huge_sent < HUGE and time.monotonic() - started < 30:
            writer.write(chunk)
            try:
                await writer.drain()
            except ConnectionError:
                break
            self.huge_sent += len(chunk)
        return False


def _send(
    writer: asyncio.StreamWriter,
    method: str,
    status: int,
    *,
    body: bytes = b"",
    ctype: str = "text/plain",
    headers: dict[str, str] | None = None,
) -> bool:
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {ctype}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if method == "HEAD" else body))
    return True


def free_port(address: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])
