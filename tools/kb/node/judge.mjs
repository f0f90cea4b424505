// Judge rendered HTML against the site's HTML policy (tools/kb/data/html-policy.json), the
// same file the browser sanitizes with. HTML is parsed with parse5, a WHATWG-conformant
// parser, in the context the browser parses it in (innerHTML of the element docsify fills,
// scripting enabled), so elements hidden in comments, raw-text elements or attribute values
// are seen exactly where a browser would create them.
//
// This is the gate's own reading of the policy, written apart from the browser's
// (assets/kb-sanitize.js, DOMPurify): the two walls share the policy, not the code.

const NAMESPACES = {
  'http://www.w3.org/1999/xhtml': '',
  'http://www.w3.org/2000/svg': 'svg:',
  'http://www.w3.org/1998/Math/MathML': 'math:',
};

// Parse errors that mean the markup reads differently to different parsers: the way
// payloads hide from checkers (`<meta/http-equiv=…>`, `<!-->`, attributes glued together).
const AMBIGUOUS = new Map([
  ['unexpected-solidus-in-tag', "a '/' inside a tag"],
  ['unexpected-equals-sign-before-attribute-name', "an '=' where an attribute name should start"],
  ['unexpected-character-in-attribute-name', 'a quote or < inside an attribute name'],
  ['missing-whitespace-between-attributes', 'attributes without a space between them'],
  ['unexpected-character-in-unquoted-attribute-value', 'a quote, <, = or ` in an unquoted attribute value'],
  ['duplicate-attribute', 'the same attribute twice on one tag'],
  ['end-tag-with-attributes', 'an end tag with attributes'],
  ['eof-in-tag', 'a tag that is never closed'],
  ['eof-in-comment', 'a comment that is never closed'],
  ['nested-comment', "'<!--' inside a comment"],
  ['abrupt-closing-of-empty-comment', "a comment closed by '<!-->' or '<!--->'"],
  ['incorrectly-opened-comment', "a '<!' that does not open a comment"],
  ['incorrectly-closed-comment', "a comment closed by '--!>'"],
  ['unexpected-question-mark-instead-of-tag-name', "'<?', which HTML reads as a comment"],
  ['cdata-in-html-content', "'<![CDATA[' outside SVG or MathML"],
  ['eof-in-cdata', 'a CDATA section that is never closed'],
  ['eof-in-script-html-comment-like-text', 'a script that is never closed'],
]);

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/** The policy with `extends` resolved: {name: Profile}. */
export function compilePolicy(policy, iframeHosts) {
  const profiles = {};
  const build = (name, trail = []) => {
    if (profiles[name]) return profiles[name];
    const spec = policy.profiles[name];
    const profile = {
      name,
      attributes: new Set(),
      elements: new Map(),
      values: new Map(),
      urls: new Map(),
      classes: new Set(),
      classPatterns: [],
      styles: new Map(),
      reservedIdsAllowed: Boolean(spec.allow_reserved_ids),
    };
    for (const base of spec.extends || []) {
      if (!trail.includes(base)) absorb(profile, build(base, [...trail, name]));
    }
    for (const attr of spec.attributes || []) profile.attributes.add(attr.toLowerCase());
    for (const [key, attrs] of Object.entries(spec.elements || {})) {
      const mine = profile.elements.get(key.toLowerCase()) || new Set();
      for (const attr of attrs) mine.add(attr.toLowerCase());
      profile.elements.set(key.toLowerCase(), mine);
    }
    for (const [key, pattern] of Object.entries(spec.values || {})) {
      profile.values.set(key.toLowerCase(), new RegExp(pattern));
    }
    for (const [key, kind] of Object.entries(spec.urls || {})) profile.urls.set(key.toLowerCase(), kind);
    for (const cls of spec.classes || []) profile.classes.add(cls);
    for (const pattern of spec.class_patterns || []) profile.classPatterns.push(new RegExp(pattern));
    for (const [key, rules] of Object.entries(spec.styles || {})) {
      const mine = profile.styles.get(key.toLowerCase()) || new Map();
      for (const [prop, pattern] of Object.entries(rules)) mine.set(prop, new RegExp(pattern));
      profile.styles.set(key.toLowerCase(), mine);
    }
    profiles[name] = profile;
    return profile;
  };
  for (const name of Object.keys(policy.profiles)) build(name);
  return {
    profiles,
    reservedIds: new Set(policy.reserved_ids || []),
    reservedPrefixes: policy.reserved_id_prefixes || [],
    dataImages: new Set((policy.data_images || []).map((t) => t.toLowerCase())),
    frameHosts: new Set((iframeHosts || []).map((h) => h.toLowerCase())),
  };
}

function absorb(into, from) {
  for (const attr of from.attributes) into.attributes.add(attr);
  for (const [key, attrs] of from.elements) {
    const mine = into.elements.get(key) || new Set();
    for (const attr of attrs) mine.add(attr);
    into.elements.set(key, mine);
  }
  for (const [key, value] of from.values) into.values.set(key, value);
  for (const [key, value] of from.urls) into.urls.set(key, value);
  for (const cls of from.classes) into.classes.add(cls);
  into.classPatterns.push(...from.classPatterns);
  for (const [key, rules] of from.styles) {
    const mine = into.styles.get(key) || new Map();
    for (const [prop, rule] of rules) mine.set(prop, rule);
    into.styles.set(key, mine);
  }
  into.reservedIdsAllowed ||= from.reservedIdsAllowed;
}

/** A URL as the URL parser reads it: outer C0/space trimmed, tabs and newlines dropped. */
function urlText(value) {
  return value.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\n\r]/g, '');
}

/** Why a URL may not stand in this place, or '' when it may. */
function urlProblem(policy, kind, value, key) {
  const url = urlText(value);
  const match = SCHEME.exec(url);
  const scheme = match ? match[1].toLowerCase() : '';
  if (kind === 'link') {
    if (!scheme || ['http', 'https', 'mailto'].includes(scheme)) return '';
    return `${scheme}: URL`;
  }
  if (kind === 'resource') {
    if (!scheme) return /^[\\/][\\/]/.test(url) ? 'a URL on another host' : '';
    const data = /^data:([a-z]+\/[a-z0-9.+-]+)[;,]/i.exec(url);
    if (key === 'img' && scheme === 'data' && data && policy.dataImages.has(data[1].toLowerCase())) return '';
    if (scheme === 'data') return 'data: URL that is not a raster image';
    return scheme === 'http' || scheme === 'https' ? 'a URL on another host' : `${scheme}: URL`;
  }
  if (kind === 'frame') {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      return 'not an absolute https URL';
    }
    if (parsed.protocol !== 'https:') return `${parsed.protocol} URL`;
    if (parsed.username || parsed.password) return 'a URL with credentials';
    if (!policy.frameHosts.has(parsed.hostname.toLowerCase())) return `host ${parsed.hostname}`;
    return '';
  }
  return 'a URL';
}

// The CSS the policy can allow: `name: value` with letters, digits, `#.%(),-` and spaces.
const DECLARATION = /^\s*([a-zA-Z-]+)\s*:\s*([#0-9a-zA-Z.%(), -]*?)\s*$/;

function styleProblems(profile, key, value) {
  const rules = profile.styles.get(key);
  const any = profile.styles.get('*');
  const problems = [];
  for (const part of value.split(';')) {
    if (!part.trim()) continue;
    const match = DECLARATION.exec(part);
    const prop = match ? match[1].toLowerCase() : '';
    const text = match ? match[2].replace(/\s+/g, ' ').toLowerCase() : '';
    const rule = match && ((rules && rules.get(prop)) || (any && any.get(prop)));
    if (!rule || !rule.test(text)) problems.push(part.trim());
  }
  return problems;
}

function classProblems(profile, value) {
  return value
    .split(/[\t\n\f\r ]+/)
    .filter((cls) => cls && !profile.classes.has(cls) && !profile.classPatterns.some((p) => p.test(cls)));
}

function keyOf(node) {
  return (NAMESPACES[node.namespaceURI] ?? '?:') + node.tagName.toLowerCase();
}

function brief(value, size = 60) {
  const text = String(value).replace(/\s+/g, ' ');
  return text.length > size ? `${text.slice(0, size)}…` : text;
}

/**
 * Findings for one fragment: [{code, message, hint, offset, needle}], offsets into `html`.
 * `fragment` is parse5's tree of `html` (with source locations), `errors` its parse errors.
 */
export function judge(policy, profileName, fragment, errors, html = '') {
  const profile = policy.profiles[profileName];
  const found = [];
  const add = (code, message, hint, offset, needle) => found.push({ code, message, hint, offset, needle });
  // The markup as written is the surest way back to the source line (HTML that is not
  // markdown's own passes through unchanged): findings carry it as their first needle.
  const sourced = (node) => (code, message, hint, offset, needle) => {
    const located = node.sourceCodeLocation;
    const attr = located && located.attrs && Object.values(located.attrs).find((a) => a.startOffset === offset);
    const span = attr || (located && located.startTag);
    const raw = span ? firstLine(html.slice(span.startOffset, span.endOffset)) : '';
    add(code, message, hint, offset, [raw, ...(Array.isArray(needle) ? needle : [needle])].filter(Boolean));
  };
  for (const error of errors) {
    const why = AMBIGUOUS.get(error.code);
    if (why) {
      add('SEC607', `malformed HTML: ${why}`, 'write the HTML the way a browser reads it, or use markdown', error.startOffset, '');
    }
  }
  const stack = [fragment];
  while (stack.length) {
    const node = stack.pop();
    const children = node.content ? node.content.childNodes : node.childNodes;
    if (children) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    if (!node.tagName) continue;
    judgeElement(policy, profile, node, sourced(node));
  }
  return found;
}

function judgeElement(policy, profile, node, add) {
  const key = keyOf(node);
  const where = node.sourceCodeLocation;
  const offset = where ? where.startOffset : 0;
  const tag = `<${node.tagName}>`;
  const allowedAttrs = profile.elements.get(key);
  if (!allowedAttrs) {
    if (node.tagName.toLowerCase() === 'script') {
      add('SEC601', `${tag} element`, 'pages may not run scripts; remove it', offset, [`<${node.tagName}`]);
    } else {
      add('SEC605', `${tag} is not allowed in pages`, elementHint(key), offset, [`<${node.tagName}`]);
    }
  }
  if (key === 'input') {
    const type = (node.attrs.find((a) => a.name === 'type') || { value: 'text' }).value.toLowerCase();
    if (type !== 'checkbox') {
      add('SEC605', `<input type="${brief(type, 20)}"> is not allowed in pages`, 'only task-list checkboxes (- [ ] …) are', offset, '<input');
    }
  }
  if (key === 'iframe' && !node.attrs.some((a) => a.name === 'src')) {
    add('SEC604', '<iframe> without a src', 'embed a video with an https URL on an allowed host', offset, '<iframe');
  }
  for (const attr of node.attrs) {
    const name = (attr.prefix ? `${attr.prefix}:${attr.name}` : attr.name).toLowerCase();
    const value = attr.value;
    const at = where && where.attrs && where.attrs[attr.name] ? where.attrs[attr.name].startOffset : offset;
    if (name.startsWith('on')) {
      add('SEC602', `event handler '${name}' on ${tag}`, 'remove the attribute', at, [name, `<${node.tagName}`]);
      continue;
    }
    if (!allowedAttrs) continue; // the element itself is reported
    if (!profile.attributes.has(name) && !allowedAttrs.has(name)) {
      add('SEC606', `attribute '${name}' is not allowed on ${tag}`, attributeHint(name), at, [name, `<${node.tagName}`]);
      continue;
    }
    const kind = profile.urls.get(`${key} ${name}`);
    if (kind) {
      const problem = urlProblem(policy, kind, value, key);
      if (problem) {
        const code = kind === 'frame' ? 'SEC604' : 'SEC603';
        const hint =
          kind === 'frame'
            ? `embed only https URLs on: ${[...policy.frameHosts].join(', ') || 'no host (iframe_hosts is empty)'}`
            : kind === 'resource'
              ? 'load images and media from files in the repository'
              : 'link to an https page or a page of this site';
        add(code, `${problem} in ${tag} ${name}: ${brief(value)}`, hint, at, [urlNeedle(value), `${name}=`, `<${node.tagName}`, '](']);
      }
      continue;
    }
    const rule = profile.values.get(`${key} ${name}`) || profile.values.get(`* ${name}`);
    if (rule && !rule.test(value)) {
      add('SEC606', `${tag} ${name}="${brief(value, 40)}" is not allowed`, 'use one of the values pages normally need', at, name);
      continue;
    }
    if (name === 'id' && !profile.reservedIdsAllowed && reservedId(policy, value)) {
      add('SEC606', `id '${brief(value, 40)}' belongs to the site's own page layout`, 'choose another id', at, value);
    } else if (name === 'class') {
      for (const cls of classProblems(profile, value)) {
        add('SEC606', `class '${brief(cls, 40)}' is not allowed on ${tag}`, 'classes can restyle the whole site; only the ones markdown and KaTeX produce are allowed', at, cls);
      }
    } else if (name === 'style') {
      const problems = styleProblems(profile, key, value);
      for (const declaration of problems) {
        add('SEC606', `style '${brief(declaration, 50)}' is not allowed on ${tag}`, 'pages are styled by the site; remove the style attribute', at, 'style');
      }
    }
  }
}

function firstLine(text) {
  return text.split(/\r\n|\r|\n/)[0].slice(0, 80);
}

function reservedId(policy, value) {
  return policy.reservedIds.has(value) || policy.reservedPrefixes.some((p) => value.startsWith(p));
}

function urlNeedle(value) {
  const url = urlText(value);
  const scheme = SCHEME.exec(url);
  return scheme ? scheme[1] : url.slice(0, 20);
}

function elementHint(key) {
  if (key === 'meta' || key === 'base' || key === 'link') return 'it can redirect or restyle the whole site; remove it';
  if (key === 'style') return 'pages are styled by the site; remove it';
  if (key === 'iframe' || key === 'object' || key === 'embed' || key === 'frame') return 'embed videos with <iframe> from an allowed host, or link instead';
  if (key === 'form' || key === 'input' || key === 'button' || key === 'textarea' || key === 'select') return 'pages have no forms; remove it';
  if (key.startsWith('svg:')) return 'put the drawing in an .svg file under docs/_media/ and show it with ![…](…)';
  if (key.startsWith('math:')) return 'write formulas as $…$ (KaTeX)';
  return 'use markdown, or the HTML elements listed in docs/guide/contributing.md';
}

function attributeHint(name) {
  if (name === 'srcdoc') return 'srcdoc replaces the iframe with arbitrary HTML; remove it';
  if (name === 'style') return 'pages are styled by the site; remove the style attribute';
  if (name === 'formaction' || name === 'action') return 'pages have no forms; remove it';
  return 'remove the attribute';
}
