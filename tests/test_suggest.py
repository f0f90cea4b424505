"""The one "did you mean" every check uses."""

from __future__ import annotations

from kb.suggest import did_you_mean, suggest
from tests.helpers import KbRunner, SiteBuilder


def test_the_closest_name_wins() -> None:
    assert suggest("modalty", ["modality", "mortality", "model"]) == "modality"


def test_nothing_close_enough_gives_none() -> None:
    assert suggest("xyz", ["modality", "task"]) is None
    assert did_you_mean("xyz", ["modality", "task"]) == ""


def test_cutoff_is_a_share_of_common_characters() -> None:
    # "ab" vs "abcd": 2 × 2 / 6 ≈ 0.67 in common.
    assert suggest("ab", ["abcd"], cutoff=0.6) == "abcd"
    assert suggest("ab", ["abcd"], cutoff=0.7) is None


def test_the_first_of_equally_close_names() -> None:
    assert suggest("cat", ["bat", "hat"]) == "bat"


def test_hint_text_with_prefix() -> None:
    assert did_you_mean("metods", ["methods", "results"], prefix="#") == "did you mean '#methods'?"


def test_no_names_no_hint() -> None:
    assert did_you_mean("anything", []) == ""


def test_a_missing_file_is_matched_only_within_its_folder(site: SiteBuilder, kb: KbRunner) -> None:
    note = "---\ntype: note\ntitle: {0}\n---\n# {0}\n"
    root = site(
        {
            "docs/notes/_section.yaml": "title: N\norder: 1\n",
            "docs/papers/_section.yaml": "title: P\norder: 2\n",
            "docs/notes/alpha-beta.md": note.format("A"),
            "docs/papers/alpha-betb.md": note.format("B"),
            "docs/notes/index.md": note.format("I") + "\n[x](alpha-betb.md)\n",
        }
    )
    code, out, _ = kb(root, "check")
    assert code == 2
    assert "did you mean 'docs/notes/alpha-beta.md'?" in out
    assert "papers/alpha-betb.md'?" not in out
