"""`kb links --github-issue`: one issue for broken links, against a GitHub REST API on loopback.

The loopback server keeps issues and comments the way the GitHub REST API answers them
(`GET /repos/{o}/{r}/issues?state=open&labels=…` lists issues *and* pull requests; `POST` creates;
`PATCH` edits; comments live under the issue), checks the headers a client must send, and can
answer with an error for a method, as GitHub does for a token without `issues: write`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from kb.links.tracker import BODY_LIMIT, LABEL, TITLE, TrackerError, issue_body, tracker_from_env
from kb.links.tracker import sync_issue as sync
from kb.report import format_json
from tests.helpers import KbRunner, SiteBuilder

REPO = "medai/notes"


@dataclass
class FakeGitHub:
    issues: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, list[str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)
    url: str = ""

    def issue(self, number: int) -> dict[str, Any]:
        return next(i for i in self.issues if i["number"] == number)


def _handler(state: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _serve(self) -> None:
            url = urlsplit(self.path)
            state.calls.append(f"{self.command} {url.path}")
            if self.headers.get("Authorization") != "Bearer t0ken" or not self.headers.get(
                "X-GitHub-Api-Version"
            ):
                return self._answer(401, {"message": "Bad credentials"})
            if self.command in state.fail:
                status = state.fail[self.command]
                return self._answer(status, {"message": "Resource not accessible by integration"})
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length)) if length else None
            base = f"/repos/{REPO}/issues"
            parts = url.path[len(base) :].strip("/").split("/") if url.path.startswith(base) else 0
            if parts == [""] and self.command == "GET":
                query = parse_qs(url.query)
                assert query["state"] == ["open"] and query["labels"] == [LABEL]
                listed = [i for i in state.issues if i["state"] == "open" and LABEL in i["labels"]]
                return self._answer(
                    200, [{**i, "labels": [{"name": n} for n in i["labels"]]} for i in listed]
                )
            if parts == [""] and self.command == "POST":
                number = max((i["number"] for i in state.issues), default=0) + 1
                issue = {"number": number, "state": "open", **data}
                state.issues.append(issue)
                return self._answer(201, issue)
            if parts and len(parts) == 1 and self.command == "PATCH":
                issue = state.issue(int(parts[0]))
                issue.update(data)
                return self._answer(200, issue)
            if parts and len(parts) == 2 and parts[1] == "comments" and self.command == "POST":
                state.comments.setdefault(int(parts[0]), []).append(data["body"])
                return self._answer(201, {"id": 1, "body": data["body"]})
            return self._answer(404, {"message": "Not Found"})

        do_GET = do_POST = do_PATCH = _serve

    return Handler


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    state = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _env(github: FakeGitHub) -> dict[str, str]:
    return {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "42",
    }


def test_broken_links_open_one_issue_then_update_it_then_close_it(github: FakeGitHub) -> None:
    tracker = tracker_from_env(_env(github))
    assert sync(tracker, "report 1", broken=True) == "opened issue #1"
    assert github.issue(1)["title"] == TITLE and github.issue(1)["labels"] == [LABEL]
    assert github.issue(1)["body"].startswith("report 1")
    assert "https://github.com/medai/notes/actions/runs/42" in github.issue(1)["body"]
    # The next weekly run updates the same issue instead of opening another.
    assert sync(tracker, "report 2", broken=True) == "updated issue #1"
    assert len(github.issues) == 1 and github.issue(1)["body"].startswith("report 2")
    # All links work again: a comment says so, and the issue is closed as completed.
    assert sync(tracker, "### kb: no problems found", broken=False) == "closed issue #1"
    assert github.issue(1)["state"] == "closed"
    assert github.issue(1)["state_reason"] == "completed"
    assert "actions/runs/42" in github.comments[1][0]
    # Nothing open and nothing broken: nothing is written.
    before = len(github.calls)
    assert sync(tracker, "ok", broken=False) == "no broken links and no open issue"
    assert [c.split()[0] for c in github.calls[before:]] == ["GET"]
    # Broken again: a new issue (a closed one is history, not reopened).
    assert sync(tracker, "report 3", broken=True) == "opened issue #2"


def test_only_our_issue_is_touched(github: FakeGitHub) -> None:
    github.issues += [
        {"number": 7, "state": "open", "title": "Fix a link", "labels": [LABEL], "body": ""},
        {
            "number": 8,
            "state": "open",
            "title": TITLE,
            "labels": [LABEL],
            "body": "",
            "pull_request": {"url": "x"},
        },
        {"number": 9, "state": "open", "title": TITLE, "labels": [LABEL], "body": "old"},
        {"number": 12, "state": "open", "title": TITLE, "labels": [LABEL], "body": "dup"},
    ]
    tracker = tracker_from_env(_env(github))
    assert sync(tracker, "new report", broken=True) == "updated issue #9"
    assert github.issue(7)["body"] == "" and github.issue(8)["body"] == ""
    assert github.issue(12)["body"] == "dup"


def test_api_errors_are_one_line_with_the_fix(github: FakeGitHub) -> None:
    github.fail["POST"] = 403
    tracker = tracker_from_env(_env(github))
    with pytest.raises(TrackerError) as caught:
        sync(tracker, "report", broken=True)
    message = str(caught.value)
    assert message.startswith(f"GitHub API POST /repos/{REPO}/issues: HTTP 403 ")
    assert "Resource not accessible by integration" in message and "issues: write" in message
    bad = tracker_from_env({**_env(github), "GITHUB_TOKEN": "wrong"})
    with pytest.raises(TrackerError, match="HTTP 401 Bad credentials"):
        sync(bad, "report", broken=True)
    offline = tracker_from_env({**_env(github), "GITHUB_API_URL": "http://127.0.0.1:9"})
    with pytest.raises(TrackerError, match="cannot connect"):
        sync(offline, "report", broken=True)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "needs GITHUB_REPOSITORY and GITHUB_TOKEN"),
        ({"GITHUB_REPOSITORY": REPO}, "needs GITHUB_TOKEN"),
        ({"GITHUB_REPOSITORY": "notes", "GITHUB_TOKEN": "t"}, "expected owner/name"),
    ],
)
def test_missing_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(TrackerError, match=message):
        tracker_from_env(env)


def test_a_huge_report_is_cut_below_githubs_limit() -> None:
    report = "".join(f"| `docs/p{i}.md:{i}` | broken | fix |\n" for i in range(5000))
    body = issue_body(report, "https://github.com/x/y/actions/runs/1")
    assert len(body) <= BODY_LIMIT and "truncated" in body and body.endswith("runs/1)\n")
    assert "\n| `docs/p0.md:0` |" in "\n" + body  # whole rows only
    assert issue_body("short", "") == "short\n"


def test_merged_shards_update_the_issue_and_the_summary(
    site: SiteBuilder,
    kb: KbRunner,
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The links workflow's last step, as it runs there: --merge, --summary, --github-issue."""
    from kb.diagnostics import make

    root = site({})
    broken = make("LNK210", "docs/a.md", 3, "https://example.org/gone: 404 Not Found")
    shard1, shard2 = tmp_path / "links-1.json", tmp_path / "links-2.json"
    shard1.write_text(format_json([broken]), encoding="utf-8")
    shard2.write_text(format_json([]), encoding="utf-8")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    for name, value in _env(github).items():
        monkeypatch.setenv(name, value)
    args = ["links", "--merge", str(shard1), str(shard2), "--format", "markdown"]
    code, out, err = kb(root, *args, "--summary", str(summary), "--github-issue")
    assert code == 2, err
    assert f"kb links: opened issue #1 in {REPO}" in err
    assert "docs/a.md:3" in github.issue(1)["body"] and "docs/a.md:3" in out
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n") and "docs/a.md:3" in text  # appended
    # Fixed: the same step closes the issue and exits 0.
    shard1.write_text(format_json([]), encoding="utf-8")
    code, _, err = kb(root, *args, "--github-issue")
    assert code == 0 and "closed issue #1" in err
    # A shard that did not report stops the merge before the issue is touched.
    calls = len(github.calls)
    code, _, err = kb(root, *args[:2], str(tmp_path / "links-3.json"), "--github-issue")
    assert code == 3 and "links-3.json" in err and len(github.calls) == calls


def test_exit_zero_and_output_for_shards(site: SiteBuilder, kb: KbRunner, tmp_path: Path) -> None:
    from kb.diagnostics import make

    root = site({})
    report = tmp_path / "in.json"
    report.write_text(
        format_json([make("LNK210", "docs/a.md", 3, "https://example.org/gone: 404")]),
        encoding="utf-8",
    )
    out = tmp_path / "nested" / "out.json"
    code, stdout, _ = kb(root, "links", "--merge", str(report), "--format", "json")
    assert code == 2
    code, stdout, _ = kb(
        root,
        "links",
        "--merge",
        str(report),
        "--format",
        "json",
        "--output",
        str(out),
        "--exit-zero",
    )
    assert code == 0 and stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))
