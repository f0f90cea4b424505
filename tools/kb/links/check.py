"""check: fetch each unique URL once, politely, and classify it.

One asyncio task per URL. A task first takes a slot of its host (at most `per_host` requests
in flight to one host, connections reused), then a global slot (`concurrency`), so a busy
or rate-limited host never holds up the others. HEAD first; GET when the host is known to
answer HEAD wrongly, when HEAD fails, or when the body is needed. Redirects are followed by
hand, so every hop is checked against the address policy and loops are seen. Transient
failures are retried with exponential backoff and jitter; a 429 pauses only its own host,
for as long as `Retry-After` asks (bounded).

Politeness is counted as the server sees it. A request that gets no answer within `timeout`
decides its URL then, but kb does not hang up: most servers keep working on a request after
the client goes, so the request stays open, and keeps its host's slot, until the server
answers or closes it, or for `hold` seconds more. A URL whose host answers other requests
meanwhile is not asked again (the server is busy with it, not down); a retry goes only to a
host that answered nothing. Likewise a 5xx from a host that serves other URLs is this URL's
own: it is retried once, not `retries` times.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import heapq
import html
import ipaddress
import random
import re
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from kb.links.collect import normalize_url
from kb.links.settings import LinkSettings, user_agent

PERMANENT = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
_CHALLENGE_BODY = re.compile(
    rb"challenge-platform|cf-chl-|<title>\s*(?:just a moment|attention required|"
    rb"ddos-guard|access denied|verifying you are human)",
    re.I,
)
_ANCHOR = re.compile(rb"""\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


@dataclass
class Result:
    """What is known about one URL."""

    url: str
    link_class: str
    """ok, warn, broken or excluded."""
    status: int = 0
    """Final HTTP status; 0 when there was none (DNS, refused, timeout, policy)."""
    detail: str = ""
    """Why, in a few words: "404 Not Found", "timeout after 2 attempts", …"""
    moved_to: str = ""
    """Where a permanent redirect points: the URL the page should use instead."""
    requests: int = 0
    checked_at: float = 0.0
    anchors: tuple[str, ...] | None = None
    """Ids/names of the page (only when fragments are checked)."""
    refused: bool = False
    """The address policy refused it: not globally routable, nor in `allow_networks`."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "class": self.link_class,
            "status": self.status,
            "detail": self.detail,
            "checked_at": round(self.checked_at, 3),
        }
        if self.moved_to:
            data["moved_to"] = self.moved_to
        if self.anchors is not None:
            data["anchors"] = list(self.anchors)
        if self.refused:
            data["refused"] = True
        return data

    @classmethod
    def from_json(cls, url: str, data: dict[str, Any]) -> Result:
        anchors = data.get("anchors")
        return cls(
            url,
            str(data["class"]),
            int(data.get("status", 0)),
            str(data.get("detail", "")),
            str(data.get("moved_to", "")),
            0,
            float(data["checked_at"]),
            tuple(anchors) if isinstance(anchors, list) else None,
            bool(data.get("refused", False)),
        )


class RefusedAddress(OSError):
    """The address policy refuses the host (or an address it resolves to)."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_ALWAYS_GLOBAL: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "192.0.0.9/32",  # Port Control Protocol anycast (RFC 7723), inside 192.0.0.0/24
        "192.0.0.10/32",  # TURN anycast (RFC 8155), inside 192.0.0.0/24
    )
)
"""Globally reachable by the IANA special-purpose registries, inside a refused block."""

_NEVER_GLOBAL: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network" (RFC 791); 0.0.0.0 reaches the local host
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # shared address space, carrier-grade NAT (RFC 6598); cloud metadata
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (RFC 3927); cloud metadata at 169.254.169.254
        "172.16.0.0/12",  # private (RFC 1918)
        "192.0.0.0/24",  # IETF protocol assignments (RFC 6890); Python 3.11 calls most global
        "192.0.2.0/24",  # documentation TEST-NET-1 (RFC 5737)
        "192.168.0.0/16",  # private (RFC 1918)
        "198.18.0.0/15",  # benchmarking (RFC 2544)
        "198.51.100.0/24",  # documentation TEST-NET-2 (RFC 5737)
        "203.0.113.0/24",  # documentation TEST-NET-3 (RFC 5737)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved (RFC 1112), with the limited broadcast 255.255.255.255
        "::/96",  # unspecified ::, loopback ::1 and deprecated IPv4-compatible ::a.b.c.d
        "100::/64",  # discard-only (RFC 6666)
        "2001::/23",  # IETF protocol assignments (Teredo is judged by its IPv4 addresses first)
        "2001:db8::/32",  # documentation (RFC 3849)
        "3fff::/20",  # documentation (RFC 9637); Python 3.11 calls it global
        "fc00::/7",  # unique local (RFC 4193)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local, deprecated (RFC 3879)
        "ff00::/8",  # multicast
    )
)
"""Not globally reachable, whatever this Python's `ipaddress` says."""

_NAT64: tuple[ipaddress.IPv6Network, ...] = (
    ipaddress.IPv6Network("64:ff9b::/96"),  # well-known NAT64 prefix (RFC 6052)
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 prefix (RFC 8215)
)
"""IPv6 prefixes whose last 32 bits are the IPv4 address a translator connects to."""


def parse_address(address: str) -> IPAddress:
    """An IP address from `1.2.3.4`, `[::1]` or `fe80::1%eth0` (the scope is dropped);
    raises ValueError."""
    return ipaddress.ip_address(address.strip().strip("[]").split("%", 1)[0])


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address stands for: IPv4-mapped, 6to4, Teredo (server
    and client) and NAT64. Empty when it embeds none. (IPv4-compatible `::a.b.c.d` is
    deprecated: `::/96` is refused as a whole.)"""
    if ip.ipv4_mapped is not None:
        return (ip.ipv4_mapped,)
    if ip.sixtofour is not None:
        return (ip.sixtofour,)
    if ip.teredo is not None:
        return ip.teredo
    if any(ip in prefix for prefix in _NAT64):
        return (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF),)
    return ()


def globally_routable(ip: IPAddress) -> bool:
    """`ipaddress`'s `is_global`, without multicast, reserved and unspecified addresses,
    corrected by the IANA special-purpose registries (`_ALWAYS_GLOBAL`, `_NEVER_GLOBAL`);
    an IPv6 address that embeds IPv4 addresses is judged by them."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded:
            return all(globally_routable(v4) for v4 in embedded)
    if any(ip in network for network in _ALWAYS_GLOBAL):
        return True
    if any(ip in network for network in _NEVER_GLOBAL):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def address_allowed(address: str | IPAddress, allowed: Iterable[Network]) -> bool:
    """May `address` be fetched? Yes iff it is inside an `allow_networks` block (an
    IPv4-mapped address also by its IPv4 address), or globally routable. The one decision
    for IP-literal hosts, resolved names and every socket the checker connects."""
    try:
        ip = parse_address(address) if isinstance(address, str) else address
    except ValueError:
        return False  # not an address: never connect to what was not checked
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    if any(c.version == n.version and c in n for c in candidates for n in allowed):
        return True
    return globally_routable(ip)


def refused_message(address: str | IPAddress) -> str:
    return f"{address}, which is not a globally routable address"


class GuardedResolver(AbstractResolver):
    """Resolves with `inner` (the system resolver by default), then refuses the host when
    any address it resolves to is refused: a mix of public and private answers smells of
    DNS rebinding. The connection goes only to the addresses checked here."""

    def __init__(self, allowed: list[Network], inner: AbstractResolver | None = None) -> None:
        self._allowed = allowed
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        infos = await self._inner.resolve(host, port, family)
        for info in infos:
            if not address_allowed(info["host"], self._allowed):
                raise RefusedAddress(f"{host} resolves to {refused_message(info['host'])}")
        return infos

    async def close(self) -> None:
        await self._inner.close()


class Slots:
    """A semaphore whose waiters are served by priority, then in arrival order.

    Retries and redirect hops (priority 0) go before URLs not yet started (priority 1): a
    URL that is half done finishes first instead of queueing behind a busy host's backlog.
    """

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._serial = 0

    async def acquire(self, priority: int) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._serial += 1
        heapq.heappush(self._waiters, (priority, self._serial, future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # the slot was handed over just as we were cancelled
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)
                return
        self._free += 1


@dataclass(frozen=True)
class Clock:
    """The checker's time: `monotonic` for pauses and answer times, `wall` for timestamps and
    HTTP dates, `sleep` for every wait. Tests inject a fake clock whose waits are instant."""

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


REAL_CLOCK = Clock()


@dataclass
class HostGate:
    """Per-host politeness: a slot limit and a 'not before' time set by 429s.

    A 429 pauses the whole host when it is the host's first, or when 429s are at least half
    of the host's answers since its last pause: the host is limiting us as a client. When the
    host keeps serving other URLs, a 429 concerns that URL only, and only that URL waits.
    """

    slots: Slots
    resume_at: float = 0.0
    answers: int = 0
    """Responses since the last pause ended (or since the start)."""
    limited: int = 0
    """429 responses among them."""
    paused: bool = False
    served: int = 0
    """Responses over the whole run (a request notes it when sent, see `answered_since`)."""
    clock: Clock = REAL_CLOCK

    def answered(self, status: int) -> None:
        self.answers += 1
        self.limited += status == 429
        self.served += 1

    def answered_since(self, mark: int) -> bool:
        """Whether the host answered any request since `served` was `mark`: it is up, and
        serving."""
        return self.served > mark

    def rate_limited(self, wait: float, *, repeat: bool = False) -> bool:
        """Record a 429 asking for `wait` seconds; True when the whole host pauses. A
        `repeat` (the URL had a 429 before) is that URL's own limit: it neither pauses the
        host nor counts towards pausing it (after a pause, the URLs that were limited are
        retried first, and would otherwise pause the host again at once)."""
        if repeat:
            self.limited -= 1
            return False
        if self.paused and self.limited * 2 < self.answers:
            return False
        self.paused = True
        self.resume_at = max(self.resume_at, self.clock.monotonic() + wait)
        self.answers = self.limited = 0
        return True

    async def wait_turn(self) -> None:
        while (delay := self.resume_at - self.clock.monotonic()) > 0:
            await self.clock.sleep(delay)


@dataclass
class Stats:
    requests: int = 0
    checked: int = 0


class _Retry(Exception):
    """Internal: try again after `wait` seconds (None: exponential backoff; 0: at once)."""

    def __init__(
        self, wait: float | None, reason: str, *, use_get: bool = False, counts: bool = True
    ) -> None:
        super().__init__(reason)
        self.wait = wait
        self.reason = reason
        self.use_get = use_get
        self.counts = counts


class Checker:
    """Check URLs with one shared session; `check_all` is the entry point."""

    def __init__(
        self,
        settings: LinkSettings,
        *,
        repository: str = "",
        progress: Callable[[int, int], None] | None = None,
        resolver: AbstractResolver | None = None,
        clock: Clock = REAL_CLOCK,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.user_agent = settings.user_agent or user_agent(repository)
        self.allowed = settings.networks()
        self.resolver = resolver
        """Resolves host names under the address policy; None: the system's (getaddrinfo)."""
        self.progress = progress
        self.stats = Stats()
        self._gates: dict[str, HostGate] = {}
        self._held: set[asyncio.Future[Any]] = set()
        """Requests that timed out and are still open (see the module doc)."""
        self._global: asyncio.Semaphore | None = None
        self._session: aiohttp.ClientSession | None = None

    def run(self, urls: Iterable[str], need_body: Iterable[str] = ()) -> dict[str, Result]:
        """Check synchronously; works from inside a running event loop too (own thread)."""
        todo, body = list(urls), set(need_body)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.check_all(todo, body))
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(self.check_all(todo, body))).result()

    async def check_all(self, urls: list[str], need_body: set[str]) -> dict[str, Result]:
        s = self.settings
        self._global = asyncio.Semaphore(s.concurrency)
        connector = aiohttp.TCPConnector(
            limit=s.concurrency,
            limit_per_host=0,  # per-host limits are ours (HostGate), keyed by host name
            resolver=GuardedResolver(self.allowed, self.resolver),
            ttl_dns_cache=300,
            enable_cleanup_closed=False,
            **_socket_guard(self.allowed),
        )
        timeout = aiohttp.ClientTimeout(total=s.timeout, sock_connect=s.connect_timeout)
        headers = {"User-Agent": self.user_agent, "Accept": "*/*", "Accept-Encoding": "identity"}
        results: dict[str, Result] = {}
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, headers=headers, auto_decompress=False
        ) as self._session:

            async def one(url: str) -> None:
                results[url] = await self.check_url(url, url in need_body)
                self.stats.checked += 1
                if self.progress:
                    self.progress(self.stats.checked, len(urls))

            try:
                await asyncio.gather(*(one(url) for url in urls))
            finally:
                for held in list(self._held):
                    held.cancel()  # every URL is decided: hang up now
        return results

    async def check_url(self, url: str, need_body: bool = False) -> Result:
        started = self.clock.wall()
        if self.settings.excluded(url):
            return Result(url, "excluded", detail="excluded by settings", checked_at=started)
        host = urlsplit(url).hostname or ""
        use_get = need_body or self.settings.is_head_hostile(host)
        gate = self._gate(host)
        transient = 0
        sent = [0]
        served = gate.served
        limited = False
        while True:
            try:
                result = await self._follow(url, use_get, need_body, sent, limited)
            except _Broken as broken:
                result = Result(url, "broken", detail=broken.detail, refused=broken.refused)
            except _Retry as retry:
                limited = limited or retry.reason.startswith("429")
                limit = self._retry_limit(retry.reason)
                if retry.reason[:1] == "5" and gate.served - served > sent[0]:
                    # The host answered other URLs meanwhile: the error is this URL's own,
                    # not an outage, and one more try is enough to tell a flaky one.
                    limit = min(limit, 1)
                use_get = use_get or retry.use_get
                if retry.counts:
                    transient += 1
                    if transient > limit:
                        result = _give_up(url, retry.reason, transient)
                        break
                wait = self._backoff(transient) if retry.wait is None else retry.wait
                if wait > 0:
                    await self.clock.sleep(wait)
                continue
            break
        result.requests = sent[0]
        result.checked_at = started
        return result

    async def _follow(
        self, url: str, use_get: bool, need_body: bool, sent: list[int], limited: bool = False
    ) -> Result:
        """One attempt: the request and its redirects. Raises _Retry for transient failures."""
        seen = {url}
        current = url
        moved_to = ""
        permanent_so_far = True
        for _hop in range(self.settings.max_redirects + 1):
            status, headers, body = await self._request(current, use_get, need_body, sent)
            if status in REDIRECTS and headers.get("Location"):
                target = _next_hop(current, headers["Location"])
                if target is None:
                    return Result(url, "broken", status, f"{status} redirect to a non-http URL")
                if target in seen:
                    return Result(url, "broken", status, f"redirect loop at {current}")
                seen.add(target)
                if permanent_so_far and status in PERMANENT:
                    moved_to = target
                else:
                    permanent_so_far = False
                current = target
                continue
            result = self._classify(url, current, status, headers, body, use_get, limited)
            result.moved_to = moved_to if result.link_class != "broken" else ""
            return result
        return Result(url, "broken", 0, f"more than {self.settings.max_redirects} redirects")

    def _classify(
        self,
        url: str,
        final: str,
        status: int,
        headers: Any,
        body: bytes | None,
        used_get: bool,
        limited: bool = False,
    ) -> Result:
        host = urlsplit(final).hostname or ""
        if status == 429:
            wait = _retry_after(headers.get("Retry-After"), self.clock.wall())
            if wait is not None and wait > self.settings.max_retry_after:
                return Result(url, "warn", 429, f"429 rate limited (Retry-After {wait:.0f} s)")
            wait = wait if wait is not None else self._backoff(2)
            self._gate(host).rate_limited(wait, repeat=limited)
            raise _Retry(wait, "429 rate limited")
        if not used_get and status >= 400:
            raise _Retry(0, f"{status} to HEAD", use_get=True, counts=False)
        if _is_challenge(status, headers, body):
            return Result(url, "warn", status, f"{status} bot challenge (opens in a browser)")
        link_class = self.settings.classify_status(host, status)
        if status >= 500 and link_class == "broken":
            raise _Retry(None, f"{status} {_reason(status)}")
        anchors = _anchors(body) if self.settings.check_fragments and body is not None else None
        return Result(url, link_class, status, f"{status} {_reason(status)}", anchors=anchors)

    async def _request(
        self, url: str, use_get: bool, need_body: bool, sent: list[int]
    ) -> tuple[int, Any, bytes | None]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        self._check_literal(host)
        gate = self._gate(host)
        assert self._session is not None and self._global is not None
        await gate.slots.acquire(0 if sent[0] else 1)
        held = False
        try:
            await gate.wait_turn()
            await self._global.acquire()
            try:
                self.stats.requests += 1
                sent[0] += 1
                mark = gate.served
                s = self.settings
                # The exchange's own limit lies past our wait, so that a read timeout is ours
                # (the connect timeout, `connect_timeout`, is the exchange's).
                exchange = asyncio.ensure_future(
                    self._exchange(url, use_get, need_body, s.timeout + max(s.hold, 1.0))
                )
                try:
                    answer = await asyncio.wait_for(asyncio.shield(exchange), s.timeout)
                except TimeoutError:
                    if exchange.done():
                        # It ended as the wait did; a connect timeout raises here, and the
                        # server holds nothing for a connection it never accepted.
                        answer = exchange.result()
                        gate.answered(answer[0])
                        return answer
                    if s.hold > 0:
                        held = True
                        self._hold(exchange, gate)
                    else:
                        exchange.cancel()  # `hold = 0`: hang up now
                    if gate.answered_since(mark):
                        raise _Broken(
                            f"no answer within {s.timeout:g} s (the host answered other "
                            "requests meanwhile)"
                        ) from None
                    raise
                gate.answered(answer[0])
                return answer
            except TimeoutError:
                raise _Retry(None, "timeout") from None
            except aiohttp.ClientConnectorDNSError as exc:
                raise _Broken(_dns_detail(exc), refused=_is_refusal(exc)) from None
            except aiohttp.ClientConnectorCertificateError:
                raise _Broken("TLS certificate not valid") from None
            except aiohttp.ClientConnectorSSLError:
                raise _Broken("TLS handshake failed") from None
            except aiohttp.ClientConnectorError as exc:
                if _is_refusal(exc):
                    raise _Broken(str(exc.os_error), refused=True) from None
                if isinstance(exc.os_error, ConnectionRefusedError):
                    raise _Broken("connection refused") from None
                raise _Retry(None, f"cannot connect ({exc.os_error})") from None
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                raise _Retry(None, _reset_detail(exc)) from None
            except aiohttp.ClientPayloadError:
                raise _Retry(None, "connection reset") from None
            except aiohttp.InvalidURL as exc:
                raise _Broken(f"invalid URL ({exc})") from None
            except aiohttp.ClientResponseError as exc:
                raise _Broken(f"invalid response ({exc.message})") from None
            finally:
                if not held:
                    self._global.release()
        finally:
            if not held:
                gate.slots.release()

    def _hold(self, exchange: asyncio.Future[Any], gate: HostGate) -> None:
        """Keep a request that timed out open, with its slots, until it ends: the server may
        still be working on it (its own answer, a close, or `hold` seconds end it)."""
        assert self._global is not None
        semaphore = self._global
        self._held.add(exchange)

        def ended(done: asyncio.Future[Any]) -> None:
            self._held.discard(done)
            if not done.cancelled() and done.exception() is None:
                gate.answered(done.result()[0])  # a late answer: the host is up
            semaphore.release()
            gate.slots.release()

        exchange.add_done_callback(ended)

    async def _exchange(
        self, url: str, use_get: bool, need_body: bool, timeout: float
    ) -> tuple[int, Any, bytes | None]:
        assert self._session is not None
        method = "GET" if use_get else "HEAD"
        limits = aiohttp.ClientTimeout(total=timeout, sock_connect=self.settings.connect_timeout)
        async with self._session.request(
            method, url, allow_redirects=False, timeout=limits
        ) as response:
            status, headers = response.status, response.headers
            body: bytes | None = None
            # Error pages are read (bounded) to tell a bot challenge from a real refusal.
            wants_body = method == "GET" and (need_body or status >= 400)
            if wants_body:
                limit = (
                    self.settings.max_fragment_kb if need_body else self.settings.max_body_kb
                ) * 1024
                body = await _read_bounded(response, limit)
            if method == "GET" and not response.content.at_eof():
                length = response.content_length
                if length is not None and length <= 16 * 1024 and body is None:
                    await response.read()  # small: read it so the connection is reused
                else:
                    response.close()  # never download what we do not need
            return status, headers, body

    def _gate(self, host: str) -> HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = HostGate(Slots(self.settings.per_host), clock=self.clock)
        return gate

    def _check_literal(self, host: str) -> None:
        """Refuse an IP-literal host before anything is sent: aiohttp connects to a host it
        takes for an address (its own test: a colon, or only digits and dots) without the
        resolver. What it would take for one but is no canonical address (`127.1`,
        `2130706433`: the system maps them onto an address) is refused too."""
        if ":" not in host and not host.replace(".", "").isdigit():
            return
        try:
            ip = parse_address(host)
        except ValueError:
            raise _Broken(f"{host} is not a canonical IP address", refused=True) from None
        if not address_allowed(ip, self.allowed):
            raise _Broken(f"{host} is not a globally routable address", refused=True)

    def _retry_limit(self, reason: str) -> int:
        if reason.startswith("timeout"):
            return self.settings.timeout_retries
        if reason.startswith("429"):
            return self.settings.rate_retries
        return self.settings.retries

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.max_backoff, self.settings.backoff * 2 ** (attempt - 1))
        return base * (0.5 + random.random() / 2)


class _Broken(Exception):
    def __init__(self, detail: str, *, refused: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.refused = refused


def _socket_guard(allowed: list[Network]) -> dict[str, Any]:
    """The last line: every socket aiohttp connects is checked against the same policy."""

    def guarded_socket(addr_info: tuple[Any, ...]) -> socket.socket:
        family, type_, proto, _, address = addr_info
        if not address_allowed(str(address[0]), allowed):
            raise RefusedAddress(f"not connecting to {refused_message(address[0])}")
        return socket.socket(family, type_, proto)

    return {"socket_factory": guarded_socket}


def _give_up(url: str, reason: str, attempts: int) -> Result:
    if reason.startswith("429"):
        return Result(url, "warn", 429, f"429 rate limited after {attempts} attempts")
    status = int(reason[:3]) if reason[:3].isdigit() else 0
    return Result(url, "broken", status, f"{reason} after {attempts} attempts")


async def _read_bounded(response: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = await response.content.read(min(65536, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _next_hop(current: str, location: str) -> str | None:
    normal = normalize_url(urljoin(current, location))
    return normal[0] if normal else None


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds a Retry-After header asks for (a number, or an HTTP date after `now`)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _is_challenge(status: int, headers: Any, body: bytes | None) -> bool:
    if status not in (403, 429, 503):
        return False
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    if headers.get("x-amzn-waf-action", "").lower() in ("challenge", "captcha"):
        return True
    return bool(body and _CHALLENGE_BODY.search(body[:65536]))


def _anchors(body: bytes) -> tuple[str, ...]:
    found = {
        html.unescape((m.group(1) or m.group(2) or m.group(3) or b"").decode("utf-8", "replace"))
        for m in _ANCHOR.finditer(body)
    }
    return tuple(sorted(found))


def _is_refusal(exc: aiohttp.ClientConnectorError) -> bool:
    return isinstance(exc.os_error, RefusedAddress)


def _dns_detail(exc: aiohttp.ClientConnectorError) -> str:
    if _is_refusal(exc):
        return str(exc.os_error)
    return f"DNS lookup failed for {exc.host}"


def _reset_detail(exc: Exception) -> str:
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected"
    return "connection reset"


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
