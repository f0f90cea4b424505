"""Search as readers ask: hit@1, hit@10 and mean reciprocal rank of the site's own search.

    ./dev bench search-eval

The queries are written the way a reader types them (questions, abbreviations, Latin terms
in any spelling), not copied from the pages' headings; each names the page that answers it.
The site is published (`kb publish`) and served on loopback, and every query runs through
the real search code in Chromium (`window.KB_SEARCH.routes`), so the numbers are what a
reader gets.
"""

from __future__ import annotations

import functools
import statistics
import sys
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"

# (what a reader types, the page that answers it)
QUERIES: list[tuple[str, str]] = [
    ("怎么添加一篇论文", "/docs/guide/contributing"),
    ("提交 PR 之前要检查什么", "/docs/guide/contributing"),
    ("报错代码是什么意思", "/docs/guide/diagnostics"),
    ("自己搭一个这样的网站", "/docs/guide/build-your-own"),
    ("unet", "/docs/notes/medical-image-segmentation"),
    ("u net 跳跃连接", "/docs/notes/medical-image-segmentation"),
    ("分割结果怎么评价", "/docs/notes/medical-image-segmentation"),
    ("豪斯多夫距离", "/docs/notes/medical-image-segmentation"),
    ("kaplan meier", "/docs/notes/survival-analysis"),
    ("删失数据怎么处理", "/docs/notes/survival-analysis"),
    ("c-index", "/docs/notes/survival-analysis"),
    ("log rank 检验", "/docs/notes/survival-analysis"),
    ("患病率低时阳性预测值", "/docs/notes/classification-metrics"),
    ("roc 曲线下面积", "/docs/notes/classification-metrics"),
    ("阈值怎么选", "/docs/notes/classification-metrics"),
    ("youden", "/docs/notes/classification-metrics"),
    ("残差连接为什么有用", "/docs/notes/classification-backbones"),
    ("resnet 瓶颈", "/docs/notes/classification-backbones"),
    ("densenet", "/docs/notes/classification-backbones"),
    ("lstm 梯度消失", "/docs/notes/deep-learning-basics"),
    ("反向传播", "/docs/notes/deep-learning-basics"),
    ("支持向量机 核函数", "/docs/notes/deep-learning-basics"),
    ("影像和表格数据一起建模", "/docs/notes/multimodal-fusion"),
    ("早期融合 晚期融合", "/docs/notes/multimodal-fusion"),
    ("心脏超声算射血分数", "/docs/papers/ouyang-2020-echonet-dynamic"),
    ("胸片筛查结核", "/docs/papers/wong-2022-tb-net"),
    ("联邦学习 隐私", "/docs/papers/elhussein-2023-pcbfl"),
    ("病理切片预测 msi", "/docs/papers/wagner-2023-transformer-crc-biomarker"),
    ("deepsurv", "/docs/papers/katzman-2018-deepsurv"),
    ("竞争风险", "/docs/papers/nagpal-2021-deep-survival-machines"),
    ("痴呆老人疼痛", "/docs/papers/rezaei-2021-pain-dementia"),
    ("社交媒体 阿片类", "/docs/papers/balsamo-2019-opiates-digital-cohort"),
    ("流式细胞 图神经网络", "/docs/papers/bini-2024-hemagraph"),
    ("点云 形状模型", "/docs/papers/adams-2024-point2ssm"),
    ("心脏数字孪生", "/docs/papers/camps-2024-cardiac-digital-twin"),
    ("儿童新冠重症", "/docs/papers/gao-2022-medml"),
    ("提升模型 因果树", "/docs/papers/nandy-2023-generalized-causal-tree"),
    ("骨肉瘤 化疗剂量", "/docs/papers/spreafico-2024-osteosarcoma-rdi"),
    ("视网膜血管分割", "/docs/papers/sun-2021-robust-vessel-segmentation"),
    ("uk biobank 表型", "/docs/papers/yang-2023-popdx"),
    ("cox time", "/docs/papers/kvamme-2019-cox-time"),
    ("d calibration", "/docs/papers/haider-2020-isd-d-calibration"),
    ("癌症发病 循环神经网络", "/docs/papers/bae-2023-ndeep"),
]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def evaluate(site: Path) -> list[tuple[str, str, int]]:
    """(query, wanted page, its rank among the first 10 results; 0 = not there)."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{site.name}/#/docs/"
    ranks = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("() => window.KB_SEARCH && document.body.dataset.kbRoute")
            for query, wanted in QUERIES:
                got = page.evaluate("q => window.KB_SEARCH.routes(q, {}, 10)", query)
                ranks.append((query, wanted, got.index(wanted) + 1 if wanted in got else 0))
            browser.close()
    finally:
        server.shutdown()
    return ranks


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO / "tools"))
    from kb import cli

    with tempfile.TemporaryDirectory(prefix="kb-search-eval-") as tmp:
        site = Path(tmp) / "site"
        if cli.run(["--root", str(REPO), "publish", str(site)]) != 0:
            return 2
        ranks = evaluate(site)
    print("| query | wanted page | rank |")
    print("| --- | --- | ---: |")
    for query, wanted, rank in ranks:
        print(f"| {query} | {wanted.rsplit('/', 1)[-1]} | {rank or '—'} |")
    hit1 = sum(r == 1 for _, _, r in ranks) / len(ranks)
    hit10 = sum(r > 0 for _, _, r in ranks) / len(ranks)
    mrr = statistics.mean(1 / r if r else 0 for _, _, r in ranks)
    print(f"\n{len(ranks)} queries: hit@1 {hit1:.2f}, hit@10 {hit10:.2f}, MRR {mrr:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
