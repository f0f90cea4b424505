"""docsify 5 heading slugs (expected values checked against docsify 5.0.0's slugify.js)."""

from __future__ import annotations

import pytest

from kb.slugify import Slugger, slug_base, slugify_all, v4_slug


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("C++ vs. Java & Python!", "c-vs-java--python"),
        ("你好 world", "你好-world"),
        ("Title    with   multiple spaces", "title----with---multiple-spaces"),
        ("生存分析（Cox 模型）：介绍", "生存分析（cox-模型）：介绍"),
        ("方法，结果。讨论", "方法，结果。讨论"),
        ("1. 引言", "_1-引言"),
        ("2024 年回顾", "_2024-年回顾"),
        ("第1章", "第1章"),
        ("Hello 🚀 World", "hello--world"),
        ("🚀 Launch", "-launch"),
        ("❤️ Love", "-love"),
        ("<code>foo</code> bar", "foo-bar"),
        ("Use <em>this</em> one", "use-this-one"),
        ("  padded  ", "padded"),
        ("a\u3000b", "a-b"),
        ("Überblick ÄÖÜ", "Überblick-ÄÖÜ"),
        ("snake_case-and-kebab", "snake_case-and-kebab"),
        ("“引号”与 — 破折号", "引号与--破折号"),
    ],
)
def test_slug_base_matches_docsify5(heading: str, slug: str) -> None:
    assert slug_base(heading) == slug


def test_slug_base_keeps_the_text_of_a_markdown_link_in_a_heading() -> None:
    # docsify 5 replaces `[text](url)` by `text` before slugifying.
    assert slug_base("See [docs](x.md)") == "see-docs"
    assert slug_base("参见 [论文](../papers/a.md) 的附录") == "参见-论文-的附录"


def test_slug_base_applies_nfc_normalisation() -> None:
    decomposed = "Cafe\u0301"
    assert slug_base(decomposed) == "café"


def test_repeated_headings_get_numbered_suffixes() -> None:
    assert slugify_all(["小结", "小结", "小结"]) == ["小结", "小结-1", "小结-2"]


def test_repeats_are_counted_on_the_slug_not_the_text() -> None:
    assert slugify_all(["Intro", "intro!", "INTRO"]) == ["intro", "intro-1", "intro-2"]


def test_a_heading_that_looks_like_a_numbered_repeat_collides_as_in_docsify() -> None:
    # docsify keeps one counter per base slug, so 'a-1' can appear twice.
    assert slugify_all(["A", "A", "A-1", "A"]) == ["a", "a-1", "a-1", "a-2"]


def test_each_slugger_has_its_own_counter() -> None:
    first, second = Slugger(), Slugger()
    assert first.slug("背景") == "背景"
    assert first.slug("背景") == "背景-1"
    assert second.slug("背景") == "背景"


def test_v4_slug_collapses_runs_of_dashes() -> None:
    assert v4_slug("C++ vs. Java & Python!") == "c-vs-java-python"
    assert v4_slug("Title    with   multiple spaces") == "title-with-multiple-spaces"


def test_link_and_tag_stripping_match_docsify_regexes_on_random_text() -> None:
    import random
    import re

    from kb.slugify import _strip_links, _strip_tags

    links = re.compile(r"\[([^\]]+)\]\([^)]+\)")  # docsify's, as JavaScript runs it
    tags = re.compile(r"<[^>]+>")
    rng = random.Random(20261202)
    for _ in range(20000):
        text = "".join(rng.choice("[]()<>ab ") for _ in range(rng.randint(0, 30)))
        assert _strip_links(text) == links.sub(r"\1", text), text
        assert _strip_tags(text) == tags.sub("", text), text


@pytest.mark.parametrize("piece", ["[a](", "[", "<", "[a]", "<a"])
def test_hostile_headings_slug_in_linear_time(piece: str) -> None:
    # docsify's link and tag regexes retry from every `[` or `<` and read to the end when
    # nothing closes: quadratic. The work is counted, with no clock (tests/work.py).
    import kb.slugify
    from tests.work import assert_linear

    uncached = getattr(kb.slugify.slug_base, "__wrapped__", kb.slugify.slug_base)

    def slug(text: str) -> str:
        return uncached(text)

    assert_linear(slug, lambda n: piece * n + "x", 1_000, [kb.slugify])
    assert kb.slugify.slug_base(piece * 200_000 + "x").endswith("x")
