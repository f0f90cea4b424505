"""Benchmarks for the kb toolchain (not part of the test suite).

    python bench/run.py [NAME] [options]      or      ./dev bench [NAME] [options]

With no argument at all (or NAME `all`), every benchmark runs in turn with its defaults; options
without a NAME belong to `build`.

`build` clones the repository's real paper pages to sites of 1,000 / 5,000 / 10,000 pages under
`<repo>/.bench/` (or generates synthetic ones, `--pages synthetic`), and times per size: the
floor (bench/floor.py), `kb build` cold and warm (after a body edit and after a front-matter
edit), docsify-cli and mkdocs-material, on the same `docs/` in the same run. It prints a table
with ratios and the targets of issue 10, and writes `.bench/results-build.json`.

`broken-links` times a cold `kb check` with 3,000 links to missing pages against the same site
clean (bench/broken_links.py). `links` times `kb links` against lychee and linkinator on a
loopback web of 20 hosts, swept over timeout, slots per host and what a server does when the
client hangs up (bench/links_bench.py).
`search` and `search-quality`: bench/search_bench.py, bench/search_quality.py; `search-scale`:
kb's sharded index against Pagefind at 1,000 / 5,000 pages (bench/search_scale.py).
`search-eval`: the site's real search on 43 queries written as readers ask them: hit@1, hit@10,
MRR (bench/search_eval.py).
`export`: the static mirror, `kb export` against plain mkdocs-material on the same pages, with
full navigation and `navigation.prune`, on the repository and a generated 1,000-page site
(bench/export_bench.py).
`docsify-sites SITE…`: zero-config `kb check` on real docsify sites, what it finds and how fast
(bench/docsify_sites.py; the sites are fetched, never committed, so it is not part of `all`).
See bench/README.md for what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import build_bench
import peers
import report

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = "1000,5000,10000"
DEFAULT_SEED = 20261122
OTHERS = (
    "broken-links",
    "links",
    "search",
    "search-quality",
    "search-eval",
    "search-scale",
    "export",
)
"""Benchmarks with their own modules and options; `all` runs `build` and then these."""


def int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values or min(values) < 20:
        raise argparse.ArgumentTypeError("every size must be at least 20 pages")
    return values


def peer_list(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip() and part != "none")
    unknown = [name for name in names if name not in peers.PEERS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown peer {unknown[0]!r}; choose from {', '.join(peers.PEERS)} or 'none'"
        )
    return names


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench/run.py",
        description="kb benchmarks. 'build': the floor, kb build (cold, warm) and the peers.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument(
        "name",
        nargs="?",
        default="build",
        choices=["build", *OTHERS, "docsify-sites"],
        help="benchmark (no argument at all: every one; the others have their own options: "
        "`run.py NAME --help`)",
    )
    p.add_argument(
        "--pages",
        choices=build_bench.PAGES,
        default="real",
        help="real: the repository's docs/ with its paper pages cloned; synthetic: generated pages",
    )
    p.add_argument("--sizes", type=int_list, default=DEFAULT_SIZES, help="site sizes in pages")
    p.add_argument(
        "--repeat",
        type=positive,
        default=None,
        help="runs of the floor, kb cold and docsify-cli per size, median reported "
        "(default: 3 below 10,000 pages, else 1)",
    )
    p.add_argument(
        "--warm-repeat",
        type=positive,
        default=3,
        help="warm kb builds after a body edit, and as many after a front-matter edit",
    )
    p.add_argument(
        "--peers",
        type=peer_list,
        default="docsify-cli,mkdocs",
        help="peer tools to time, comma-separated, or 'none'",
    )
    p.add_argument(
        "--mkdocs-max-size",
        type=int,
        default=10_000,
        help="skip mkdocs on sites larger than this (mkdocs needs minutes at 10,000 pages)",
    )
    p.add_argument(
        "--mkdocs-repeat",
        type=positive,
        default=1,
        help="mkdocs runs per size (it takes minutes from 5,000 pages on; one run is enough)",
    )
    p.add_argument(
        "--mkdocs-nav",
        choices=peers.MKDOCS_NAV,
        default="auto",
        help="auto: mkdocs' own nav of every page (cost grows with pages²); "
        "home: a one-entry nav, to time mkdocs without its per-page navigation",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the site generator")
    p.add_argument("--python", default=sys.executable, help="interpreter that runs `python -m kb`")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds before a run is killed")
    p.add_argument("--no-kb", action="store_true", help="time the peers only")
    p.add_argument("--no-floor", action="store_true", help="skip the floor (bench/floor.py)")
    p.add_argument(
        "--generate-only", action="store_true", help="write the sites under .bench/ and stop"
    )
    return p


def options(args: argparse.Namespace) -> build_bench.Options:
    return build_bench.Options(
        repo=REPO,
        sizes=args.sizes,
        repeat=args.repeat,
        warm_repeat=args.warm_repeat,
        peers=args.peers,
        mkdocs_max_size=args.mkdocs_max_size,
        mkdocs_nav=args.mkdocs_nav,
        mkdocs_repeat=args.mkdocs_repeat,
        seed=args.seed,
        python=args.python,
        timeout=args.timeout,
        run_kb=not args.no_kb,
        pages=args.pages,
    )


def generate_only(opts: build_bench.Options) -> int:
    for size in opts.sizes:
        site = build_bench.generate(opts, size)
        print(f"{site.root}: {site.pages} pages, {site.bytes_total / 1e6:.1f} MB of markdown")
    return 0


def run_other(name: str, argv: list[str]) -> int:
    if name == "broken-links":
        import broken_links

        return broken_links.main(argv)
    if name == "links":
        import links_bench

        return links_bench.main(argv)
    if name == "docsify-sites":
        import docsify_sites

        return docsify_sites.main(argv)
    if name == "export":
        import export_bench

        return export_bench.main(argv)
    if name == "search-eval":
        import search_eval

        return search_eval.main(argv)
    if name == "search-quality":
        import search_quality

        return search_quality.main(argv)
    if name == "search-scale":
        import search_scale

        return search_scale.main(argv)
    import search_bench

    return search_bench.main(argv)


def run_all() -> int:
    """Every benchmark with its defaults, one after the other; the worst exit status."""
    codes = {}
    for name in ("build", *OTHERS):
        print(f"\n######## {name}\n", flush=True)
        codes[name] = main([name])
    print("\n" + "; ".join(f"{name}: exit {code}" for name, code in codes.items()))
    return max(codes.values())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv == ["all"]:
        return run_all()
    if argv[0] in (*OTHERS, "docsify-sites"):  # docsify-sites needs sites: not in `all`
        return run_other(argv[0], argv[1:])
    args = parser().parse_args(argv)
    opts = options(args)
    if args.generate_only:
        return generate_only(opts)
    try:
        tools = peers.install_peers(opts.bench_dir, opts.peers)
        if not args.no_floor:
            lib = peers.ensure_floor(opts.bench_dir / "floor-lib", opts.python)
            opts = dataclasses.replace(opts, floor_lib=lib)
    except peers.InstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = [build_bench.bench_size(opts, tools, size) for size in opts.sizes]
    versions = {"kb": build_bench.kb_version(opts), **peers.versions(tools)}
    if opts.floor_lib is not None:
        versions.update(peers.floor_versions())
    meta = {"versions": versions, "options": vars(args)}
    out = opts.bench_dir / "results-build.json"
    report.write_json(out, results, meta)
    print(report.markdown_table(results))
    print()
    for line in report.target_lines(results):
        print(line)
    for line in report.load_lines(results):
        print(line)
    print(f"\nJSON: {out}")
    problems = report.failures(results)
    for block in problems:
        print("\n" + block, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
