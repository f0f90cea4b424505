// Read a docsify site's `window.$docsify` without trusting the site: the inline scripts of
// its index.html (and the local script files it names) run in a fresh `vm` context against
// a stand-in window, with code generation from strings switched off and a time limit. Node
// itself is started by kb with the permission model on (no file, process or network access
// beyond reading this file), so a hostile config can neither reach the machine nor hang kb.
//
// stdin:  {"scripts": [{"name": "index.html#1", "code": "..."}], "timeout": 1000}
// stdout: {"config": {...the keys kb uses, as JSON...}, "errors": ["index.html#2: ..."],
//          "found": true|false}

import vm from 'node:vm';

const KEYS = [
  'basePath', 'homepage', 'ext', 'alias', 'relativePath', 'loadSidebar', 'loadNavbar',
  'nameLink', 'routerMode', 'subMaxLevel', 'coverpage', 'onlyCover', 'name', 'notFoundPage',
  'mergeNavbar', 'noCompileLinks', 'fallbackLanguages', 'maxLevel', 'executeScript',
];

function readStdin() {
  return new Promise(resolve => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', chunk => { data += chunk; });
    process.stdin.on('end', () => resolve(data));
  });
}

const input = JSON.parse(await readStdin());
const timeout = Math.max(50, Math.min(Number(input.timeout) || 1000, 5000));
// A null-prototype sandbox: the context's global inherits nothing from this realm, so
// `this.constructor.constructor` is the context's own Function (blocked), not node's.
const context = vm.createContext(Object.create(null), {
  codeGeneration: { strings: false, wasm: false },
});
// The stand-in browser is built inside the context, from the context's own objects: the
// site's code sees nothing of this process.
vm.runInContext(
  `(() => {
    const inert = () => new Proxy(function () {}, {
      get: (_, p) => (p === Symbol.toPrimitive || p === 'toString' || p === 'valueOf')
        ? () => '' : (typeof p === 'symbol' || p === 'then') ? undefined : inert(),
      set: () => true, apply: () => inert(), construct: () => inert(),
    });
    const g = globalThis;
    g.window = g; g.self = g;
    g.document = inert(); g.navigator = { userAgent: 'kb', language: 'en' };
    g.location = { href: 'http://kb.invalid/', origin: 'http://kb.invalid', protocol: 'http:',
      host: 'kb.invalid', hostname: 'kb.invalid', pathname: '/', hash: '', search: '' };
    g.localStorage = g.sessionStorage = { getItem: () => null, setItem() {}, removeItem() {} };
    g.console = { log() {}, warn() {}, error() {}, info() {}, debug() {} };
    g.setTimeout = g.setInterval = () => 0; g.clearTimeout = g.clearInterval = () => {};
    g.addEventListener = g.removeEventListener = () => {};
    g.fetch = () => new Promise(() => {});
    g.history = { replaceState() {}, pushState() {}, back() {}, state: null, length: 1 };
    g.requestAnimationFrame = () => 0; g.performance = { now: () => 0 };
    g.matchMedia = () => ({ matches: false, addEventListener() {}, addListener() {} });
    // Names the page's other scripts would define (docsify, plugins from a CDN) resolve to
    // inert objects, so a config that mentions them still runs to its end.
    const own = name => Object.prototype.hasOwnProperty.call(g, name) || name in g;
    g.__kbScope = new Proxy(Object.create(null), {
      has: (_, name) => typeof name === 'string' && name !== '__kbScope' && !own(name),
      get: (_, name) => (name === Symbol.unscopables ? undefined : inert()),
      set: (_, name, value) => { g[name] = value; return true; },
    });
  })()`,
  context,
);
const errors = [];
for (const script of input.scripts || []) {
  try {
    const code = `with (__kbScope) {\n${String(script.code)}\n}`;
    vm.runInContext(code, context, { filename: script.name, timeout, lineOffset: -1 });
  } catch (error) {
    const message = error && error.message ? error.message : String(error);
    errors.push(`${script.name}: ${message.split('\n')[0].slice(0, 200)}`);
  }
}
// Everything that touches the site's objects runs inside the context, under the time
// limit, one key at a time: a getter or a proxy in the config cannot hang this process, and
// costs only its own key.
const PLAIN = `const plain = (value, depth) => {
  if (value === null || value === undefined) return null;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean') return value;
  if (type === 'function') return { $kind: 'function' };
  if (value instanceof RegExp) return { $kind: 'regexp', source: String(value.source) };
  if (depth > 6) return { $kind: 'deep' };
  if (Array.isArray(value)) return value.slice(0, 1000).map(v => plain(v, depth + 1));
  if (type === 'object') {
    const out = {};
    for (const key of Object.keys(value).slice(0, 1000)) out[key] = plain(value[key], depth + 1);
    return out;
  }
  return { $kind: type };
};`;
const result = { config: {}, found: false };
const first = line => String(line && line.message).split('\n')[0].slice(0, 200);
try {
  result.found = vm.runInContext(
    `(() => {
      let c = globalThis.$docsify;
      if (typeof c === 'function') c = c({});
      globalThis.__kbConfig = c;
      return c !== null && typeof c === 'object';
    })()`,
    context,
    { timeout },
  ) === true;
} catch (error) {
  errors.push(`window.$docsify: ${first(error)}`);
}
for (const key of result.found ? KEYS : []) {
  try {
    const json = vm.runInContext(
      `(() => { ${PLAIN}
        const c = globalThis.__kbConfig;
        if (!Object.prototype.hasOwnProperty.call(c, ${JSON.stringify(key)})) return '';
        return JSON.stringify(plain(c[${JSON.stringify(key)}], 0));
      })()`,
      context,
      { timeout },
    );
    if (typeof json === 'string' && json !== '') result.config[key] = JSON.parse(json);
  } catch (error) {
    errors.push(`window.$docsify.${key}: ${first(error)}`);
  }
}
process.stdout.write(JSON.stringify({ ...result, errors }));
