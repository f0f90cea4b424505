"""What git knows about the site's repository: the origin's web address and the branch, for
"edit this page" links and the link checker's User-Agent. Every question has an answer:
'' when git, the remote or the branch is unknown."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from kb.config import Settings

_REMOTE = re.compile(r"^(?:https://|git@)([\w.-]+)[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def repository_url(settings: Settings) -> str:
    """The https URL of the git origin, or '' (it goes into the link checker's User-Agent)."""
    match = _REMOTE.match(git(settings.root, "config", "--get", "remote.origin.url"))
    return "https://{}/{}/{}".format(*match.groups()) if match else ""


def edit_url(settings: Settings) -> str:
    """The "edit this page" template: from settings, else from the git remote; '' if unknown."""
    if settings.edit_url:
        return settings.edit_url
    match = _REMOTE.match(git(settings.root, "config", "--get", "remote.origin.url"))
    if not match:
        return ""
    branch = git(settings.root, "symbolic-ref", "--short", "HEAD") or "main"
    host, owner, repo = match.groups()
    edit = "-/edit" if "gitlab" in host else "edit"
    return f"https://{host}/{owner}/{repo}/{edit}/{branch}/{{path}}"


def git(root: Path, *args: str) -> str:
    """`git args` in `root`: its stripped output, or '' when git fails or is missing."""
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""
