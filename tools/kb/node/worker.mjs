// One gate worker: renders pages with the site's docsify (sandbox.mjs) and judges the HTML
// (judge.mjs). Messages: {id, kind: 'page' | 'sidebar', file, route, text} in,
// {id, findings: [{line, code, message, hint}], reads: [files]} out.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

import { compilePolicy, judge } from './judge.mjs';
import { LINE_BREAK, alignLines, findMarkers, locator, markTokens, normalizeNewlines } from './lines.mjs';
import { siteReader, startDocsify } from './sandbox.mjs';

const config = workerData;
const parse5 = await import(pathToFileURL(path.join(config.nodeModules, 'parse5', 'dist', 'index.js')).href);
const policySource = JSON.parse(fs.readFileSync(config.policyFile, 'utf8'));
const policies = new Map();
const nonce = crypto.randomBytes(6).toString('hex');
let reads = new Set();
let tooLarge = new Set();
let readSite = () => null;
let policy;
let requestHosts = [];
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
 * A fresh docsify after a page that fetched files (docsify caches them by URL forever), and
 * every few hundred pages (docsify also keeps the tokens of every text it renders).
 */
const RENDERS_PER_DOCSIFY = 5000;
let renders = 0;
function freshDocsify() {
  renders += 1;
  if (docsify.fetched() || renders % RENDERS_PER_DOCSIFY === 0) {
    docsify = startDocsify(scripts, (url) => readSite(url));
  }
}

function policyFor(hosts) {
  const key = JSON.stringify(hosts || []);
  if (!policies.has(key)) policies.set(key, compilePolicy(policySource, hosts || []));
  return policies.get(key);
}

parentPort.on('message', async (request) => {
  reads = new Set();
  tooLarge = new Set();
  readSite = siteReader(request.root, config.maxBytes, reads, tooLarge);
  policy = policyFor(request.iframeHosts);
  requestHosts = request.iframeHosts || [];
  try {
    freshDocsify();
    const findings = request.kind === 'sidebar' ? sidebarFindings(request) : await pageFindings(request);
    parentPort.postMessage({ id: request.id, findings, reads: [...reads].sort() });
  } catch (error) {
    parentPort.postMessage({
      id: request.id,
      findings: [unrenderable(`docsify failed on it: ${(error && error.message) || error}`)],
      reads: [...reads].sort(),
    });
  }
});

function unrenderable(why) {
  return {
    line: 1,
    code: 'SEC608',
    message: `page could not be rendered the way the site renders it (${why})`,
    hint: 'kb cannot tell what this page shows, so it refuses it; simplify the markup',
  };
}

function context(tagName) {
  return parse5.defaultTreeAdapter.createElement(tagName, 'http://www.w3.org/1999/xhtml', []);
}

function parse(html, contextTag) {
  const errors = [];
  const fragment = parse5.parseFragment(context(contextTag), html, {
    sourceCodeLocationInfo: true,
    scriptingEnabled: true,
    onParseError: (error) => errors.push(error),
  });
  return { fragment, errors };
}

async function pageFindings(request) {
  let compiled = '';
  let starts = [];
  const { html, toc } = await docsify.render(request.route, request.text, (tokens, src) => {
    compiled = normalizeNewlines(src);
    const marked = markTokens(tokens, src, nonce);
    starts = marked.starts;
    return marked.tokens;
  });
  const lines = request.text.split(LINE_BREAK);
  const toSource = alignLines(request.text, compiled);
  const located = locator(html, findMarkers(html, nonce), starts, toSource, lines);
  const { fragment, errors } = parse(html, 'article');
  const found = judge(policy, 'content', fragment, errors, html).map((f) => place(f, located(f.offset, f.needle)));
  for (const math of await typeset(fragment)) {
    for (const f of judgeFormula(math)) found.push(place(f, located(math.offset, f.needle || '$')));
  }
  for (const url of docsify.offsite()) {
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
  if (toc) {
    // The table of contents repeats the headings: a finding there belongs to its heading.
    const headings = headingOffsets(fragment);
    const parsed = parse(toc, 'li');
    for (const f of judge(policy, 'toc', parsed.fragment, parsed.errors, toc)) {
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
  const lines = request.text.split(LINE_BREAK);
  const identity = lines.map((_, index) => index);
  const located = locator(html, findMarkers(html, nonce), starts, identity, lines);
  const { fragment, errors } = parse(html, 'div');
  return dedupe(judge(policy, 'content', fragment, errors, html).map((f) => place(f, located(f.offset, f.needle))));
}

/** KaTeX's HTML, judged once per distinct output (pages repeat formulas). */
const formulaVerdicts = new Map();

function judgeFormula(math) {
  const key = `${math.tagName}\u0000${JSON.stringify(requestHosts)}\u0000${math.html}`;
  let found = formulaVerdicts.get(key);
  if (!found) {
    const parsed = parse(math.html, math.tagName);
    found = judge(policy, 'katex', parsed.fragment, parsed.errors, math.html);
    if (formulaVerdicts.size > 50000) formulaVerdicts.clear();
    formulaVerdicts.set(key, found);
  }
  return found;
}

/**
 * Run the plugins' doneEach hooks on stand-ins for the page's custom elements (math is
 * typeset this way, by docsify-latex with KaTeX); returns the HTML they wrote.
 */
async function typeset(fragment) {
  const byTag = new Map();
  const stack = [fragment];
  while (stack.length) {
    const node = stack.pop();
    if (node.childNodes) for (let i = node.childNodes.length - 1; i >= 0; i--) stack.push(node.childNodes[i]);
    if (node.tagName && node.tagName.includes('-')) {
      const list = byTag.get(node.tagName) || [];
      list.push(standIn(node));
      byTag.set(node.tagName, list);
    }
  }
  if (!byTag.size) return [];
  await docsify.doneEach((name) => byTag.get(name.toLowerCase()) || []);
  const written = [];
  for (const list of byTag.values()) {
    for (const element of list) {
      if (element.written !== null) written.push({ html: element.written, offset: element.offset, tagName: element.tagName });
    }
  }
  return written;
}

function standIn(node) {
  const attrs = Object.fromEntries(node.attrs.map((a) => [a.name, a.value]));
  const element = {
    tagName: node.tagName,
    nodeName: node.tagName.toUpperCase(),
    offset: node.sourceCodeLocation ? node.sourceCodeLocation.startOffset : 0,
    written: null,
    style: {},
    dataset: {},
    classList: { add() {}, remove() {}, contains: () => false, toggle() {} },
    getAttribute: (name) => (name in attrs ? attrs[name] : null),
    hasAttribute: (name) => name in attrs,
    setAttribute: (name, value) => {
      attrs[name] = String(value);
    },
    removeAttribute: (name) => {
      delete attrs[name];
    },
    querySelector: () => null,
    querySelectorAll: () => [],
    getElementsByTagName: () => [],
    addEventListener() {},
    appendChild: (child) => child,
  };
  let inner = parse5.serialize(node);
  Object.defineProperty(element, 'innerHTML', {
    get: () => inner,
    set: (value) => {
      inner = String(value);
      element.written = inner;
    },
  });
  Object.defineProperty(element, 'textContent', {
    get: () => textOf(node),
    set: (value) => {
      inner = String(value).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
    },
  });
  return element;
}

function textOf(node) {
  if (node.nodeName === '#text') return node.value;
  return (node.childNodes || []).map(textOf).join('');
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
