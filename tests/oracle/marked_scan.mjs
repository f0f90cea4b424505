// The oracle for kb's markdown scanner (tools/kb/markdown.py): what docsify 5 makes of a page.
//
// Reads {"latex": bool, "pages": [body, ...]} as JSON on stdin and writes one JSON result per
// page, in order: the headings (level, marked's heading text, the id docsify gives it), the
// links and images marked finds, the reference definitions it registers, and the link
// attributes of the raw HTML it passes on (parsed with parse5, as the browser parses them).
//
// The pipeline is docsify's own, with the site's plugins: docsify-latex's beforeEach hook
// (math becomes comments before marked sees the page, as assets/kb-config.js configures it),
// then marked from node_modules (the version docsify 5 depends on) with docsify's heading,
// link and image renderers imported from node_modules/docsify/src, so slugs come from
// docsify's slugify.js, `:id=` from its getAndRemoveConfig and the counter is cleared per
// page as docsify's compiler does. One process serves every page.

import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MODULES = path.join(ROOT, 'node_modules');
const RENDER = path.join(MODULES, 'docsify', 'src', 'core', 'render');

const { Marked } = await import(path.join(MODULES, 'marked', 'lib', 'marked.esm.js'));
const { slugify } = await import(path.join(RENDER, 'slugify.js'));
const { headingCompiler } = await import(path.join(RENDER, 'compiler', 'heading.js'));
const { linkCompiler } = await import(path.join(RENDER, 'compiler', 'link.js'));
const { imageCompiler } = await import(path.join(RENDER, 'compiler', 'image.js'));
const { parseFragment } = await import(path.join(MODULES, 'parse5', 'dist', 'index.js'));

// Attributes kb reads as links (tools/kb/markdown.py: _LINK_ATTRS, without srcset).
const LINK_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'poster', 'data', 'xlink:href']);

/** docsify-latex's beforeEach hook, loaded from its dist file with the site's settings. */
function latexHook() {
  const window = {
    // assets/kb-config.js: window.$docsify.latex
    $docsify: {
      latex: { inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$']] },
    },
    btoa: text => Buffer.from(text, 'latin1').toString('base64'),
    atob: text => Buffer.from(text, 'base64').toString('latin1'),
  };
  const context = vm.createContext({ window, ...window, encodeURIComponent, decodeURIComponent });
  const file = path.join(MODULES, 'docsify-latex', 'dist', 'docsify-latex.js');
  vm.runInContext(fs.readFileSync(file, 'utf8'), context, { filename: file });
  let before = null;
  const hook = { beforeEach: fn => { before = fn; }, afterEach() {}, doneEach() {} };
  for (const plugin of window.$docsify.plugins) plugin(hook, {});
  return text => {
    let out = text;
    before(text, result => { out = result; });
    return out;
  };
}

const LATEX_MARK = /<!-- latex:replace {2}([A-Za-z0-9+/=]*) -->/g;
const HTML_ENTITIES = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#039;': "'", '&amp;': '&' };

/** Text as written, where docsify-latex put a comment in place of each formula and text
 * before each comment that starts a line. */
function restoreLatex(text) {
  return text.replace(/latex:delete<!--/g, '<!--').replace(LATEX_MARK, (_, data) => {
    const element = decodeURIComponent(Buffer.from(data, 'base64').toString('latin1'));
    const formula = element.replace(/^<docsify-latex[^>]*>/, '').replace(/<\/docsify-latex>$/, '');
    return formula.replace(/&(?:lt|gt|quot|#039|amp);/g, entity => HTML_ENTITIES[entity]);
  });
}

/** A marked instance with docsify's renderers, and the headings it renders for a page. */
function docsifyMarked() {
  const router = {
    // Links are compared as written (marked's tokens); URLs docsify builds do not matter.
    getCurrentPath: () => '/page.md',
    toURL: (href, params) => (params && params.id ? `#/page?id=${params.id}` : href),
  };
  const config = { externalLinkRel: 'noopener', noCompileLinks: [] };
  const compiler = {
    blockquoteDepth: 0,
    toc: [],
    config,
    _matchNotCompileLink: () => undefined,
  };
  const marked = new Marked();
  const renderer = new marked.Renderer();
  headingCompiler({ renderer, router, compiler });
  linkCompiler({ renderer, router, linkTarget: '_blank', linkRel: 'noopener', compiler });
  imageCompiler({ renderer, contentBase: '', router });
  const headings = [];
  const docsifyHeading = renderer.heading;
  renderer.heading = function (token) {
    const html = docsifyHeading.call(this, token);
    const id = /^<h\d id="([^"]*)"/.exec(html);
    headings.push([token.depth, restoreLatex(token.text), id ? id[1] : null]);
    return html;
  };
  marked.setOptions({ renderer });
  return { marked, headings };
}

/** A link token's kind, from how it is written. */
function linkKind(token) {
  const raw = token.raw;
  const reference = /\]\[[^\]]*\]$/.test(raw) ? 'ref' : 'shortcut';
  if (token.type === 'image') return raw.endsWith(')') ? 'image' : `${reference}-image`;
  if (raw.startsWith('<')) return 'autolink';
  if (raw.startsWith('[')) return raw.endsWith(')') ? 'link' : `${reference}-link`;
  return 'bare';
}

/** Link attributes of the elements in an HTML token, as the browser parses them. */
function htmlLinks(html, links) {
  const visit = node => {
    for (const attr of node.attrs || []) {
      const name = attr.prefix ? `${attr.prefix}:${attr.name}` : attr.name;
      if (LINK_ATTRS.has(name)) links.push([`html:${node.tagName}:${name}`, attr.value]);
    }
    for (const child of node.childNodes || []) visit(child);
    if (node.content) visit(node.content);
  };
  visit(parseFragment(html));
}

/** The label a reference link or image uses: `[text][label]`, `[label][]` or `[label]`. */
function refLabel(raw) {
  const text = raw.replace(/^!/, '').replace(/\[\]$/, '');
  const full = /\]\[((?:\\[\s\S]|[^[\]\\])+)\]$/.exec(text);
  return full ? full[1] : text.slice(1, -1);
}

function scan(body, beforeEach, state) {
  const text = beforeEach ? beforeEach(body) : body;
  state.headings.length = 0;
  slugify.clear();
  const tokens = state.marked.lexer(text);
  state.marked.parser(tokens);
  const links = [];
  const html = [];
  state.marked.walkTokens(tokens, token => {
    if (token.type === 'link' || token.type === 'image') {
      const kind = linkKind(token);
      const entry = [kind, token.href];
      if (kind.startsWith('ref-')) entry.push(refLabel(token.raw));
      links.push(entry);
    } else if (token.type === 'html') {
      htmlLinks(token.text, html);
    }
  });
  const defs = Object.entries(tokens.links || {}).map(([label, def]) => [label, def.href]);
  return { headings: state.headings.slice(), links, defs, html };
}

function main() {
  const input = JSON.parse(fs.readFileSync(0, 'utf8'));
  const beforeEach = input.latex ? latexHook() : null;
  const state = docsifyMarked();
  const results = input.pages.map(body => {
    try {
      return scan(body, beforeEach, state);
    } catch (error) {
      return { error: String(error && error.stack ? error.stack : error) };
    }
  });
  process.stdout.write(JSON.stringify(results));
}

main();
