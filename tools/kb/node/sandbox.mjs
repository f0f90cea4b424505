// The site's own docsify, run in a node `vm` context: the scripts index.html loads (docsify,
// its plugins, the site's config), in order, against a stand-in DOM. Pages are rendered
// through docsify's real pipeline — the plugins' beforeEach hooks, docsify's embeds and
// compiler (marked as bundled in docsify), the plugins' afterEach hooks — and the HTML
// docsify would hand to the browser is captured before anything sanitizes it.
//
// The stand-in DOM answers every lookup with an inert object, so docsify and its plugins run
// without a browser; page HTML is never interpreted here (judge.mjs parses it with parse5).
// Trusted code only runs here: the vendored packages and the site's own scripts. Page
// content is data (no script in it is ever executed: nothing here evaluates page text).

import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const ORIGIN = 'http://kb.invalid';
const INDEX = `${ORIGIN}/index.html`;

// Tree links are null, so code that walks the DOM (parents, siblings) stops at once.
const LINKS = new Set([
  'parentNode', 'parentElement', 'nextSibling', 'previousSibling', 'firstChild', 'lastChild',
  'nextElementSibling', 'previousElementSibling', 'firstElementChild', 'lastElementChild',
  'offsetParent', 'host', 'ownerElement', 'activeElement', 'scrollingElement',
]);

/** An object that answers any property, call or construction with another such object. */
function inert() {
  const target = function () {};
  return new Proxy(target, {
    get(_, prop) {
      if (LINKS.has(prop)) return null;
      if (prop === Symbol.toPrimitive) return () => '';
      if (prop === 'toString' || prop === 'valueOf') return () => '';
      if (prop === 'length') return 0;
      if (prop === Symbol.iterator) return function* () {};
      if (typeof prop === 'symbol' || prop === 'then' || prop === 'nodeType') return undefined;
      return inert();
    },
    set: () => true,
    apply: () => inert(),
    construct: () => inert(),
  });
}

class Location {
  constructor(href) {
    this._url = new URL(href);
  }
  get href() { return this._url.href; }
  set href(value) { this._url = new URL(value, this._url); }
  get hash() { return this._url.hash; }
  set hash(value) { this._url.hash = value; }
  get protocol() { return this._url.protocol; }
  get host() { return this._url.host; }
  get hostname() { return this._url.hostname; }
  get port() { return this._url.port; }
  get pathname() { return this._url.pathname; }
  get search() { return this._url.search; }
  get origin() { return this._url.origin; }
  assign(value) { this.href = value; }
  replace(value) { this.href = value; }
  reload() {}
  toString() { return this.href; }
}

/**
 * XMLHttpRequest for docsify's `get()`: answers from the site folder (embeds, `:include`).
 * Only regular files inside the site are read; everything else is a 404.
 */
function fileRequests(readSiteFile, gate) {
  return class SiteRequest {
    constructor() {
      this.readyState = 0;
      this.status = 0;
      this.statusText = '';
      this.response = '';
      this.responseText = '';
      this._listeners = {};
    }
    open(method, url) {
      this._url = String(url);
      this.readyState = 1;
    }
    setRequestHeader() {}
    getResponseHeader() { return null; }
    addEventListener(type, listener) {
      (this._listeners[type] ||= []).push(listener);
    }
    abort() {}
    send() {
      // docsify fetches the start page while it starts; only the pages kb renders are answered.
      if (!gate.open) return;
      gate.requested = true;
      let url;
      try {
        url = new URL(this._url, INDEX);
      } catch {
        url = null;
      }
      if (!url || url.origin !== ORIGIN) {
        // The browser refuses (CSP connect-src 'self'); the gate reports that it was asked.
        gate.offsite.push(this._url);
      }
      const text = url && url.origin === ORIGIN ? readSiteFile(this._url) : null;
      this.readyState = 4;
      this.status = text === null ? 404 : 200;
      this.statusText = text === null ? 'Not Found' : 'OK';
      this.response = this.responseText = text === null ? '' : text;
      // docsify keeps what it fetched (by URL): the store is forgotten after the page.
      if (text !== null) gate.files.expect(this._url, (stored) => stored && stored.content === text);
      gate.loading += 1;
      setImmediate(() => {
        gate.loading -= 1;
        for (const type of ['load', 'loadend']) {
          for (const listener of this._listeners[type] || []) quietly(listener, { target: this, type });
        }
      });
    }
  };
}

/** Call `fn`; an exception from site code run later (timers, events) must not end the worker. */
function quietly(fn, ...args) {
  try {
    return fn(...args);
  } catch {
    return undefined;
  }
}

const deferred = (schedule) => (fn, ...rest) => schedule(() => quietly(fn), ...rest);

/** Globals a browser page has that docsify and its plugins touch at load or render time. */
function browserGlobals(document, location, XMLHttpRequest) {
  const noop = () => {};
  const observer = class { observe() {} unobserve() {} disconnect() {} takeRecords() { return []; } };
  return {
    document,
    location,
    XMLHttpRequest,
    navigator: { userAgent: 'kb', language: 'zh-CN', languages: ['zh-CN'], platform: 'kb' },
    history: inert(),
    localStorage: inert(),
    sessionStorage: inert(),
    console: { log: noop, info: noop, warn: noop, error: noop, debug: noop },
    setTimeout: deferred(setTimeout),
    clearTimeout,
    setImmediate: deferred(setImmediate),
    queueMicrotask: deferred(queueMicrotask),
    setInterval: () => 0,
    clearInterval: noop,
    requestAnimationFrame: deferred(setImmediate),
    cancelAnimationFrame: noop,
    atob, btoa, URL, URLSearchParams, TextEncoder, TextDecoder, structuredClone,
    addEventListener: noop,
    removeEventListener: noop,
    dispatchEvent: () => true,
    matchMedia: () => ({ matches: false, addEventListener: noop, removeEventListener: noop, addListener: noop }),
    getComputedStyle: () => inert(),
    scrollTo: noop,
    scroll: noop,
    CSS: { supports: () => false, escape: (s) => String(s) },
    IntersectionObserver: observer,
    MutationObserver: observer,
    ResizeObserver: observer,
    performance: { now: () => 0, mark: noop, measure: noop, getEntriesByName: () => [] },
    fetch: () => new Promise(noop),
    // Constructors some code checks with `instanceof` or extends at load time.
    Element: class Element {},
    HTMLElement: class HTMLElement {},
    Node: class Node {},
    Event: class Event { constructor(type) { this.type = type; } },
    CustomEvent: class CustomEvent { constructor(type, init) { this.type = type; this.detail = init && init.detail; } },
    innerWidth: 1280,
    innerHeight: 900,
  };
}

/**
 * Load the site's scripts into a fresh context and start docsify on it.
 *
 * `scripts`: [{file, code}] in index.html order (the browser wall already left out).
 * `readSiteFile(url)`: text of a site file for docsify's requests, or null.
 * Returns {render(route, text), sidebar(route, text), loadErrors}.
 */
export function startDocsify(scripts, readSiteFile) {
  const listeners = {};
  const overrides = { elementsByTag: null };
  const documentBase = {
    readyState: 'loading',
    compatMode: 'CSS1Compat',
    currentScript: null,
    title: '',
    addEventListener(type, listener) {
      (listeners[type] ||= []).push(listener);
    },
    removeEventListener() {},
    getElementsByTagName(name) {
      return overrides.elementsByTag ? overrides.elementsByTag(String(name)) : [];
    },
    querySelectorAll() { return []; },
  };
  const document = new Proxy(documentBase, {
    get(target, prop) {
      return prop in target ? target[prop] : inert();
    },
    set(target, prop, value) {
      target[prop] = value;
      return true;
    },
  });
  const location = new Location(`${INDEX}#/`);
  const files = new Forgetful();
  const pageTokens = new Forgetful();
  const gate = { open: false, requested: false, loading: 0, offsite: [], files };
  const globals = browserGlobals(document, location, fileRequests(readSiteFile, gate));
  const context = vm.createContext(globals);
  const objects = vm.runInContext('Object.prototype', context);
  files.prototype = pageTokens.prototype = objects;
  globals.window = globals.self = globals.globalThis = globals.top = globals.parent = context;
  context.KB_SITE = {};

  const loadErrors = [];
  for (const script of scripts) {
    try {
      vm.runInContext(script.code, context, { filename: script.file });
    } catch (error) {
      loadErrors.push(`${script.file}: ${error && error.message}`);
    }
  }
  if (!context.$docsify || typeof context.DocsifyCompiler !== 'function') {
    throw new Error(
      `docsify did not load from the scripts index.html lists${loadErrors.length ? ` (${loadErrors.join('; ')})` : ''}`,
    );
  }

  // The last plugin: it keeps the docsify instance and takes the page HTML after every
  // other afterEach hook, which is exactly what the browser would insert into #main.
  let docsify = null;
  let capture = null;
  const capturePlugin = function (hook, instance) {
    docsify = instance;
    // It never calls `next`: docsify stops here, before it would touch the stand-in DOM.
    hook.afterEach((html, next) => {
      if (capture) capture(html);
    });
  };
  context.$docsify.plugins = [...(context.$docsify.plugins || []), capturePlugin];
  context.$docsify.catchPluginErrors = true;
  for (const listener of listeners.DOMContentLoaded || []) {
    try {
      listener.call(document);
    } catch (error) {
      loadErrors.push(`docsify start: ${error && error.message}`);
    }
  }
  const compiler = context.__current_docsify_compiler__;
  if (!docsify || !compiler) {
    throw new Error(`docsify did not start${loadErrors.length ? ` (${loadErrors.join('; ')})` : ''}`);
  }
  rememberFormulas(context);
  const tokensOf = skipTokenKeys(context);
  const marked = compiler._marked;
  const lexer = marked.lexer;
  gate.open = true;

  function route(routePath) {
    location.href = `${INDEX}#${routePath}`;
    docsify.route = compiler.router.parse();
    docsify.route.response = { ok: true, status: 200, statusText: 'OK' };
  }

  /**
   * The page at `routePath` with markdown `text`, as docsify renders it.
   * `mark(tokens)`: called with the page's top-level tokens; returns them with markers.
   */
  let renders = 0;
  function render(routePath, text, mark) {
    route(routePath);
    compiler.resetToc();
    // docsify keeps the tables of contents by route; every render starts afresh.
    compiler.cacheTree = {};
    compiler.cacheTOC = {};
    let first = true;
    marked.lexer = function (src, options) {
      const tokens = lexer.call(this, src, options);
      if (!first) return tokens;
      first = false;
      const marked = mark(tokens, src);
      tokensOf.page = marked;
      // docsify keeps every page's tokens, keyed by its text: forgotten after the page.
      pageTokens.expect(src, (stored) => Array.isArray(stored) && sameItems(stored, marked));
      return marked;
    };
    return new Promise((resolve, reject) => {
      capture = (html) => {
        capture = null;
        tokensOf.page = null;
        pageTokens.forget();
        marked.lexer = lexer;
        const toc = compiler.subSidebar(context.$docsify.subMaxLevel || 0) || '';
        resolve({ html, toc });
      };
      try {
        // docsify keeps the tokens of every text it has rendered (by the text): a page seen
        // before would skip the lexer, and with it the markers. A unique comment at the end
        // makes every text new.
        renders += 1;
        docsify._renderMain(`${text}\n\n<!-- kb-render ${renders} -->\n`, {}, () => {});
      } catch (error) {
        capture = null;
        tokensOf.page = null;
        pageTokens.forget();
        marked.lexer = lexer;
        reject(error);
      }
    });
  }

  /** `_sidebar.md` (or the navbar, cover) as docsify compiles it, with markers. */
  function renderSidebar(routePath, text, mark) {
    route(routePath);
    const tokens = mark(lexer.call(marked, text), text);
    compiler.resetToc();
    tokensOf.page = tokens;
    try {
      return compiler.compile(tokens);
    } finally {
      tokensOf.page = null;
    }
  }

  /**
   * Run the plugins' doneEach hooks against stand-in elements (by tag name); returns the
   * HTML each hook wrote into them (docsify-latex typesets math this way).
   */
  async function doneEach(elementsByTag) {
    overrides.elementsByTag = elementsByTag;
    try {
      for (const hook of docsify._hooks.doneEach || []) {
        try {
          await hook.call(docsify);
        } catch (error) {
          // A plugin that needs the real DOM: it writes nothing we can judge.
        }
      }
    } finally {
      overrides.elementsByTag = null;
    }
  }

  /**
   * Whether docsify may still hold a file it fetched since the last call: it keeps fetched
   * files for good, so a sandbox that cannot forget them (or that is still to receive one)
   * must not serve another page.
   */
  function fetched() {
    const requested = gate.requested;
    gate.requested = false;
    return (!files.forget() || gate.loading > 0) && requested;
  }

  /** URLs on other origins docsify asked for since the last call (embeds of other sites). */
  function offsite() {
    return gate.offsite.splice(0);
  }

  return { render, renderSidebar, doneEach, fetched, offsite, loadErrors, config: context.$docsify };
}

/**
 * One of docsify's module-level caches (a plain object nothing outside docsify can reach),
 * made forgetful. docsify keeps two for good: the tokens of every text it renders (keyed
 * by the text: every page rendered stays in memory) and every file it fetched (keyed by
 * URL: a later page would get the file as it was then). The object is found the first time
 * docsify stores into it: a setter for that one key on the context's Object.prototype,
 * which stores the value as the plain assignment would and is removed at once; the value
 * must be the one kb expects there. From then on, the keys each page stored are deleted.
 */
class Forgetful {
  constructor() {
    this.prototype = null;
    this.object = null;
    this.keys = [];
    this.hooked = new Set();
    this.stray = false;
  }

  /** docsify is about to store under `key`; `expected(value)` tells its value. */
  expect(key, expected) {
    this.keys.push(key);
    if (this.object || this.hooked.has(key) || Object.prototype.hasOwnProperty.call(this.prototype, key)) return;
    const self = this;
    this.hooked.add(key);
    Object.defineProperty(this.prototype, key, {
      configurable: true,
      get: () => undefined,
      set(value) {
        self.unhook(key);
        if (self.object === null && Object.getPrototypeOf(this) === self.prototype && expected(value)) {
          self.object = this;
        } else if (this !== self.object) {
          self.stray = true;
        }
        Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
      },
    });
  }

  unhook(key) {
    if (this.hooked.delete(key)) delete this.prototype[key];
  }

  /** Delete what was stored since the last call; false if it may still be held. */
  forget() {
    for (const key of this.hooked) delete this.prototype[key];
    this.hooked.clear();
    const keys = this.keys.splice(0);
    if (this.object) for (const key of keys) delete this.object[key];
    const clean = !this.stray;
    this.stray = false;
    return clean;
  }
}

function sameItems(a, b) {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/**
 * docsify compiles a page's tokens through a memo made afresh on every call, keyed by the
 * tokens as JSON: the key of a tree that is never looked up again costs as much as marked's
 * parser. The page's own token list gets an empty key (the memo is empty, so the compile
 * still runs); every other value is stringified as before.
 */
function skipTokenKeys(context) {
  const json = vm.runInContext('JSON', context);
  const stringify = json.stringify;
  const tokensOf = { page: null };
  json.stringify = function (value, ...rest) {
    if (value !== null && value === tokensOf.page) return '';
    return stringify.call(this, value, ...rest);
  };
  return tokensOf;
}

/**
 * KaTeX writes the same HTML for the same formula and options; pages repeat formulas, so
 * each is typeset once per sandbox. The options' macros are part of the key: a \gdef in one
 * formula changes what later ones render, exactly as in the browser.
 */
function rememberFormulas(context) {
  const katex = context.katex;
  if (!katex || typeof katex.renderToString !== 'function') return;
  const render = katex.renderToString;
  const seen = new Map();
  const ownMacros = (options) => Boolean(options) && Object.prototype.propertyIsEnumerable.call(options, 'macros');
  katex.renderToString = function (tex, options) {
    // Macros that are an own property of the options are in their JSON already.
    const macros = ownMacros(options) ? '' : JSON.stringify((options && options.macros) || {});
    const key = `${tex}\u0000${JSON.stringify(options || {})}\u0000${macros}`;
    let html = seen.get(key);
    if (html === undefined) {
      html = render.call(katex, tex, options);
      if (seen.size > 50000) seen.clear();
      seen.set(key, html);
    }
    return html;
  };
}

/**
 * Read a site file for docsify's requests: inside `root`, regular files only, bounded. A
 * regular file above `maxBytes` is not read and goes to `tooLarge`: the browser would still
 * show it, so the page that embeds it cannot be judged.
 */
export function siteReader(root, maxBytes, reads, tooLarge = new Set()) {
  let realRoot;
  return function readSiteFile(url) {
    if (realRoot === undefined) {
      try {
        realRoot = fs.realpathSync(root);
      } catch {
        realRoot = null;
      }
    }
    if (realRoot === null) return null;
    let rel;
    try {
      const parsed = new URL(url, `${INDEX}`);
      if (parsed.origin !== ORIGIN) return null;
      rel = decodeURIComponent(parsed.pathname).replace(/^\/+/, '');
    } catch {
      return null;
    }
    const full = path.resolve(realRoot, rel);
    if (!full.startsWith(realRoot + path.sep)) return null;
    try {
      // Every part of the path must be a real folder or file: symlinks are never followed.
      let walk = realRoot;
      for (const part of path.relative(realRoot, full).split(path.sep)) {
        walk = path.join(walk, part);
        const stat = fs.lstatSync(walk);
        if (stat.isSymbolicLink()) return null;
      }
      const stat = fs.statSync(full);
      if (!stat.isFile()) return null;
      reads.add(rel);
      if (stat.size > maxBytes) {
        tooLarge.add(rel);
        return null;
      }
      return fs.readFileSync(full, 'utf8');
    } catch {
      return null;
    }
  };
}
