// One gate worker: renders pages with the site's docsify (sandbox.mjs) and judges the HTML
// (judge.mjs). Messages in: batches of requests [{id, kind: 'page' | 'sidebar', file, route,
// text}, …], taken in order; out: {answers: [{id, findings: [{line, code, message, hint}],
// reads: [files]}, …]}. Which request it is on is kept in `progress` (progress.mjs).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

import { compilePolicy, judge } from './judge.mjs';
import { LINE_BREAK, alignLines, findMarkers, locator, markTokens, normalizeNewlines } from './lines.mjs';
import { PROGRESS_BUSY, PROGRESS_ID, PROGRESS_SEQ } from './progress.mjs';
import { siteReader, startDocsify } from './sandbox.mjs';

const config = workerData;
const progress = config.progress;
const parse5 = await import(pathToFileURL(path.join(config.nodeModules, 'parse5', 'dist', 'index.js')).href);
const policySource = JSON.parse(fs.readFileSync(config.policyFile, 'utf8'));
const policies = new Map();
const nonce = crypto.randomBytes(6).toString('hex');
let reads = new Set();
let tooLarge = new Set();
let readSite = () => null;
let policy;
let docsify;

let scripts;
try {
  scripts = config.scripts.map((file) => ({ file, code: fs.readFileSync(file, 'utf8') }));
  // One docsify serves every site with these scripts; each request says whose files it reads.
  docsify = startDocsify(scripts, (url) => readSite(url));
  parentPort.postMessage({ ready: true, loadErrors: docsify.loadErrors });
} catch (error) {
  parentPort.postMessage({ fatal: String((error && error.message) || error) });
}

/**
 * A fresh docsify after a page whose fetched files it may still hold (sandbox.mjs makes it
 * forget them, and the tokens of every text it renders, after each page), and every many
 * thousand pages (its memos of paths and URLs grow a little with every page).
 */
const RENDERS_PER_DOCSIFY = 20000;
let renders = 0;
function freshDocsify() {
  renders += 1;
  if (docsify.fetched() || renders % RENDERS_PER_DOCSIFY === 0) {
    docsify = startDocsify(scripts, (url) => readSite(url));
  }
}

/** The compiled policy for these iframe hosts, with the verdicts on formulas under it. */
function policyFor(hosts) {
  const key = JSON.stringify(hosts || []);
  if (!policies.has(key)) {
    const rules = compilePolicy(policySource, hosts || []);
    rules.scope = config.scope === 'script' ? 'script' : 'strict';
    policies.set(key, { rules, formulas: new Map() });
  }
  return policies.get(key);
}

/** Answers wait here until the queue runs low, then go out in one message. */
const ANSWERS_PER_MESSAGE = 4;
const queue = [];
let answers = [];
let working = false;

parentPort.on('message', (batch) => {
  for (const request of batch) queue.push(request);
  if (!working) work();
});

async function work() {
  working = true;
  while (queue.length) {
    const request = queue.shift();
    Atomics.store(progress, PROGRESS_ID, request.id);
    Atomics.add(progress, PROGRESS_SEQ, 1);
    Atomics.store(progress, PROGRESS_BUSY, 1);
    answers.push(await answer(request));
    Atomics.store(progress, PROGRESS_BUSY, 0);
    if (answers.length >= ANSWERS_PER_MESSAGE || !queue.length) {
      parentPort.postMessage({ answers });
      answers = [];
    }
  }
  working = false;
}

async function answer(request) {
  reads = new Set();
  tooLarge = new Set();
  readSite = siteReader(request.root, config.maxBytes, reads, tooLarge);
  policy = policyFor(request.iframeHosts);
  try {
    freshDocsify();
    const findings = request.kind === 'sidebar' ? sidebarFindings(request) : await pageFindings(request);
    return { id: request.id, findings, reads: [...reads].sort() };
  } catch (error) {
    return {
      id: request.id,
      findings: [unrenderable(`docsify failed on it: ${(error && error.message) || error}`)],
      reads: [...reads].sort(),
    };
  }
}

function unrenderable(why) {
  return {
    line: 1,
    code: 'SEC608',
    message: `page could not be rendered the way the site renders it (${why})`,
    hint: 'kb cannot tell what this page shows, so it refuses it; simplify the markup',
  };
}

const CONTEXTS = new Map();

function context(tagName) {
  let element = CONTEXTS.get(tagName);
  if (!element) {
    element = parse5.defaultTreeAdapter.createElement(tagName, 'http://www.w3.org/1999/xhtml', []);
    CONTEXTS.set(tagName, element);
  }
  return element;
}

/**
 * parse5's tree as the judge reads it: elements made with every field they will have (no
 * change of shape while parsing), and where each node starts; where it ends is never read,
 * so it is not kept.
 */
const TREE = {
  ...parse5.defaultTreeAdapter,
  createElement: (tagName, namespaceURI, attrs) => ({
    nodeName: tagName,
    tagName,
    attrs,
    namespaceURI,
    childNodes: [],
    parentNode: null,
    sourceCodeLocation: null,
  }),
  createCommentNode: (data) => ({ nodeName: '#comment', data, parentNode: null, sourceCodeLocation: null }),
  updateNodeSourceCodeLocation() {},
};

/**
 * parse5's tree of `html` parsed as the content of a `contextTag` element, and its parse
 * errors. Unless `located`, the tree has no source locations: parse5 turns them on to report
 * errors, but its tokenizer finds the same errors without them, and the tree is the same.
 * Most pages are clean, so a page is judged first without them; only a page with a finding
 * is parsed again to find where it comes from.
 */
function parse(html, contextTag, located = false) {
  const errors = [];
  const parser = parse5.Parser.getFragmentParser(context(contextTag), {
    sourceCodeLocationInfo: located,
    scriptingEnabled: true,
    treeAdapter: TREE,
    onParseError: (error) => errors.push(error),
  });
  parser.options.sourceCodeLocationInfo = located;
  parser.tokenizer.write(html, true);
  return { fragment: parser.getFragment(), errors };
}

/** What `profile` finds in `html`: looked for without source locations, placed with them. */
function judgeHtml(html, contextTag, profile) {
  const quick = parse(html, contextTag);
  if (!judge(policy.rules, profile, quick.fragment, quick.errors, html).length) return [];
  const exact = parse(html, contextTag, true);
  return judge(policy.rules, profile, exact.fragment, exact.errors, html);
}

async function pageFindings(request) {
  let compiled = '';
  let starts = [];
  const { html, toc } = await docsify.render(request.route, request.text, (tokens, src) => {
    compiled = src;
    const marked = markTokens(tokens, src, nonce);
    starts = marked.starts;
    return marked.tokens;
  });
  // Most pages are clean: where a finding comes from in the source is worked out only for
  // pages that have one.
  const quick = parse(html, 'article');
  let content = judge(policy.rules, 'content', quick.fragment, quick.errors, html);
  const formulas = [];
  for (const math of await typeset(quick.fragment)) {
    for (const f of judgeFormula(math)) formulas.push([f, math]);
  }
  const offsite = docsify.offsite();
  const tocFound = toc ? judgeHtml(toc, 'li', 'toc') : [];
  if (!content.length && !formulas.length && !offsite.length && !tooLarge.size && !tocFound.length) {
    return [];
  }

  const exact = parse(html, 'article', true);
  const fragment = exact.fragment;
  if (content.length) content = judge(policy.rules, 'content', fragment, exact.errors, html);
  if (formulas.length) {
    // The formulas were typeset in the tree without locations: the same elements, in order.
    const offsets = customElementOffsets(fragment);
    for (const [, math] of formulas) math.offset = offsets[math.index];
  }
  const lines = request.text.split(LINE_BREAK);
  const toSource = alignLines(request.text, normalizeNewlines(compiled));
  const located = locator(html, findMarkers(html, nonce), starts, toSource, lines);
  const found = content.map((f) => place(f, located(f.offset, f.needle)));
  for (const [f, math] of formulas) found.push(place(f, located(math.offset, f.needle || '$')));
  // A site outside kb's content model may embed other sites' files: its choice.
  for (const url of policy.rules.scope === 'script' ? [] : offsite) {
    const index = lines.findIndex((text) => text.includes(url));
    found.push({
      line: index < 0 ? 1 : index + 1,
      code: 'SEC603',
      message: `docsify would fetch ${url.length > 80 ? `${url.slice(0, 80)}…` : url} from another host and insert it`,
      hint: 'embed (:include) only files of this site',
    });
  }
  for (const file of tooLarge) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    const index = lines.findIndex((text) => text.includes(name));
    found.push({
      line: index < 0 ? 1 : index + 1,
      code: 'SEC608',
      message: `embeds ${file}, which is larger than ${Math.round(config.maxBytes / 1024)} KB, so kb cannot judge what it shows`,
      hint: 'split the embedded file, or link to it instead of embedding it',
    });
  }
  if (tocFound.length) {
    // The table of contents repeats the headings: a finding there belongs to its heading.
    const headings = headingOffsets(fragment);
    for (const f of tocFound) {
      const id = tocTarget(toc, f.offset);
      const offset = headings.get(id);
      found.push(place(f, offset === undefined ? firstHeadingLine(lines) : located(offset, f.needle)));
    }
  }
  return dedupe(found);
}

function sidebarFindings(request) {
  let starts = [];
  const html = docsify.renderSidebar(request.route, request.text, (tokens, src) => {
    const marked = markTokens(tokens, src, nonce);
    starts = marked.starts;
    return marked.tokens;
  });
  const found = judgeHtml(html, 'div', 'content');
  if (!found.length) return [];
  const lines = request.text.split(LINE_BREAK);
  const identity = lines.map((_, index) => index);
  const located = locator(html, findMarkers(html, nonce), starts, identity, lines);
  return dedupe(found.map((f) => place(f, located(f.offset, f.needle))));
}

/**
 * KaTeX's HTML, judged once per distinct output (pages repeat formulas). KaTeX answers a
 * formula it has typeset before with the same string, so the lookup hashes no new text.
 */
function judgeFormula(math) {
  const cache = policy.formulas;
  let byHtml = cache.get(math.tagName);
  if (!byHtml) cache.set(math.tagName, (byHtml = new Map()));
  let found = byHtml.get(math.html);
  if (!found) {
    found = judgeHtml(math.html, math.tagName, 'katex');
    if (byHtml.size > 50000) byHtml.clear();
    byHtml.set(math.html, found);
  }
  return found;
}

/**
 * Run the plugins' doneEach hooks on stand-ins for the page's custom elements (math is
 * typeset this way, by docsify-latex with KaTeX); returns the HTML they wrote.
 */
async function typeset(fragment) {
  const byTag = new Map();
  let count = 0;
  const stack = [fragment];
  while (stack.length) {
    const node = stack.pop();
    const children = node.childNodes;
    if (children) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    if (node.tagName && node.tagName.includes('-')) {
      const element = new StandIn(node, count++);
      const list = byTag.get(node.tagName);
      if (list) list.push(element);
      else byTag.set(node.tagName, [element]);
    }
  }
  if (!byTag.size) return [];
  await docsify.doneEach((name) => byTag.get(name.toLowerCase()) || []);
  const written = [];
  for (const list of byTag.values()) {
    for (const element of list) {
      if (element.written !== null) {
        written.push({ html: element.written, offset: element.offset, index: element.index, tagName: element.tagName });
      }
    }
  }
  return written;
}


/** What a plugin's doneEach sees of a custom element: its attributes and its HTML. */
class StandIn {
  constructor(node, index) {
    this.node = node;
    this.index = index;
    this.tagName = node.tagName;
    this.nodeName = node.tagName.toUpperCase();
    this.offset = node.sourceCodeLocation ? node.sourceCodeLocation.startOffset : 0;
    this.written = null;
    this.style = {};
    this.dataset = {};
    this.classList = { add() {}, remove() {}, contains: () => false, toggle() {} };
    this.attrs = null;
    this.inner = null;
  }
  attributes() {
    if (!this.attrs) this.attrs = new Map(this.node.attrs.map((a) => [a.name, a.value]));
    return this.attrs;
  }
  getAttribute(name) {
    const attrs = this.attributes();
    return attrs.has(name) ? attrs.get(name) : null;
  }
  hasAttribute(name) {
    return this.attributes().has(name);
  }
  setAttribute(name, value) {
    this.attributes().set(name, String(value));
  }
  removeAttribute(name) {
    this.attributes().delete(name);
  }
  querySelector() {
    return null;
  }
  querySelectorAll() {
    return [];
  }
  getElementsByTagName() {
    return [];
  }
  addEventListener() {}
  appendChild(child) {
    return child;
  }
  get innerHTML() {
    if (this.inner === null) this.inner = parse5.serialize(this.node);
    return this.inner;
  }
  set innerHTML(value) {
    this.inner = String(value);
    this.written = this.inner;
  }
  get textContent() {
    return textOf(this.node);
  }
  set textContent(value) {
    this.inner = String(value).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
  }
}

function textOf(node) {
  if (node.nodeName === '#text') return node.value;
  return (node.childNodes || []).map(textOf).join('');
}

/** Where each custom element starts, in the order typeset() meets them. */
function customElementOffsets(fragment) {
  const offsets = [];
  const stack = [fragment];
  while (stack.length) {
    const node = stack.pop();
    const children = node.childNodes;
    if (children) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    if (node.tagName && node.tagName.includes('-')) offsets.push(node.sourceCodeLocation ? node.sourceCodeLocation.startOffset : 0);
  }
  return offsets;
}

/** Offsets of the page's headings in its HTML, by id. */
function headingOffsets(fragment) {
  const found = new Map();
  const stack = [fragment];
  while (stack.length) {
    const node = stack.pop();
    if (node.childNodes) for (const child of node.childNodes) stack.push(child);
    if (/^h[1-6]$/.test(node.tagName || '') && node.sourceCodeLocation) {
      const id = node.attrs.find((a) => a.name === 'id');
      if (id && !found.has(id.value)) found.set(id.value, node.sourceCodeLocation.startOffset);
    }
  }
  return found;
}

/** The heading id of the table-of-contents entry that holds `offset`. */
function tocTarget(toc, offset) {
  const at = toc.lastIndexOf('?id=', offset);
  if (at < 0) return '';
  const match = /^\?id=([^"&'\s>]*)/.exec(toc.slice(at));
  try {
    return match ? decodeURIComponent(match[1]) : '';
  } catch {
    return match ? match[1] : '';
  }
}

function firstHeadingLine(lines) {
  const index = lines.findIndex((text) => /^ {0,3}#{1,6}(\s|$)/.test(text));
  return index < 0 ? 1 : index + 1;
}

function place(finding, line) {
  return { line, code: finding.code, message: finding.message, hint: finding.hint };
}

function dedupe(findings) {
  const seen = new Set();
  return findings.filter((f) => {
    const key = `${f.line}\u0000${f.code}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
