"""The link checker against real HTTP servers on loopback: one case per behaviour."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kb.links.check import Checker, Result, address_allowed
from kb.links.settings import LinkSettings
from tests.linkweb import HostConfig, Web, free_port

A, B = "127.0.0.2", "127.0.0.3"

FAST = LinkSettings(
    timeout=1.0,
    connect_timeout=1.0,
    backoff=0.05,
    max_backoff=0.2,
    max_retry_after=5.0,
    allow_networks=("127.0.0.0/8",),
)


@pytest.fixture(scope="module")
def web() -> Iterator[Web]:
    with Web([HostConfig(A), HostConfig(B)], slow=5.0) as running:
        yield running


def _check(web: Web, path: str, settings: LinkSettings = FAST) -> Result:
    url = web.url(A, path)
    return Checker(settings).run([url])[url]


@pytest.mark.parametrize(
    ("path", "link_class", "status", "detail", "requests"),
    [
        ("/ok/1", "ok", 200, "200 OK", 1),
        ("/temp302/1", "ok", 200, "200 OK", 2),
        ("/gone/1", "broken", 404, "404 Not Found", 2),  # HEAD, then GET to be sure
        ("/gone410/1", "broken", 410, "410 Gone", 2),
        ("/flaky/1", "ok", 200, "200 OK", 2),  # 500 to HEAD, GET succeeds
        ("/down/1", "broken", 503, "503 Service Unavailable after 3 attempts", 4),
        ("/rate/1", "ok", 200, "200 OK", 2),
        ("/rate-forever/1", "warn", 429, "429 rate limited after 2 attempts", 2),
        ("/rate-long/1", "warn", 429, "429 rate limited (Retry-After 3600 s)", 1),
        ("/nohead/1", "ok", 200, "200 OK", 2),
        ("/slow/1", "broken", 0, "timeout after 2 attempts", 2),
        ("/loop/1", "broken", 302, "redirect loop at", 2),
        ("/reset/1", "broken", 0, "connection reset after 3 attempts", 3),
        ("/challenge/1", "warn", 403, "403 bot challenge (opens in a browser)", 2),
    ],
)
def test_behaviour_is_classified(
    web: Web, path: str, link_class: str, status: int, detail: str, requests: int
) -> None:
    result = _check(web, path)
    assert (result.link_class, result.status, result.requests) == (link_class, status, requests)
    assert result.detail.startswith(detail)
    assert result.moved_to == ""


@pytest.mark.parametrize("kind", ["moved", "perm308"])
def test_permanent_redirect_suggests_the_new_url(web: Web, kind: str) -> None:
    result = _check(web, f"/{kind}/2")
    assert (result.link_class, result.status) == ("ok", 200)
    assert result.moved_to == web.url(A, "/ok/2")


def test_flaky_get_is_retried(web: Web) -> None:
    # Hosts that answer HEAD wrongly get GET at once: the 500 is then a GET retry.
    settings = LinkSettings(**{**FAST.__dict__, "head_hostile": (A,)})
    before = web.count("/flaky/3")
    result = _check(web, "/flaky/3", settings)
    assert (result.link_class, result.requests) == ("ok", 2)
    assert web.count("/flaky/3", "HEAD") == 0 and web.count("/flaky/3") - before == 2


def test_a_huge_body_is_not_downloaded(web: Web) -> None:
    result = _check(web, "/huge/1")
    assert (result.link_class, result.status) == ("ok", 200)
    # The server could push only what fits in the socket buffers before we hung up.
    assert web.huge_sent < 16 * 1024 * 1024


def test_refused_port_is_broken_without_retry() -> None:
    url = f"http://{A}:{free_port(A)}/x"
    result = Checker(FAST).run([url])[url]
    assert (result.link_class, result.detail, result.requests) == (
        "broken",
        "connection refused",
        1,
    )


def test_unknown_host_is_broken() -> None:
    url = "http://no-such-host.invalid/"
    result = Checker(FAST).run([url])[url]
    assert (result.link_class, result.detail) == (
        "broken",
        "DNS lookup failed for no-such-host.invalid",
    )


@pytest.mark.parametrize("host", [A, "localhost", "[::1]"])
def test_private_addresses_are_refused_by_default(web: Web, host: str) -> None:
    before = len(web.requests)
    url = f"http://{host}:{web.port}/ok/refused"
    result = Checker(LinkSettings(timeout=1.0)).run([url])[url]
    assert (result.link_class, result.refused) == ("broken", True)
    assert "private or loopback address" in result.detail
    assert len(web.requests) == before


def test_a_redirect_to_a_private_address_is_refused(web: Web) -> None:
    # Allow only 127.0.0.2: the redirect target on 127.0.0.3 must not be fetched.
    settings = LinkSettings(**{**FAST.__dict__, "allow_networks": (f"{A}/32",)})
    url = web.url(A, "/ok/x")
    before = web.count("/ok/x")
    assert Checker(settings).run([url])[url].link_class == "ok"
    other = web.url(B, "/ok/y")
    assert Checker(settings).run([other])[other].refused
    assert web.count("/ok/x") - before == 1


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("8.8.8.8", True),
        ("10.1.2.3", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("::ffff:127.0.0.1", False),
        ("fe80::1", False),
        ("0.0.0.0", False),
    ],
)
def test_address_policy(address: str, allowed: bool) -> None:
    assert address_allowed(address, []) is allowed


def test_per_host_limit_is_respected() -> None:
    with Web([HostConfig(A, latency=(0.05, 0.05))]) as web:
        settings = LinkSettings(**{**FAST.__dict__, "per_host": 3})
        urls = [web.url(A, f"/ok/{i}") for i in range(30)]
        results = Checker(settings).run(urls)
        assert all(r.link_class == "ok" for r in results.values())
        assert web.peak[A] == 3
        assert web.count("/ok/") == 30  # one request per unique URL


def test_a_rate_limited_host_does_not_stall_the_others() -> None:
    with Web([HostConfig(A), HostConfig(B)]) as web:
        urls = [web.url(A, "/rate/slow-host")] + [web.url(B, f"/ok/{i}") for i in range(20)]
        results = Checker(FAST).run(urls)
        assert results[urls[0]].link_class == "ok"
        order = [host for host, _, path in web.requests]
        retry_at = [i for i, (_, _, p) in enumerate(web.requests) if p == "/rate/slow-host"][1]
        assert order[:retry_at].count(B) == 20  # host B finished while A waited 1 s


def test_retry_after_pauses_the_whole_host() -> None:
    with Web([HostConfig(A)]) as web:
        settings = LinkSettings(**{**FAST.__dict__, "per_host": 1})
        urls = [web.url(A, "/rate/first")] + [web.url(A, f"/ok/{i}") for i in range(3)]
        results = Checker(settings).run(urls)
        assert all(r.link_class == "ok" for r in results.values())
        assert web.requests[0][2] == "/rate/first" and len(web.requests) == 5
        # After the 429 nothing was sent to the host for Retry-After: 1 second.
        assert web.times[1] - web.times[0] >= 0.9


def test_excluded_urls_are_not_fetched(web: Web) -> None:
    settings = LinkSettings(**{**FAST.__dict__, "exclude": (r"/gone/",)})
    before = len(web.requests)
    result = _check(web, "/gone/excluded", settings)
    assert result.link_class == "excluded" and len(web.requests) == before


def test_status_overrides_per_host(web: Web) -> None:
    settings = LinkSettings(**{**FAST.__dict__, "hosts": {A: {404: "warn"}}})
    assert _check(web, "/gone/5", settings).link_class == "warn"
    settings = LinkSettings(**{**FAST.__dict__, "status": {403: "broken"}})
    assert _check(web, "/challenge/5", settings).link_class == "warn"  # a challenge stays warn


def test_user_agent_names_the_project() -> None:
    checker = Checker(FAST, repository="https://example.org/team/medai")
    assert checker.user_agent.startswith("medai-kb-links/")
    assert "+https://example.org/team/medai" in checker.user_agent


def test_fragments_are_read_from_a_bounded_body(web: Web) -> None:
    settings = LinkSettings(**{**FAST.__dict__, "check_fragments": True})
    url = web.url(A, "/html/frag")
    result = Checker(settings).run([url], need_body=[url])[url]
    assert result.anchors == ("intro", "old")


def test_slots_serve_retries_before_new_urls() -> None:
    import asyncio
    import concurrent.futures

    from kb.links.check import Slots

    async def scenario() -> list[str]:
        slots = Slots(1)
        order: list[str] = []
        await slots.acquire(1)  # held by a first request

        async def waiter(name: str, priority: int) -> None:
            await slots.acquire(priority)
            order.append(name)
            slots.release()

        tasks = [
            asyncio.create_task(waiter("new-1", 1)),
            asyncio.create_task(waiter("new-2", 1)),
            asyncio.create_task(waiter("retry", 0)),
        ]
        await asyncio.sleep(0)
        slots.release()
        await asyncio.gather(*tasks)
        return order

    # Own thread: the browser tests' session keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, scenario()).result() == ["retry", "new-1", "new-2"]


def test_a_host_pauses_only_while_it_limits_us() -> None:
    from kb.links.check import HostGate, Slots

    gate = HostGate(Slots(1))
    assert gate.rate_limited(1.0)  # the first 429 pauses the host
    for status in (200, 200, 200, 429):
        gate.answered(status, 0.05)
    assert not gate.rate_limited(1.0)  # mostly 200s since: only that URL waits
    for status in (429, 429, 429):
        gate.answered(status, 0.05)
    assert gate.rate_limited(1.0)  # now 429s dominate: the host pauses again


def test_a_silent_url_is_retried_at_once_after_its_early_timeout(web: Web) -> None:
    # 20 quick answers make the host known; the silent URL's first attempt then stops at
    # 0.5 s (8 × median, at least 0.5 s) and its retry goes without the 2 s backoff.
    settings = LinkSettings(**{**FAST.__dict__, "backoff": 2.0, "max_backoff": 2.0})
    web.reset()
    urls = [web.url(A, f"/ok/early-{i}") for i in range(20)] + [web.url(A, "/slow/early")]
    result = Checker(settings).run(urls)[urls[-1]]
    assert (result.link_class, result.detail) == ("broken", "timeout after 2 attempts")
    sent = [t for (_, _, p), t in zip(web.requests, web.times, strict=True) if p == "/slow/early"]
    assert len(sent) == 2
    assert 0.4 < sent[1] - sent[0] < 1.3  # 0.5 s; a backoff would add at least 1 s


def test_a_host_known_from_an_earlier_run_gets_the_early_timeout_at_once(web: Web) -> None:
    web.reset()
    url = web.url(A, "/slow/known")
    result = Checker(FAST, host_times={A: 0.01}).run([url])[url]
    assert (result.link_class, result.requests) == ("broken", 2)
    sent = [t for (_, _, p), t in zip(web.requests, web.times, strict=True) if p == "/slow/known"]
    assert 0.4 < sent[1] - sent[0] < 0.9  # 0.5 s (8 × 10 ms, at least 0.5 s), not 1 s


def test_first_attempts_get_an_early_timeout_once_a_host_is_known() -> None:
    from kb.links.check import HostGate, Slots

    gate = HostGate(Slots(1))
    assert gate.early_timeout(10.0) == 10.0  # nothing known yet: the full timeout
    for _ in range(12):
        gate.answered(200, 0.05)
    assert gate.early_timeout(10.0) == 0.5  # 8 × 50 ms, but never below 0.5 s
    for _ in range(50):
        gate.answered(200, 0.5)
    assert gate.early_timeout(10.0) == 4.0
    assert gate.early_timeout(3.0) == 3.0  # never above the setting
    assert gate.median() == 0.5
    guessed = HostGate(Slots(1), prior=0.25)
    assert guessed.early_timeout(10.0) == 2.0  # an earlier run's median until 10 answers
    for _ in range(10):
        guessed.answered(200, 0.1)
    assert guessed.early_timeout(10.0) == 0.8  # then the host's own
