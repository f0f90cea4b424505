"""Random pages of markdown fragments through kb and the oracle: where do they still differ?

    .venv/bin/python -m tests.oracle.fuzz [--seed N] [--pages N] [--show N]

Each page is 2 to 12 lines drawn from fragments real pages use (headings, lists, quotes,
fences, HTML, formulas, definitions). Combinations no real page writes find the scanner's
remaining edge cases; this prints how many pages differ, by category, with the shortest
examples. Exploration, not a test: the comparison over real pages is tests/test_oracle.py.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter

from tests.oracle.compare import Disagreement, compare, oracle_scan

FRAGMENTS = [
    "# 标题", "## Title `code`", "### a $x$ b", "text", "段落 [a](b.md)", "![i](c.png)",
    "- item", "1. one", "2. two", "  - nested", "    indented", "        deep", "> quote",
    "> ## qh", "```", "```py", "~~~", "    ```", "<div>", "</div>", '<img src="x.png">',
    "<!-- c -->", "<!--", "-->", "---", "===", "***", "[r]: r.md", "[r][]", "[t][r]", "$$",
    "$x$", "| a | b |", "|---|---|", '<a href="h.md">x</a>', "[x](<a b.md>)", "[x](a(b)c)",
    "\\[e](e.md)", "`[c](c.md)`", "<http://x.org>", ":id=foo", "{docsify-ignore}",
    "* [s](s.md)", "\t- tab", "", "", "", "",
]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", type=int, default=3000)
    parser.add_argument("--show", type=int, default=2, help="examples per category")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    bodies = [
        "\n".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(2, 12))) + "\n"
        for _ in range(args.pages)
    ]
    found: dict[str, list[tuple[str, Disagreement]]] = {}
    differing = 0
    for body, result in zip(bodies, oracle_scan(bodies), strict=True):
        disagreements = list(compare("page", body, result))
        differing += bool(disagreements)
        for disagreement in disagreements:
            found.setdefault(disagreement.what, []).append((body, disagreement))
    counts = Counter({what: len(items) for what, items in found.items()})
    print(f"{differing} of {len(bodies)} pages differ: {dict(counts)}")
    for items in found.values():
        for body, disagreement in sorted(items, key=lambda item: len(item[0]))[: args.show]:
            print(f"---\n{body}{disagreement}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
