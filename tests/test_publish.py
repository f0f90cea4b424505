"""`kb publish DIR`: the hosted site, only the files pages may publish, nothing on errors."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import KbRunner, SiteBuilder

NOTE = "---\ntype: note\ntitle: {title}\n---\n# {title}\n\n{body}\n"
BASE = {
    "docs/notes/_section.yaml": "title: 笔记\norder: 1\n",
    "docs/notes/a.md": NOTE.format(title="甲", body="![图](../_media/a.png)"),
    "docs/_media/a.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    "docs/_media/d.svg": "<svg xmlns='http://www.w3.org/2000/svg'><rect width='1'/></svg>",
}


def _site(site: SiteBuilder, kb: KbRunner, extra: dict[str, str | bytes] | None = None) -> Path:
    root = site({**BASE, **(extra or {})})
    assert kb(root, "build")[0] in (0, 2)
    return root


def test_publish_writes_the_hosted_site(site: SiteBuilder, kb: KbRunner, tmp_path: Path) -> None:
    root = _site(site, kb)
    out = tmp_path / "public"
    code, _, err = kb(root, "publish", str(out))
    assert code == 0, err
    for rel in (
        "index.html",
        "_sidebar.md",
        "assets/kb-sanitize.js",
        "vendor/docsify/docsify.min.js",
        "vendor/dompurify/purify.min.js",
        "vendor/kb-policy.js",
        "vendor/search/index.json",
        "docs/notes/a.md",
        "docs/_media/a.png",
        "docs/_media/d.svg",
        ".nojekyll",
        "_headers",
    ):
        assert (out / rel).is_file(), rel
    assert not (out / "pyproject.toml").exists() and not (out / ".kb-cache").exists()
    # kb's own inputs become the sidebar and tables; the site never loads them.
    assert (root / "docs/notes/_section.yaml").is_file()
    assert not (out / "docs/notes/_section.yaml").exists()
    assert (root / "docs/_data/vocabulary.yaml").is_file()
    assert not (out / "docs/_data").exists()
    assert "sandbox" in (out / "_headers").read_text(encoding="utf-8")
    assert oct((out / "docs").stat().st_mode)[-3:] == "755"


def test_nothing_is_published_while_a_check_fails(
    site: SiteBuilder, kb: KbRunner, tmp_path: Path
) -> None:
    root = _site(site, kb, {"docs/_media/evil.html": "<script>alert(1)</script>"})
    out = tmp_path / "public"
    code, stdout, err = kb(root, "publish", str(out))
    assert code == 2
    assert "SEC611" in stdout and "nothing published" in err
    assert not out.exists()


def test_refused_files_stay_out_even_when_their_check_is_switched_off(
    site: SiteBuilder, kb: KbRunner, tmp_path: Path
) -> None:
    root = site(
        {**BASE, "docs/_media/evil.html": "<script>alert(1)</script>"},
        kb_toml='severity = { SEC611 = "off" }\n',
    )
    kb(root, "build")
    out = tmp_path / "public"
    code, _, err = kb(root, "publish", str(out))
    assert code == 0, err
    assert (out / "docs/notes/a.md").is_file()
    assert not (out / "docs/_media/evil.html").exists()


def test_publish_replaces_its_own_output_and_never_a_foreign_folder(
    site: SiteBuilder, kb: KbRunner, tmp_path: Path
) -> None:
    root = _site(site, kb)
    out = tmp_path / "public"
    assert kb(root, "publish", str(out))[0] == 0
    (out / "stale.txt").write_text("from an older run")
    assert kb(root, "publish", str(out))[0] == 0
    assert not (out / "stale.txt").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    code, _, err = kb(root, "publish", str(foreign))
    assert code == 3 and "not written by `kb publish`" in err
    assert (foreign / "keep.txt").read_text() == "mine"


def test_publish_builds_the_static_mirror_beside_the_site(
    site: SiteBuilder, kb: KbRunner, tmp_path: Path
) -> None:
    root = _site(site, kb)
    out = tmp_path / "public"
    code, _, err = kb(root, "publish", str(out))
    assert code == 0, err
    assert (out / "static" / "notes" / "a" / "index.html").is_file()
    assert (out / "static" / "_media" / "a.png").is_file()
    assert "no site URL" in err
    assert "Sitemap:" not in (out / "robots.txt").read_text(encoding="utf-8")
    code, _, err = kb(root, "publish", "--site-url", "https://e.org/kb/", str(out))
    assert code == 0, err
    robots = (out / "robots.txt").read_text(encoding="utf-8")
    assert "Sitemap: https://e.org/kb/static/sitemap.xml" in robots
    code, _, err = kb(root, "publish", "--no-mirror", str(out))
    assert code == 0, err
    assert not (out / "static").exists() and not (out / "robots.txt").exists()
