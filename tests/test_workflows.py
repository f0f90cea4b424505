"""The GitHub workflows stay thin and runnable here: every action is pinned to a commit, every
step is a `./dev` command whose options exist, and each workflow's commands run locally, in the
order the workflow runs them, on a small site (GitHub's variables set as Actions sets them).
actionlint and the issue-form schemas run in `./dev test` itself.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kb import cli
from tests.helpers import REPO, SiteBuilder
from tests.test_tracker import REPO as GITHUB_REPO
from tests.test_tracker import FakeGitHub, github  # noqa: F401  (fixture)

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
DEV_COMMANDS = set(re.findall(r"^  ([a-z]+)\)$", (REPO / "dev").read_text(), re.M))
NOTE = "---\ntype: note\ntitle: {title}\n---\n# {title}\n\n{body}\n"
SITE = {
    "docs/notes/_section.yaml": "title: 笔记\norder: 1\n",
    "docs/notes/a.md": NOTE.format(title="甲", body="正文。"),
}


def _load(path: Path) -> dict[Any, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _steps(path: Path) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(job id, job, step) for every step of a workflow, in order."""
    data = _load(path)
    return [(name, job, step) for name, job in data["jobs"].items() for step in job["steps"]]


def _argv(run: str, env: dict[str, str]) -> list[str]:
    """A `run:` step as the runner's bash would split it, with `$NAME` expanded from env."""
    text = re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), m.group(0)), run)
    return shlex.split(text)


def test_the_three_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "links.yml", "pages.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_a_commit_with_its_version(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    uses = re.findall(r"uses: (\S+)( # v\d+\.\d+\.\d+)?$", text, re.M)
    assert uses
    for ref, version in uses:
        assert PINNED.match(ref), f"{path.name}: {ref} is not pinned to a commit SHA"
        assert version, f"{path.name}: {ref} has no '# vX.Y.Z' comment"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_step_is_a_dev_command_with_options_kb_knows(path: Path) -> None:
    data = _load(path)
    assert data.get("permissions") == {"contents": "read"}, "least privilege by default"
    for job_id, job, step in _steps(path):
        if "uses" in step:
            continue
        argv = _argv(step["run"], {})
        assert argv[0] == "./dev" and argv[1] in DEV_COMMANDS, f"{job_id}: {step['run']}"
        if argv[1] in ("kb", "publish"):
            kb_args = argv[2:] if argv[1] == "kb" else ["publish", *argv[2:]]
            cli._parser().parse_args(kb_args)  # an unknown option exits here
        # Values from the event reach the shell through env, never pasted into the script.
        assert "${{" not in step["run"], f"{job_id}: {step['run']}"
        assert job.get("timeout-minutes"), f"{job_id} has no timeout"


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def _run_steps(
    path: Path,
    root: Path,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    jobs: dict[str, dict[str, str]] | None = None,
) -> list[tuple[str, int]]:
    """Run a workflow's kb steps in `root` (what `./dev kb …` and `./dev publish …` run)."""
    monkeypatch.chdir(root)
    done = []
    for job_id, job, step in _steps(path):
        if "run" not in step or step["run"].startswith("./dev test"):
            continue
        if step.get("if") == "github.event_name == 'pull_request'" and "BASE_REF" not in env:
            continue
        matrix = job.get("strategy", {}).get("matrix", {}).get("shard", [None])
        for shard in matrix:
            given = {**env, **(jobs or {}).get(job_id, {})}
            step_env = {
                name: _expressions(str(value))
                for name, value in step.get("env", {}).items()
                if name not in given
            }
            step_env.update(given)
            if shard is not None:
                step_env["SHARD"] = str(shard)
            for name, value in step_env.items():
                monkeypatch.setenv(name, value)
            argv = _argv(step["run"], step_env)
            kb_args = argv[2:] if argv[1] == "kb" else ["publish", *argv[2:]]
            code = cli.run(["--root", str(root), *kb_args])
            done.append((" ".join(kb_args[:2]), code))
        if job_id == "shard":  # what download-artifact does between the two jobs
            (root / "shards").mkdir(exist_ok=True)
            for report in root.glob("links-*.json"):
                shutil.move(report, root / "shards" / report.name)
    capsys.readouterr()
    return done


CONTEXT = {"github.repository_owner": "owner", "github.event.repository.name": "repo"}
"""GitHub contexts of step `env:` values, as a run on github.com/owner/repo has them (the
tests pass the others, such as the token and the base ref, themselves)."""


def _expressions(value: str) -> str:
    """`${{ github.… }}` in a step's env, evaluated (one the test does not know fails it)."""
    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: CONTEXT[m.group(1)], value)


def test_ci_workflow_runs_here(
    site: SiteBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    root = site(SITE)
    assert cli.run(["--root", str(root), "build"]) == 0
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "site")
    _git(root, "update-ref", "refs/remotes/origin/main", "HEAD")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "BASE_REF": "main"}
    done = _run_steps(REPO / ".github/workflows/ci.yml", root, env, monkeypatch, capsys)
    assert done == [("build --check", 0), ("links --changed-since", 0)]
    assert summary.read_text(encoding="utf-8").count("### kb: no problems found") == 2


def test_pages_workflow_publishes_only_the_site(
    site: SiteBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    root = site(SITE)
    assert cli.run(["--root", str(root), "build"]) == 0
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    done = _run_steps(REPO / ".github/workflows/pages.yml", root, env, monkeypatch, capsys)
    assert done == [("publish _site", 0)]
    upload = next(
        step
        for _, _, step in _steps(REPO / ".github/workflows/pages.yml")
        if step.get("uses", "").startswith("actions/upload-pages-artifact@")
    )
    published = root / upload["with"]["path"]
    top = sorted(p.name for p in published.iterdir())
    assert top == [".kb-publish", ".nojekyll", "_headers", "_sidebar.md", "assets", "docs",
                   "index.html", "robots.txt", "static", "vendor"]  # fmt: skip
    assert (published / "docs/notes/a.md").is_file()
    sitemap = (published / "static/sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://owner.github.io/repo/static/notes/a/</loc>" in sitemap
    robots = (published / "robots.txt").read_text(encoding="utf-8")
    assert "Sitemap: https://owner.github.io/repo/static/sitemap.xml" in robots
    assert not (published / "docs/notes/_section.yaml").exists()


def test_links_workflow_runs_here(
    site: SiteBuilder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    github: FakeGitHub,  # noqa: F811
) -> None:
    root = site(SITE)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    report_env = {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": GITHUB_REPO,
        "GITHUB_TOKEN": "t0ken",
    }
    github.issues.append(
        {
            "number": 3,
            "state": "open",
            "title": "失效链接 / Broken links",
            "labels": ["broken-links"],
        }
    )
    done = _run_steps(
        REPO / ".github/workflows/links.yml",
        root,
        env,
        monkeypatch,
        capsys,
        jobs={"report": report_env},
    )
    assert done == [("links --shard", 0)] * 4 + [("links --merge", 0)]
    assert sorted(p.name for p in (root / ".kb-cache").glob("links-*.json")) == [
        f"links-{k}.json" for k in (1, 2, 3, 4)
    ]  # each shard's own cache, as the workflow restores and saves it
    assert github.issue(3)["state"] == "closed"  # nothing broken: the old issue is closed
    assert "no problems found" in summary.read_text(encoding="utf-8")


def test_python_dependencies_are_locked_with_hashes() -> None:
    """requirements/*.txt pin every package ./dev installs, with hashes, and agree with
    pyproject.toml; this environment is the locked one."""
    import tomllib
    from importlib.metadata import version

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {
        "base": project["dependencies"],
        "test": project["dependencies"] + project["optional-dependencies"]["test"],
    }
    for name, requirements in wanted.items():
        text = (REPO / "requirements" / f"{name}.txt").read_text(encoding="utf-8")
        pins = {
            canonicalize_name(m.group(1)): m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9._-]+)==(\S+) \\$", text, re.M)
        }
        hashed = re.findall(r"^\S+==\S+ \\\n +--hash=sha256:[0-9a-f]{64}", text, re.M)
        assert len(hashed) == len(pins) == len(re.findall("==", text)), name
        assert "setuptools" in pins  # the build backend: ./dev builds kb without isolation
        for line in requirements:
            requirement = Requirement(line)
            pinned = pins.get(canonicalize_name(requirement.name))
            assert pinned and requirement.specifier.contains(pinned), f"{name}: {line}"
    test_pins = re.findall(
        r"^([A-Za-z0-9._-]+)==(\S+) \\$",
        (REPO / "requirements" / "test.txt").read_text(encoding="utf-8"),
        re.M,
    )
    for package, pinned in test_pins:
        assert version(package) == pinned, f"{package}: installed {version(package)}"


def test_pre_commit_hooks_work_on_a_fresh_clone() -> None:
    """Every hook is a ./dev command (which installs the locked toolchain first), never a
    path into a virtualenv that a fresh clone does not have yet."""
    config = _load(REPO / ".pre-commit-config.yaml")
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert hooks and all(repo["repo"] == "local" for repo in config["repos"])
    for hook in hooks:
        argv = shlex.split(hook["entry"])
        assert argv[0] == "./dev" and argv[1] in DEV_COMMANDS, hook["id"]
        if argv[1] == "kb":
            cli._parser().parse_args(argv[2:])


def test_the_paper_form_offers_exactly_the_vocabulary_categories() -> None:
    form = _load(REPO / ".github/ISSUE_TEMPLATE/recommend-paper.yml")
    dropdown = next(item for item in form["body"] if item.get("id") == "category")
    offered = [option.split("（")[0] for option in dropdown["attributes"]["options"]]
    vocabulary = _load(REPO / "docs/_data/vocabulary.yaml")
    assert offered == list(vocabulary["categories"])
    for option in dropdown["attributes"]["options"]:
        term = option.split("（")[0]
        assert option == f"{term}（{vocabulary['categories'][term]['title']}）"
