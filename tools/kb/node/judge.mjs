// Judge rendered HTML against the site's HTML policy (tools/kb/data/html-policy.json), the
// same file the browser sanitizes with. HTML is parsed with parse5, a WHATWG-conformant
// parser, in the context the browser parses it in (innerHTML of the element docsify fills,
// scripting enabled), so elements hidden in comments, raw-text elements or attribute values
// are seen exactly where a browser would create them.
//
// The policy's rules (which URLs, classes and styles an element may have) are compiled by
// html-policy.mjs, the same code the browser's sanitizer (assets/kb-sanitize.js) runs.

import './html-policy.mjs';

const { attributeRule, classes, compilePolicy, keyOf, reservedId, styles, urlProblem, urlText } =
  globalThis.KB_HTML_POLICY;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

export { compilePolicy };

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
  for (const error of errors) {
    const why = AMBIGUOUS.get(error.code);
    if (why) {
      found.push({
        code: 'SEC607',
        message: `malformed HTML: ${why}`,
        hint: 'write the HTML the way a browser reads it, or use markdown',
        offset: error.startOffset,
        needle: '',
      });
    }
  }
  // The markup as written is the surest way back to the source line (HTML that is not
  // markdown's own passes through unchanged): findings carry it as their first needle.
  const add = (node, code, message, hint, offset, needle) => {
    const located = node.sourceCodeLocation;
    const attr = located && located.attrs && Object.values(located.attrs).find((a) => a.startOffset === offset);
    const span = attr || (located && located.startTag);
    const raw = span ? firstLine(html.slice(span.startOffset, span.endOffset)) : '';
    found.push({ code, message, hint, offset, needle: [raw, ...(Array.isArray(needle) ? needle : [needle])].filter(Boolean) });
  };
  const stack = [fragment];
  while (stack.length) {
    const node = stack.pop();
    const children = node.content ? node.content.childNodes : node.childNodes;
    if (children) for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    if (node.tagName) judgeElement(policy, profile, node, add);
  }
  return policy.scope === 'script' ? found.filter(runsScript) : found;
}

// A docsify site that does not use kb's content model styles its own pages and may hotlink
// images: there the gate reports only what can run script, navigate the reader away or load
// active content. Which elements and attributes those are:
const ACTIVE_ELEMENTS = new Set(['base', 'meta', 'object', 'embed', 'applet', 'frame', 'frameset', 'portal']);
const ACTIVE_ATTRIBUTES = new Set(['srcdoc', 'formaction', 'action', 'http-equiv']);
const ACTIVE_SCHEMES = /^\s*(?:javascript|vbscript|data|file|blob)\s*:/i;
// `javascript:void(0)` and `javascript:;`, the usual "link that goes nowhere": nothing runs.
const NO_OP = /^\s*javascript\s*:\s*(?:void\s*\(?\s*0\s*\)?)?\s*;?\s*$/i;

function runsScript(finding) {
  switch (finding.code) {
    case 'SEC601': case 'SEC602': case 'SEC607': case 'SEC608':
      return true;
    case 'SEC605': {
      const tag = /^<([^>\s]+)>/.exec(finding.message);
      return Boolean(tag && ACTIVE_ELEMENTS.has(tag[1].toLowerCase()));
    }
    case 'SEC606': {
      const attr = /^attribute '([^']+)'/.exec(finding.message);
      return Boolean(attr && ACTIVE_ATTRIBUTES.has(attr[1]));
    }
    case 'SEC603': case 'SEC604': {
      const at = finding.message.lastIndexOf(': ');
      const url = at >= 0 ? finding.message.slice(at + 2) : '';
      return ACTIVE_SCHEMES.test(url) && !NO_OP.test(url);
    }
    default:
      return true;
  }
}

function judgeElement(policy, profile, node, report) {
  const key = keyOf(node.namespaceURI, node.tagName);
  const where = node.sourceCodeLocation;
  const offset = where ? where.startOffset : 0;
  const tag = `<${node.tagName}>`;
  const allowedAttrs = profile.elements.get(key);
  if (!allowedAttrs) {
    if (node.tagName.toLowerCase() === 'script') {
      report(node, 'SEC601', `${tag} element`, 'pages may not run scripts; remove it', offset, [`<${node.tagName}`]);
    } else {
      report(node, 'SEC605', `${tag} is not allowed in pages`, elementHint(key), offset, [`<${node.tagName}`]);
    }
  }
  if (key === 'input') {
    const type = (node.attrs.find((a) => a.name === 'type') || { value: 'text' }).value.toLowerCase();
    if (type !== 'checkbox') {
      report(node, 'SEC605', `<input type="${brief(type, 20)}"> is not allowed in pages`, 'only task-list checkboxes (- [ ] …) are', offset, '<input');
    }
  }
  if (key === 'iframe' && !node.attrs.some((a) => a.name === 'src')) {
    report(node, 'SEC604', '<iframe> without a src', 'embed a video with an https URL on an allowed host', offset, '<iframe');
  }
  for (const attr of node.attrs) {
    const name = (attr.prefix ? `${attr.prefix}:${attr.name}` : attr.name).toLowerCase();
    const value = attr.value;
    const at = where && where.attrs && where.attrs[attr.name] ? where.attrs[attr.name].startOffset : offset;
    if (name.startsWith('on')) {
      report(node, 'SEC602', `event handler '${name}' on ${tag}`, 'remove the attribute', at, [name, `<${node.tagName}`]);
      continue;
    }
    if (!allowedAttrs) continue; // the element itself is reported
    const rule = attributeRule(profile, key, name);
    if (!rule.allowed) {
      report(node, 'SEC606', `attribute '${name}' is not allowed on ${tag}`, attributeHint(name), at, [name, `<${node.tagName}`]);
      continue;
    }
    const kind = rule.url;
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
        report(node, code, `${problem} in ${tag} ${name}: ${brief(value)}`, hint, at, [urlNeedle(value), `${name}=`, `<${node.tagName}`, '](']);
      }
      continue;
    }
    if (rule.value && !rule.value.test(value)) {
      report(node, 'SEC606', `${tag} ${name}="${brief(value, 40)}" is not allowed`, 'use one of the values pages normally need', at, name);
      continue;
    }
    if (name === 'id' && !profile.reservedIdsAllowed && reservedId(policy, value)) {
      report(node, 'SEC606', `id '${brief(value, 40)}' belongs to the site's own page layout`, 'choose another id', at, value);
    } else if (name === 'class') {
      for (const cls of classes(profile, value).dropped) {
        report(node, 'SEC606', `class '${brief(cls, 40)}' is not allowed on ${tag}`, 'classes can restyle the whole site; only the ones markdown and KaTeX produce are allowed', at, cls);
      }
    } else if (name === 'style') {
      for (const declaration of styles(profile, key, value).dropped) {
        report(node, 'SEC606', `style '${brief(declaration, 50)}' is not allowed on ${tag}`, 'pages are styled by the site; remove the style attribute', at, 'style');
      }
    }
  }
}

function firstLine(text) {
  return text.split(/\r\n|\r|\n/)[0].slice(0, 80);
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
