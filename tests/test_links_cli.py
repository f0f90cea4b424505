"""`kb links` end to end: collection, reports, exit codes, cache, --changed-since, shards."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.config import ConfigError, load_settings
from kb.links.collect import canonical_url, collect, normalize_url
from kb.links.run import check_links, parse_shard, shard_of
from tests.helpers import KbRunner, SiteBuilder
from tests.linkweb import HostConfig, Web

A, B = "127.0.0.4", "127.0.0.5"

LINKS_TOML = """
[tool.kb.links]
timeout = 1.0
connect_timeout = 1.0
backoff = 0.05
max_backoff = 0.2
allow_networks = ["127.0.0.0/8"]
"""


@pytest.fixture(scope="module")
def web() -> Iterator[Web]:
    with Web([HostConfig(A), HostConfig(B)]) as running:
        yield running


def _page(web: Web) -> str:
    a, b = (lambda p: web.url(A, p)), (lambda p: web.url(B, p))
    return (
        "---\ntype: guide\ntitle: 链接\n"
        f"description: 见 {a('/ok/front')}\n"
        "---\n"
        "# 链接\n\n"
        f"正常 [一]({a('/ok/1')}) 和重复 [一again]({a('/ok/1')})。\n"  # line 10
        f"失效 [二]({a('/gone/2')}) 与 <{b('/gone410/3')}>。\n"  # line 13
        f"搬家 [三]({a('/moved/4')})，裸网址 {b('/ok/5')} 。\n"  # line 8
        f'限流 [四][ref] 和验证页 <a href="{b("/challenge/6")}">六</a>\n'  # line 9
        "\n"
        f"[ref]: {a('/rate-long/7')}\n"  # line 11
        "\n"
        f"`{a('/gone/in-code')}`\n"  # line 15: code is never checked
        "\n"
        "```\n"
        f"{a('/gone/in-fence')}\n"
        "```\n"
        f"<!-- {a('/gone/in-comment')} -->\n"
    )


def _links_page(site: SiteBuilder, body: str) -> Path:
    """A site of one guide page holding `body`, with the loopback link settings."""
    return site(
        {"docs/a.md": f"---\ntype: guide\ntitle: A\n---\n# A\n\n{body}\n"}, kb_toml=LINKS_TOML
    )


@pytest.fixture
def site_root(site: SiteBuilder, web: Web) -> Path:
    return site(
        {
            "docs/links.md": _page(web),
            "docs/_data/tools.yaml": (
                "columns:\n  - {key: url, title: 链接}\n"
                f"rows:\n  - url: {web.url(A, '/gone/data')}\n"
            ),
        },
        kb_toml=LINKS_TOML,
    )


def test_collect_finds_every_kind_with_positions(site_root: Path, web: Web) -> None:
    lines = (site_root / "docs/links.md").read_text(encoding="utf-8").splitlines()

    def col(line: int, marker: str, nth: int = 1) -> int:
        at = -1
        for _ in range(nth):
            at = lines[line - 1].index(marker, at + 1)
        return at + 1

    port = str(web.port)
    found = [
        (o.file, o.line, o.column, o.url.split(port)[1]) for o in collect(load_settings(site_root))
    ]
    assert found == [
        ("docs/links.md", 4, 0, "/ok/front"),
        ("docs/links.md", 8, col(8, "["), "/ok/1"),
        ("docs/links.md", 8, col(8, "[", 2), "/ok/1"),
        ("docs/links.md", 9, col(9, "["), "/gone/2"),
        ("docs/links.md", 9, col(9, "<") + 1, "/gone410/3"),  # autolink: the URL itself
        ("docs/links.md", 10, col(10, "["), "/moved/4"),
        ("docs/links.md", 10, col(10, "http", 2), "/ok/5"),  # bare URL
        ("docs/links.md", 11, col(11, "<a"), "/challenge/6"),
        ("docs/links.md", 13, col(13, "http"), "/rate-long/7"),
        ("docs/_data/tools.yaml", 4, 0, "/gone/data"),
    ]
    assert col(8, "[") == 4


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("HTTPS://Example.ORG:443", ("https://example.org/", "")),
        ("http://example.org:8080/a b?q=1#x", ("http://example.org:8080/a%20b?q=1", "x")),
        ("https://例子.测试/路径", ("https://xn--fsqu00a.xn--0zwm56d/%E8%B7%AF%E5%BE%84", "")),
        ("//cdn.example.org/x.js", ("https://cdn.example.org/x.js", "")),
        ("https://user:pw@example.org/", None),
        ("https://example.org:99999/", None),
        ("mailto:a@example.org", None),
    ],
)
def test_normalize_url(written: str, expected: tuple[str, str] | None) -> None:
    assert normalize_url(written) == expected


@pytest.mark.parametrize(
    ("written", "checked"),
    [
        ("http://dx.doi.org/10.1038/NATURE14539", "https://doi.org/10.1038/nature14539"),
        ("https://doi.org/10.1038/nature14539", "https://doi.org/10.1038/nature14539"),
        ("https://www.doi.org/10.1002/(SICI)1097", "https://doi.org/10.1002/(sici)1097"),
        ("https://doi.org/", "https://doi.org/"),  # no DOI: left as it is
        ("https://arxiv.org/pdf/1810.03382", "https://arxiv.org/abs/1810.03382"),
        ("https://arxiv.org/pdf/1810.03382v2.pdf", "https://arxiv.org/abs/1810.03382v2"),
        ("http://export.arxiv.org/abs/1810.03382/", "https://arxiv.org/abs/1810.03382"),
        ("https://arxiv.org/abs/hep-th/9901001v1", "https://arxiv.org/abs/hep-th/9901001v1"),
        ("https://arxiv.org/list/cs.LG/recent", "https://arxiv.org/list/cs.LG/recent"),
        (
            "https://www.ncbi.nlm.nih.gov/pubmed/31234567",
            "https://pubmed.ncbi.nlm.nih.gov/31234567/",
        ),
        (
            "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1/",
            "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1/",
        ),
    ],
)
def test_academic_identifiers_are_checked_in_one_spelling(written: str, checked: str) -> None:
    normal = normalize_url(written)
    assert normal is not None
    assert canonical_url(normal[0]) == checked


def test_spellings_of_one_paper_are_fetched_once(site: SiteBuilder) -> None:
    links = [
        "https://arxiv.org/abs/1810.03382",
        "https://arxiv.org/pdf/1810.03382",
        "http://export.arxiv.org/pdf/1810.03382.pdf",
        "http://dx.doi.org/10.1038/S41591-018-0300-7",
        "https://doi.org/10.1038/s41591-018-0300-7",
    ]
    root = _links_page(site, "\n\n".join(f"<{url}>" for url in links))
    found = collect(load_settings(root))
    assert sorted({o.url for o in found}) == [
        "https://arxiv.org/abs/1810.03382",
        "https://doi.org/10.1038/s41591-018-0300-7",
    ]
    assert {o.written for o in found} == set(links)  # reported as each page writes it


def _json(out: str) -> list[tuple[str, int, str]]:
    return [(d["file"], d["line"], d["code"]) for d in json.loads(out)["diagnostics"]]


def test_report_exit_code_and_cache(site_root: Path, web: Web, kb: KbRunner) -> None:
    code, out, err = kb(site_root, "links", "--format", "json")
    assert code == 2, err
    assert _json(out) == [
        ("docs/_data/tools.yaml", 4, "LNK210"),
        ("docs/links.md", 9, "LNK210"),
        ("docs/links.md", 9, "LNK210"),
        ("docs/links.md", 10, "LNK211"),
        ("docs/links.md", 11, "LNK212"),
        ("docs/links.md", 13, "LNK212"),
    ]
    assert "9 unique URL(s) in 10 occurrence(s): 4 ok, 2 warn, 3 broken, 0 excluded" in err
    # Warm run: ok and warn results come from the cache; broken ones are checked again.
    before = len(web.requests)
    code, out2, err = kb(site_root, "links", "--format", "json")
    assert (code, out2) == (2, out)
    assert "6 from cache" in err
    rechecked = {p for _, _, p in web.requests[before:]}
    assert rechecked == {"/gone/2", "/gone410/3", "/gone/data"}


def test_text_report_names_place_status_and_fix(site_root: Path, web: Web, kb: KbRunner) -> None:
    code, out, _ = kb(site_root, "links", "--no-cache")
    assert code == 2
    lines = out.splitlines()
    gone = web.url(A, "/gone/2")
    assert f"docs/links.md:9:4: LNK210 '{gone}' is broken: 404 Not Found" in lines
    assert "    hint: replace it (an archived copy may help) or remove it" in lines
    moved = web.url(A, "/moved/4")
    assert (
        f"docs/links.md:10:4: LNK211 (warning) '{moved}' moved permanently to {web.url(A, '/ok/4')}"
        in lines
    )
    assert lines[-1] == "3 error(s), 3 warning(s) in 2 file(s)"


def test_warnings_fail_only_with_strict(site: SiteBuilder, web: Web, kb: KbRunner) -> None:
    root = site(
        {"docs/a.md": f"---\ntype: guide\ntitle: A\n---\n# A\n\n<{web.url(B, '/challenge/w')}>\n"},
        kb_toml=LINKS_TOML,
    )
    assert kb(root, "links")[0] == 0
    assert kb(root, "links", "--strict")[0] == 2


def test_github_and_markdown_formats(site_root: Path, kb: KbRunner) -> None:
    _, github, _ = kb(site_root, "links", "--format", "github")
    assert "::error file=docs/links.md,line=9,col=4,title=LNK210 external-link-broken::" in github
    assert "::warning file=docs/links.md,line=11,col=18,title=LNK212" in github
    _, markdown, _ = kb(site_root, "links", "--format", "markdown")
    assert markdown.startswith("### kb: 3 error(s), 3 warning(s) in 2 file(s)\n")
    assert "| ❌ | `LNK210` external-link-broken | 3 |" in markdown
    assert "#### `LNK212` external-link-unverified (2)" in markdown


def test_private_links_are_refused_unless_allowed(
    site: SiteBuilder, web: Web, kb: KbRunner
) -> None:
    root = site(
        {"docs/a.md": f"---\ntype: guide\ntitle: A\n---\n# A\n\n<{web.url(A, '/ok/private')}>\n"}
    )
    before = len(web.requests)
    code, out, _ = kb(root, "links", "--format", "json")
    assert (code, _json(out)) == (2, [("docs/a.md", 7, "LNK213")])
    assert len(web.requests) == before


def test_non_global_addresses_are_refused_with_the_address_named(
    site: SiteBuilder, kb: KbRunner
) -> None:
    # allow_networks = 127.0.0.0/8 does not cover shared (CGNAT) or link-local addresses.
    links = "<http://100.64.0.1/meta> <http://[::ffff:169.254.169.254]/latest>"
    root = _links_page(site, links)
    code, out, err = kb(root, "links", "--no-cache")
    assert code == 2
    assert out.splitlines() == [
        "docs/a.md:7:2: LNK213 'http://100.64.0.1/meta' is not fetched: "
        "100.64.0.1 is not a globally routable address",
        "    hint: link to a public address, or allow the network in allow_networks",
        "docs/a.md:7:27: LNK213 'http://[::ffff:169.254.169.254]/latest' is not fetched: "
        "::ffff:169.254.169.254 is not a globally routable address",
        "    hint: link to a public address, or allow the network in allow_networks",
        "2 error(s), 0 warning(s) in 1 file(s)",
    ]
    assert "0 request(s)" in err


def test_expired_entries_are_rechecked(site_root: Path, web: Web) -> None:
    settings = load_settings(site_root)
    occurrences = collect(settings)
    cache = site_root / "links.json"
    check_links(settings, occurrences, cache_file=cache, now=lambda: 1_000_000.0)
    before = len(web.requests)
    _, run = check_links(settings, occurrences, cache_file=cache, now=lambda: 1_000_000.0 + 3600)
    assert run.cached == 6 and run.checked == 3
    after_a_day = len(web.requests)
    _, run = check_links(
        settings, occurrences, cache_file=cache, now=lambda: 1_000_000.0 + 8 * 86400
    )
    assert run.cached == 0 and run.checked == 9
    assert len(web.requests) - after_a_day > after_a_day - before


def test_a_cache_written_by_an_older_kb_still_serves_its_results(
    site: SiteBuilder, web: Web, tmp_path: Path
) -> None:
    # Caches once kept each host's median answer time ("hosts"): read, ignored, not written.
    url = web.url(A, "/ok/older-cache")
    root = _links_page(site, f"<{url}>")
    settings = load_settings(root)
    cache_file = tmp_path / "links.json"
    entry = {"class": "ok", "status": 200, "detail": "200 OK", "checked_at": time.time()}
    cache_file.write_text(
        json.dumps({"version": 1, "entries": {url: entry}, "hosts": {"old.example": 0.2}})
    )
    web.reset()
    _, run = check_links(settings, collect(settings), cache_file=cache_file)
    assert (run.cached, web.count("/ok/older-cache")) == (1, 0)
    assert "hosts" not in json.loads(cache_file.read_text())


def test_shards_split_by_host_and_merge(site_root: Path, kb: KbRunner, tmp_path: Path) -> None:
    reports = []
    for k in (1, 2, 3):
        report = tmp_path / f"shard{k}.json"
        kb(
            site_root,
            "links",
            "--no-cache",
            "--shard",
            f"{k}/3",
            "--format",
            "json",
            "--output",
            str(report),
        )
        reports.append(str(report))
    _, whole, _ = kb(site_root, "links", "--no-cache", "--format", "json")
    code, merged, _ = kb(site_root, "links", "--merge", *reports, "--format", "json")
    assert code == 2 and _json(merged) == _json(whole)


def test_shard_of_is_stable() -> None:
    assert [shard_of(h, 4) for h in ("example.org", "doi.org", "github.com")] == [
        shard_of(h, 4) for h in ("example.org", "doi.org", "github.com")
    ]
    assert {shard_of(f"h{i}.org", 4) for i in range(50)} == {1, 2, 3, 4}
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "x"):
        with pytest.raises(ConfigError):
            parse_shard(bad)


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_changed_since_checks_only_new_lines(site_root: Path, web: Web, kb: KbRunner) -> None:
    _git(site_root, "init", "-q", "-b", "main")
    _git(
        site_root,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.org",
        "commit",
        "-qm",
        "base",
        "--allow-empty",
    )
    _git(site_root, "add", "-A")
    _git(site_root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "site")
    page = site_root / "docs/links.md"
    page.write_text(
        page.read_text(encoding="utf-8") + f"\n新增 <{web.url(B, '/gone/new')}>\n", "utf-8"
    )
    (site_root / "docs/new.md").write_text(
        f"---\ntype: guide\ntitle: N\n---\n# N\n\n<{web.url(B, '/ok/n')}>\n", "utf-8"
    )
    code, out, err = kb(
        site_root, "links", "--no-cache", "--changed-since", "HEAD", "--format", "json"
    )
    assert (code, _json(out)) == (2, [("docs/links.md", 22, "LNK210")])
    assert "2 unique URL(s) in 2 occurrence(s)" in err
    assert kb(site_root, "links", "--changed-since", "no-such-ref")[0] == 3


def test_settings_errors_are_config_errors(site: SiteBuilder, kb: KbRunner) -> None:
    root = site({}, kb_toml="\n[tool.kb.links]\nper_hosts = 2\n")
    code, _, err = kb(root, "links")
    assert code == 3
    assert "[tool.kb.links] per_hosts: unknown setting; did you mean 'per_host'?" in err
    root = site({}, kb_toml='\n[tool.kb.links]\nstatus = { 403 = "fine" }\n')
    code, _, err = kb(root, "links")
    assert code == 3 and "expected one of ok, warn, broken, excluded, got 'fine'" in err


def test_fragments_and_invalid_urls(site: SiteBuilder, web: Web, kb: KbRunner) -> None:
    page = (
        "---\ntype: guide\ntitle: F\n---\n# F\n\n"
        f"<{web.url(A, '/html/f#intro')}> <{web.url(A, '/html/f#nowhere')}>\n"
        f"<{web.url(A, '/html/f#/docsify/route')}> [bad](http://:80/x)\n"
    )
    root = site({"docs/f.md": page}, kb_toml=LINKS_TOML)
    code, out, _ = kb(root, "links", "--format", "json")
    assert (code, _json(out)) == (2, [("docs/f.md", 8, "LNK215")])
    root = site({"docs/f.md": page}, kb_toml=LINKS_TOML + "check_fragments = true\n")
    code, out, _ = kb(root, "links", "--format", "json")
    assert _json(out) == [("docs/f.md", 7, "LNK214"), ("docs/f.md", 8, "LNK215")]
    assert "no element with id 'nowhere'" in out


def test_a_warm_run_of_a_healthy_site_sends_nothing(
    site: SiteBuilder, web: Web, kb: KbRunner
) -> None:
    links = " ".join(f"<{web.url(A, f'/ok/warm{i}')}>" for i in range(5))
    root = _links_page(site, links)
    assert kb(root, "links")[0] == 0
    before = len(web.requests)
    code, _, err = kb(root, "links")
    assert code == 0 and len(web.requests) == before
    assert "5 from cache, 0 request(s)" in err
