"""One GitHub issue for broken links: opened or updated while links are broken, closed after.

`kb links --github-issue` (scheduled workflows) calls `sync_issue` with the run's report. The
issue is found by its label and title among the open issues, so a weekly run updates the same
issue instead of opening one per run. Everything comes from the variables GitHub Actions sets
(`GITHUB_API_URL`, `GITHUB_REPOSITORY`, `GITHUB_SERVER_URL`, `GITHUB_RUN_ID`) and the token the
workflow passes (`GITHUB_TOKEN`, with `issues: write`); tests point `GITHUB_API_URL` at a
loopback server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kb.errors import UserError

LABEL = "broken-links"
TITLE = "失效链接 / Broken links"
BODY_LIMIT = 65_000
"""GitHub refuses issue bodies over 65,536 characters; the report is cut below that."""
API_VERSION = "2022-11-28"


class TrackerError(UserError):
    """The issue cannot be read or written; the message names the request and the fix."""


@dataclass(frozen=True)
class Tracker:
    api: str
    repository: str
    token: str
    run_url: str = ""
    timeout: float = 30.0


def tracker_from_env(env: Mapping[str, str]) -> Tracker:
    """The repository and token of the current workflow run; a missing variable is named."""
    missing = [name for name in ("GITHUB_REPOSITORY", "GITHUB_TOKEN") if not env.get(name)]
    if missing:
        raise TrackerError(
            f"--github-issue needs {' and '.join(missing)} (set by GitHub Actions; pass "
            "`GITHUB_TOKEN: ${{ github.token }}` in the step's env, with `issues: write`)"
        )
    repository = env["GITHUB_REPOSITORY"]
    if repository.count("/") != 1 or not all(repository.split("/")):
        raise TrackerError(f"GITHUB_REPOSITORY {repository!r}: expected owner/name")
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    run_id = env.get("GITHUB_RUN_ID", "")
    return Tracker(
        api=env.get("GITHUB_API_URL", "https://api.github.com").rstrip("/"),
        repository=repository,
        token=env["GITHUB_TOKEN"],
        run_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id else "",
    )


def issue_body(report: str, run_url: str) -> str:
    """The report, cut to GitHub's limit with a pointer to the run's summary for the rest."""
    footer = f"\n\n—— [该次检查 / the run]({run_url})\n" if run_url else "\n"
    if len(report) + len(footer) > BODY_LIMIT:
        cut = report.rfind("\n", 0, BODY_LIMIT - len(footer) - 200)
        report = (
            report[: max(cut, 0)]
            + "\n\n…（报告过长，其余见该次检查的摘要 / "
            + "truncated: the rest is in the run's summary）"
        )
    return report.rstrip("\n") + footer


def sync_issue(tracker: Tracker, report: str, broken: bool) -> str:
    """Open, update or close the one broken-links issue; returns what was done, as a line."""
    found = _open_issue(tracker)
    if broken:
        body = issue_body(report, tracker.run_url)
        if found is None:
            created = _call(
                tracker,
                "POST",
                f"/repos/{tracker.repository}/issues",
                {"title": TITLE, "body": body, "labels": [LABEL]},
            )
            return f"opened issue #{created['number']}"
        _call(tracker, "PATCH", f"/repos/{tracker.repository}/issues/{found}", {"body": body})
        return f"updated issue #{found}"
    if found is None:
        return "no broken links and no open issue"
    note = "所有链接已恢复正常 / All links work again."
    if tracker.run_url:
        note += f" ({tracker.run_url})"
    _call(tracker, "POST", f"/repos/{tracker.repository}/issues/{found}/comments", {"body": note})
    _call(
        tracker,
        "PATCH",
        f"/repos/{tracker.repository}/issues/{found}",
        {"state": "closed", "state_reason": "completed"},
    )
    return f"closed issue #{found}"


def _open_issue(tracker: Tracker) -> int | None:
    """The oldest open issue (not pull request) with our label and title."""
    path = f"/repos/{tracker.repository}/issues?state=open&labels={LABEL}&per_page=100"
    listed = _call(tracker, "GET", path)
    if not isinstance(listed, list):
        raise TrackerError(f"GitHub API GET {path}: expected a list of issues")
    numbers = [
        item["number"]
        for item in listed
        if isinstance(item, dict)
        and item.get("title") == TITLE
        and "pull_request" not in item
        and isinstance(item.get("number"), int)
    ]
    return min(numbers) if numbers else None


def _call(tracker: Tracker, method: str, path: str, payload: Any = None) -> Any:
    import urllib.error
    import urllib.request

    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        tracker.api + path,
        data=data,
        method=method,
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {tracker.token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "kb-links",
            **({"Content-Type": "application/json"} if data is not None else {}),
        },
    )
    where = f"GitHub API {method} {path.split('?')[0]}"
    try:
        with urllib.request.urlopen(request, timeout=tracker.timeout) as response:
            text = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        detail = _message(exc.read().decode("utf-8", "replace"))
        hint = (
            "; give the workflow job `permissions: issues: write`"
            if exc.code in (401, 403, 404)
            else ""
        )
        raise TrackerError(f"{where}: HTTP {exc.code} {detail}{hint}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TrackerError(f"{where}: cannot connect ({reason})") from None
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        raise TrackerError(f"{where}: the answer is not JSON") from None


def _message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""
