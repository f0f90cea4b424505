"""One diagnostic type shared by every check and every output format."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace


class Severity(enum.IntEnum):
    INFO = 10
    WARNING = 20
    ERROR = 30

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A finding about one place in one file."""

    file: str
    """Repo-relative posix path, e.g. ``docs/papers/x.md``."""
    line: int
    """1-based line; 0 means the whole file."""
    column: int
    """1-based column; 0 when unknown."""
    code: str
    """Stable code such as ``LNK201``; see ``CODES``."""
    message: str
    severity: Severity = Severity.ERROR
    hint: str = ""
    """What to do about it, e.g. "did you mean 'mri'?"."""

    @property
    def name(self) -> str:
        info = CODES.get(self.code)
        return info.name if info else ""

    def location(self) -> str:
        loc = self.file
        if self.line:
            loc += f":{self.line}"
            if self.column:
                loc += f":{self.column}"
        return loc

    def __str__(self) -> str:
        text = f"{self.location()}: {self.code} {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def encode(self) -> Encoded:
        """Builtins only, for the cache and the parse workers (marshal)."""
        return (
            self.file,
            self.line,
            self.column,
            self.code,
            self.message,
            int(self.severity),
            self.hint,
        )

    @classmethod
    def decode(cls, data: Encoded) -> Diagnostic:
        file, line, column, code, message, severity, hint = data
        return cls(file, line, column, code, message, Severity(severity), hint)


Encoded = tuple[str, int, int, str, str, int, str]
"""A `Diagnostic` as `Diagnostic.encode` writes it."""


class Refusal(Exception):
    """A finding raised where its place is not known (deep in a renderer); the caller that
    knows the file and line turns it into a `Diagnostic` with `at()`."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.finding = make(code, "", 0, message, hint=hint)

    @property
    def code(self) -> str:
        return self.finding.code

    def at(self, file: str, line: int) -> Diagnostic:
        return replace(self.finding, file=file, line=line)


@dataclass(frozen=True)
class CodeInfo:
    name: str
    """Kebab-case alias, e.g. ``link-target-missing``."""
    summary: str
    severity: Severity
    doc_zh: str
    """What it means, in Chinese, for the documentation page."""
    fix_zh: str
    """How to fix it, in Chinese, for the documentation page."""


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

CODES: dict[str, CodeInfo] = {
    # Front matter and metadata files.
    "FM101": CodeInfo(
        "front-matter-missing",
        "The page has no YAML front matter block.",
        E,
        "页面没有 YAML 元数据块。",
        "在文件开头写 `---`、各字段、再一行 `---`。",
    ),
    "FM102": CodeInfo(
        "yaml-syntax",
        "A YAML block or data file cannot be parsed.",
        E,
        "YAML 元数据或数据文件无法解析。",
        "按报告的行修正 YAML；含 `: `、`#` 或以 `[` 开头的值要加引号。",
    ),
    "FM103": CodeInfo(
        "front-matter-not-mapping",
        "The front matter is not a mapping of `key: value` pairs.",
        E,
        "元数据不是 `键: 值` 的映射。",
        "每行写一个 `键: 值`。",
    ),
    "FM104": CodeInfo(
        "page-type-invalid",
        "`type` is missing or is not one of the page types.",
        E,
        "缺少 `type`，或取值不是已知的页面类型。",
        "`type` 写 `paper`、`note`、`resources` 或 `guide`。",
    ),
    "FM105": CodeInfo(
        "field-missing",
        "A required field is missing.",
        E,
        "缺少必填字段。",
        "补上该字段；无法核实的论文信息请列入 `unconfirmed`。",
    ),
    "FM106": CodeInfo(
        "field-type",
        "A field has the wrong type (e.g. text where an integer is expected).",
        E,
        "字段类型不对，例如该写整数的地方写了文字。",
        "按提示中的期望格式填写。",
    ),
    "FM107": CodeInfo(
        "vocabulary-unknown",
        "A value is not in the controlled vocabulary.",
        E,
        "取值不在受控词表中。",
        "使用 `docs/_data/vocabulary.yaml` 中的取值，或在同一个 PR 中增加新词条。",
    ),
    "FM108": CodeInfo(
        "field-unknown",
        "The front matter has a field this page type does not define.",
        E,
        "该页面类型没有这个字段。",
        "删除该字段或修正拼写。",
    ),
    "FM109": CodeInfo(
        "field-format",
        "A value does not have the required format (DOI, arXiv id, URL, date, range).",
        E,
        "取值格式不对（DOI、arXiv 编号、网址、日期、范围）。",
        "按提示中的格式填写。",
    ),
    "FM110": CodeInfo(
        "key-duplicate",
        "The same key appears twice in one YAML mapping; the first value would be lost.",
        E,
        "同一个 YAML 映射里出现了重复的键，前一个值会被悄悄丢掉。",
        "只保留一个。",
    ),
    "FM111": CodeInfo(
        "identifier-missing",
        "A paper has none of `doi`, `arxiv`, `url`.",
        E,
        "论文没有 `doi`、`arxiv`、`url` 中的任何一个。",
        "补上 DOI 或 arXiv 编号；绝不猜测。",
    ),
    "FM112": CodeInfo(
        "paper-duplicate",
        "Two paper pages describe the same paper (same DOI, arXiv id or title).",
        E,
        "两个论文页描述的是同一篇论文（DOI、arXiv 编号或标题相同）。",
        "把两页合并为一页。",
    ),
    "FM113": CodeInfo(
        "section-metadata",
        "A section folder's `_section.yaml` is missing or invalid.",
        E,
        "栏目文件夹缺少 `_section.yaml` 或其内容无效。",
        "为 docs/ 下每个文件夹写 `_section.yaml`，包含 `title` 和 `order`。",
    ),
    "FM114": CodeInfo(
        "data-file-invalid",
        "A YAML data file or the vocabulary does not have the expected shape.",
        E,
        "YAML 数据文件或词表的结构不对。",
        "按提示修正对应条目。",
    ),
    "FM115": CodeInfo(
        "yaml-construct",
        "Front matter or a data file uses a YAML anchor, alias, tag or merge key, "
        "or nests deeper than 12 levels.",
        E,
        "元数据或数据文件使用了 YAML 锚点（`&`）、别名（`*`）、标签（`!`、`!!`）或合并键（`<<`），"
        "或嵌套超过 12 层；这些写法可被用来构造耗尽内存的“炸弹”，一律不予解析。",
        "把值完整写出来，不要引用或标注；把数据拆平，只用几层键和列表。",
    ),
    "FM116": CodeInfo(
        "metadata-markup",
        "A metadata value contains HTML markup (`<` followed by a letter, `/`, `!` or `?`).",
        E,
        "元数据或数据表中的文字含有 HTML 标记（`<` 后紧跟字母、`/`、`!` 或 `?`）；"
        "第三方前端可能把它当作 HTML 插入页面。",
        "元数据只写纯文本：删除标记；表示小于号时写 `< ` 加空格，或用全角 `＜`。",
    ),
    # Links, anchors, images.
    "LNK201": CodeInfo(
        "link-target-missing",
        "A link points to a page or file that does not exist.",
        E,
        "链接指向不存在的页面或文件。",
        "修正相对于当前页面的路径，或创建目标文件。",
    ),
    "LNK202": CodeInfo(
        "anchor-missing",
        "A link's `#anchor` / `?id=` matches no heading on the target page.",
        E,
        "链接中的 `#锚点` / `?id=` 在目标页面上找不到对应标题。",
        "使用目标标题的 docsify 5 锚点（见提示）。",
    ),
    "LNK203": CodeInfo(
        "image-missing",
        "An image file does not exist.",
        E,
        "图片文件不存在。",
        "把图片放到仓库中（如 `docs/_media/`）或修正路径。",
    ),
    "LNK204": CodeInfo(
        "link-outside-site",
        "A link climbs above the site root.",
        E,
        "链接跳出了仓库根目录。",
        "链接到仓库内的页面。",
    ),
    "LNK205": CodeInfo(
        "reference-undefined",
        "A reference-style link uses a label that is never defined.",
        W,
        "引用式链接使用了未定义的标签。",
        "在段落下方补上 `[标签]: 网址`，或改用行内链接。",
    ),
    "LNK206": CodeInfo(
        "image-remote",
        "An image is loaded from another host (hotlinked).",
        E,
        "图片外链自其他网站（盗链），随时可能失效。",
        "把图片（注意许可）存入仓库，或改为文字描述。",
    ),
    "LNK207": CodeInfo(
        "link-to-draft",
        "A published page links to a draft page, which the sidebar hides.",
        W,
        "已发布的页面链接到了草稿页，而草稿不出现在目录中。",
        "发布目标页面或删除该链接。",
    ),
    # External links (`kb links`).
    "LNK210": CodeInfo(
        "external-link-broken",
        "An external link is broken: 404/410, DNS failure, refused, redirect loop, "
        "or it kept failing or timing out after retries.",
        E,
        "外部链接失效：404/410、域名无法解析、连接被拒绝、重定向循环，或多次重试后仍出错/超时。",
        "换成有效的网址（可在网页存档中查找原文），或删除该链接。",
    ),
    "LNK211": CodeInfo(
        "external-link-moved",
        "An external link redirects permanently (301/308); the page should use the new URL.",
        W,
        "外部链接被永久重定向（301/308）。",
        "把链接改成提示中的新网址。",
    ),
    "LNK212": CodeInfo(
        "external-link-unverified",
        "An external link could not be verified but probably works for a human: "
        "403, a bot challenge, 401, or 429 after retries.",
        W,
        "外部链接无法由程序确认，但人工打开通常正常：403、人机验证页、401，或多次 429 限流。",
        "在浏览器中确认；确实可用时可在 `[tool.kb.links]` 中排除该网址或按站点设置状态码。",
    ),
    "LNK213": CodeInfo(
        "external-link-refused",
        "An external link points to an address that is not globally routable (private, "
        "loopback, link-local, shared/CGNAT, documentation and other special-purpose ranges), "
        "which readers cannot reach and the checker does not fetch.",
        E,
        "外部链接指向非全局可路由地址（内网、回环、链路本地、共享地址/CGNAT、文档示例及其他"
        "特殊用途网段），读者无法访问，检查器也不会请求。",
        "换成公网可访问（全局可路由）的网址；确需检查时在 `allow_networks` 中放行该网段。",
    ),
    "LNK214": CodeInfo(
        "external-anchor-missing",
        "An external page has no element with the link's `#fragment` (only with "
        "`check_fragments`).",
        W,
        "外部页面中找不到链接 `#片段` 对应的元素（仅在开启 `check_fragments` 时检查）。",
        "改用目标页面上存在的锚点，或去掉 `#片段`。",
    ),
    "LNK215": CodeInfo(
        "external-link-invalid",
        "A URL cannot be fetched as written: no host, a bad port, or credentials in it.",
        E,
        "网址本身无效：缺少主机名、端口错误，或包含账号密码。",
        "改正网址。",
    ),
    "LNK216": CodeInfo(
        "alias-remote",
        "The site's `alias` sends the link to another site; kb checks links offline, so it "
        "does not fetch it.",
        INFO,
        "站点配置的 `alias` 把该链接转到了别的网站；kb 离线检查，不会去请求它。",
        "用 `kb links` 联网检查这些地址。",
    ),
    "LNK217": CodeInfo(
        "include-type",
        "An `:include` names a `:type=` docsify does not know, so docsify guesses the type "
        "from the file name.",
        W,
        "`:include` 的 `:type=` 不是 docsify 支持的类型，docsify 会按文件名猜测类型。",
        "使用 code、markdown、iframe、video、audio 或 mermaid。",
    ),
    "LNK218": CodeInfo(
        "include-fragment-missing",
        "An `:include` asks for a `:fragment=` that the included file does not mark, so "
        "nothing is embedded.",
        E,
        "`:include` 指定的 `:fragment=` 在被嵌入的文件中没有标记，页面上什么也不会显示。",
        "在文件中用成对的 `### [名称]` 或 `/// [名称]` 行标出片段，或改正片段名。",
    ),
    "LNK219": CodeInfo(
        "link-outside-mirror",
        "A page links to a file outside the docs folder: docsify serves it, but the static "
        "mirror (`kb export`) holds only the docs folder, so the link breaks there.",
        E,
        "页面链接到 docs 目录之外的文件：docsify 能打开，"
        "但静态镜像（`kb export`）只包含 docs 目录，链接在镜像中会失效。",
        "改为链接 docs 目录中的页面（首页是 `docs/README.md`），或使用完整的 https 地址。",
    ),
    # The static mirror (kb export).
    "EXP801": CodeInfo(
        "mirror-build",
        "MkDocs could not build a page of the static mirror as it is (a link it cannot "
        "follow, a missing file).",
        E,
        "MkDocs 无法按原样构建静态镜像中的页面（链接无法解析、文件缺失等）。",
        "按消息修改页面，使它在 docsify 和镜像中都能工作，然后重新运行 `kb export`。",
    ),
    "EXP802": CodeInfo(
        "mirror-heading-id",
        "A heading of the page has no element with its docsify id in the mirror, so links "
        "to it work in docsify but not in the mirror.",
        E,
        "页面的某个标题在镜像中没有与 docsify 相同的 id，指向它的链接在镜像中会失效。",
        "把标题写成普通的 `## 标题` 行（不要放在 HTML 块或列表中）。",
    ),
    "EXP803": CodeInfo(
        "mirror-sanitized",
        "The mirror's sanitizer removed part of the page's HTML (an element, attribute or URL "
        "outside the site's allow-list).",
        W,
        "镜像的 HTML 净化器删除了页面中的部分内容（不在站点允许列表中的元素、属性或地址）。",
        "改用 Markdown，或只使用允许列表中的 HTML。",
    ),
    # Generated files.
    # Facts checked against the paper's record (`kb verify`, online).
    "VER701": CodeInfo(
        "record-title-differs",
        "The page's title is not the title in the paper's record (Crossref or arXiv).",
        E,
        "页面的 `title` 与论文记录（Crossref 或 arXiv）中的题目不一致。",
        "按原始来源核对题目；记录中的写法附在诊断信息里。",
    ),
    "VER702": CodeInfo(
        "record-year-differs",
        "The page's year is not the year in the paper's record.",
        E,
        "页面的 `year` 与论文记录中的年份不一致。",
        "按正式发表版本核对年份；依据预印本时在引用处说明。",
    ),
    "VER703": CodeInfo(
        "record-first-author-differs",
        "The page's first author is not the first author in the paper's record.",
        E,
        "页面的第一作者与论文记录中的第一作者不一致。",
        "按原始来源核对作者顺序。",
    ),
    "VER704": CodeInfo(
        "record-venue-differs",
        "The page's venue is not the journal or proceedings in the paper's record.",
        W,
        "页面的 `venue` 与论文记录中的期刊或会议名称不一致。",
        "核对期刊或会议的全称；记录中的写法附在诊断信息里。",
    ),
    "VER705": CodeInfo(
        "record-unavailable",
        "The paper's record could not be fetched, so its facts were not checked.",
        W,
        "无法取回论文记录（离线、编号不存在、限流或超时），本页的事实没有核对。",
        "检查 DOI / arXiv 编号；网络问题时稍后重试 `kb verify`。",
    ),
    "SB301": CodeInfo(
        "sidebar-stale",
        "`_sidebar.md` differs from what `kb sidebar` generates.",
        E,
        "`_sidebar.md` 与 `kb sidebar` 生成的结果不一致。",
        "运行 `kb sidebar`（或 `kb build`）并提交结果。",
    ),
    "TBL401": CodeInfo(
        "table-stale",
        "A generated table region differs from what `kb tables` renders.",
        E,
        "生成的表格区域已过期。",
        "运行 `kb tables`（或 `kb build`）并提交结果。",
    ),
    "TBL402": CodeInfo(
        "table-marker",
        "A `<!-- kb:table … -->` marker is malformed or not closed.",
        E,
        "`<!-- kb:table … -->` 标记格式不对或没有闭合。",
        "每个区域用单独一行的 `<!-- /kb:table -->` 结束。",
    ),
    "TBL403": CodeInfo(
        "table-spec",
        "A table marker names an unknown table or an unknown filter.",
        E,
        "表格标记指定了未知的表格或筛选条件。",
        "使用本页列出的表格与筛选条件。",
    ),
    # Markdown content.
    "MD501": CodeInfo(
        "math-inline-unbalanced",
        "A paragraph has an odd number of `$` inline-math delimiters.",
        E,
        "段落中用于行内公式的 `$` 个数为奇数。",
        "用 `$` 闭合公式，字面的美元符号写作 `\\$`。",
    ),
    "MD502": CodeInfo(
        "math-display-unbalanced",
        "A `$$` display-math block is never closed.",
        E,
        "`$$` 独立公式没有闭合。",
        "用 `$$` 结束公式块；公式块内不能有空行。",
    ),
    "MD503": CodeInfo(
        "code-fence-unclosed",
        "A fenced code block is never closed, so the rest of the page renders as code.",
        E,
        "代码块围栏没有闭合，页面余下部分都会显示成代码。",
        "用相同的围栏（三个或更多反引号或波浪线）结束代码块。",
    ),
    "MD504": CodeInfo(
        "page-too-large",
        "The page is larger than `max_page_kb`: kb does not read it, and docsify renders it "
        "slowly.",
        E,
        "页面超过 `max_page_kb`：kb 不再读取和检查它，docsify 渲染也会很慢。",
        "拆分页面，或在 `[tool.kb]` 中调大 `max_page_kb`。",
    ),
    "MD505": CodeInfo(
        "heading-missing",
        "The page has no `#` heading, so docsify shows no title.",
        W,
        "页面没有一级标题，docsify 不会显示页面标题。",
        "正文以 `# 标题` 开头。",
    ),
    "MD507": CodeInfo(
        "paper-sections",
        "A paper page lacks a section of the paper template, or has them out of order.",
        E,
        "论文页缺少模板中的某个 `##` 小节，或小节顺序不对。",
        "按模板顺序使用小节：一句话总结、研究问题、方法、数据、主要结果、局限与思考、相关笔记、链接。",
    ),
    "MD508": CodeInfo(
        "paper-unfilled",
        "A paper page still holds the template's placeholder text, or one of its template "
        "sections is empty.",
        E,
        "论文页还留着模板的占位文字，或模板中的某个小节是空的。",
        "把占位文字换成本页自己的内容；每个小节都要写。",
    ),
    "MD506": CodeInfo(
        "encoding",
        "The file is not valid UTF-8.",
        E,
        "文件不是有效的 UTF-8 编码。",
        "以 UTF-8 保存文件。",
    ),
    # Unsafe content: pages come from pull requests.
    "SEC601": CodeInfo(
        "script-tag",
        "A `<script>` element in what the page renders.",
        E,
        "页面渲染结果中出现 `<script>` 元素。",
        "删除；页面不允许运行脚本。",
    ),
    "SEC602": CodeInfo(
        "event-handler",
        "An inline event handler attribute (`onclick=`, `onerror=` …) in what the page renders.",
        E,
        "页面渲染结果中出现内联事件处理属性（`onclick=`、`onerror=` 等）。",
        "删除该属性。",
    ),
    "SEC603": CodeInfo(
        "script-url",
        "A URL that may not stand there: `javascript:` and other schemes in links, files from "
        "other hosts or non-image `data:` URLs in images and media.",
        E,
        "网址用在了不允许的位置：链接中的 `javascript:` 等协议，图片和媒体中的外站文件或非图片 "
        "`data:` 网址。",
        "链接到 https 页面或本站页面；图片和媒体放进仓库。",
    ),
    "SEC604": CodeInfo(
        "iframe-host",
        "An iframe whose `src` is not https on a host of the `iframe_hosts` allowlist.",
        E,
        "iframe 的 `src` 不是 `iframe_hosts` 白名单中主机的 https 地址。",
        "改为普通链接，或请维护者把该来源加入白名单。",
    ),
    "SEC605": CodeInfo(
        "unsafe-element",
        "An element the site's HTML policy does not allow (meta, style, base, form, object, "
        "noembed, svg, …): it can redirect, restyle or load foreign content.",
        E,
        "网站 HTML 白名单不允许的元素（meta、style、base、form、object、noembed、svg 等），"
        "它们可以跳转、改样式或加载外部内容。",
        "删除该元素，改用 Markdown。",
    ),
    "SEC606": CodeInfo(
        "unsafe-attribute",
        "An attribute, class, id or style the site's HTML policy does not allow (`srcdoc`, "
        "`style`, a class of the site's own layout …).",
        E,
        "网站 HTML 白名单不允许的属性、类名、id 或样式（`srcdoc`、`style`、网站布局用的类名等）。",
        "删除该属性；页面的样式由网站统一提供。",
    ),
    "SEC607": CodeInfo(
        "malformed-html",
        "HTML that parsers read in different ways (`<!-->`, `<meta/http-equiv>`, attributes "
        "glued together …), the way payloads hide from checks.",
        E,
        "不同解析器会读出不同结果的 HTML（`<!-->`、`<meta/http-equiv>`、属性之间没有空格等），"
        "恶意代码常借此躲过检查。",
        "按浏览器的读法写规范的 HTML，或改用 Markdown。",
    ),
    "SEC608": CodeInfo(
        "page-unrenderable",
        "The page could not be rendered the way the site renders it (docsify failed or took "
        "longer than `render_timeout`), so kb cannot judge it.",
        E,
        "无法按网站的方式渲染该页面（docsify 出错或超过 `render_timeout`），"
        "kb 无法判断它是否安全。",
        "简化页面内容；若页面确实很大，可拆分页面。",
    ),
    "SEC610": CodeInfo(
        "file-not-regular",
        "A symlink or special file (FIFO, device …) in the site: kb never follows it and it "
        "must not be published.",
        E,
        "网站中出现符号链接或特殊文件（管道、设备等）：kb 不会跟随它，它也不应被发布。",
        "提交文件本身，而不是指向它的链接。",
    ),
    "SEC611": CodeInfo(
        "file-type",
        "A file under docs/ whose type may not be published (`.html`, `.js`, `.css`, hidden "
        "files …), or an image that is not what its name says.",
        E,
        "docs/ 下出现不允许发布的文件类型（`.html`、`.js`、`.css`、隐藏文件等），或图片内容与扩展名"
        "不符。",
        "只提交 Markdown、YAML、PNG/JPEG/GIF/WebP/AVIF 图片和安全的 SVG。",
    ),
    "SEC612": CodeInfo(
        "svg-unsafe",
        "An SVG that can run script or load other content when opened (script, handlers, "
        "foreignObject, external references, DOCTYPE).",
        E,
        "打开时可能运行脚本或加载其他内容的 SVG（script、事件属性、foreignObject、外部引用、"
        "DOCTYPE）。",
        "导出为只含图形和文字的 SVG，或改用 PNG。",
    ),
    "SEC613": CodeInfo(
        "file-name",
        "A file name with characters that break links or HTML (quotes, `<>`, `#?%`, control "
        "characters …).",
        E,
        "文件名中含有会破坏链接或 HTML 的字符（引号、`<>`、`#?%`、控制字符等）。",
        "只用字母、数字、`-`、`_`、`.`、空格和括号。",
    ),
    "SEC614": CodeInfo(
        "csp-stale",
        "The Content-Security-Policy of index.html is missing or differs from the one kb "
        "writes for the site's settings.",
        E,
        "index.html 缺少 Content-Security-Policy，或与 kb 根据设置生成的不一致。",
        "运行 `kb build`（没有 CSP 时先在 `<head>` 中加上空的 CSP `<meta>`）。",
    ),
}


def with_severity(
    diagnostic: Diagnostic, overrides: dict[str, Severity | None]
) -> Diagnostic | None:
    """Apply a settings override; None means the code is switched off."""
    if diagnostic.code not in overrides:
        return diagnostic
    severity = overrides[diagnostic.code]
    return None if severity is None else replace(diagnostic, severity=severity)


def make(
    code: str,
    file: str,
    line: int,
    message: str,
    *,
    column: int = 0,
    hint: str = "",
) -> Diagnostic:
    """Build a diagnostic with the code's default severity."""
    return Diagnostic(file, line, column, code, message, CODES[code].severity, hint)
