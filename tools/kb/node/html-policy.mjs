// The site's HTML policy (tools/kb/data/html-policy.json), compiled into the rules both walls
// apply: `kb check` judges rendered pages with them (judge.mjs) and the browser sanitizes
// everything it inserts with them (assets/kb-sanitize.js). One reading of the policy, so the
// walls cannot drift apart on what an allowed URL, class or style is.
//
// Plain ES2017 with no import or export: node imports this file as a module, and kb embeds it
// in vendor/kb-policy.js (kb.policy.render_policy_script), which the browser runs as a
// classic script under the site's CSP, with no build step. Either way it defines
// KB_HTML_POLICY on the global object.
(function (root) {
  'use strict';

  const NAMESPACES = {
    'http://www.w3.org/1999/xhtml': '',
    'http://www.w3.org/2000/svg': 'svg:',
    'http://www.w3.org/1998/Math/MathML': 'math:',
  };
  const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
  // A deliberately small CSS grammar: `name: value` pairs of letters, digits, `#.%(),-` and
  // spaces. Escapes, comments, strings, url() and !important never match, so what it allows
  // reads the same to the browser's CSS parser.
  const DECLARATION = /^\s*([a-zA-Z-]+)\s*:\s*([#0-9a-zA-Z.%(), -]*?)\s*$/;
  const CLASS_SEPARATOR = /[\t\n\f\r ]+/;
  /** Answers remembered per profile (classes and styles repeat on every page). */
  const MEMO_SIZE = 10000;

  function lower(list) {
    return (list || []).map((item) => String(item).toLowerCase());
  }

  /**
   * The policy with `extends` resolved, for pages that may embed `iframeHosts`:
   * {profiles: {name: Profile}, reservedIds, reservedPrefixes, dataImages, frameHosts}.
   */
  function compilePolicy(policy, iframeHosts) {
    const profiles = {};
    const build = (name, trail) => {
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
        memo: { rules: new Map(), classes: new Map(), styles: new Map() },
      };
      for (const base of spec.extends || []) {
        if (trail.indexOf(base) === -1) absorb(profile, build(base, trail.concat([name])));
      }
      for (const attr of lower(spec.attributes)) profile.attributes.add(attr);
      for (const key of Object.keys(spec.elements || {})) {
        const mine = profile.elements.get(key.toLowerCase()) || new Set();
        for (const attr of lower(spec.elements[key])) mine.add(attr);
        profile.elements.set(key.toLowerCase(), mine);
      }
      for (const key of Object.keys(spec.values || {})) {
        profile.values.set(key.toLowerCase(), new RegExp(spec.values[key]));
      }
      for (const key of Object.keys(spec.urls || {})) profile.urls.set(key.toLowerCase(), spec.urls[key]);
      for (const cls of spec.classes || []) profile.classes.add(cls);
      for (const pattern of spec.class_patterns || []) profile.classPatterns.push(new RegExp(pattern));
      for (const key of Object.keys(spec.styles || {})) {
        const mine = profile.styles.get(key.toLowerCase()) || new Map();
        for (const prop of Object.keys(spec.styles[key])) mine.set(prop, new RegExp(spec.styles[key][prop]));
        profile.styles.set(key.toLowerCase(), mine);
      }
      profiles[name] = profile;
      return profile;
    };
    for (const name of Object.keys(policy.profiles)) build(name, []);
    return {
      profiles,
      reservedIds: new Set(policy.reserved_ids || []),
      reservedPrefixes: policy.reserved_id_prefixes || [],
      dataImages: new Set(lower(policy.data_images)),
      frameHosts: new Set(lower(iframeHosts)),
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
    into.reservedIdsAllowed = into.reservedIdsAllowed || from.reservedIdsAllowed;
  }

  /** The policy's name for an element: its lower-case local name, `svg:`/`math:` prefixed. */
  function keyOf(namespaceURI, localName) {
    const prefix = Object.prototype.hasOwnProperty.call(NAMESPACES, namespaceURI) ? NAMESPACES[namespaceURI] : '?:';
    return prefix + String(localName).toLowerCase();
  }

  /**
   * What the profile says of attribute `name` on element `key`: {allowed} (the element is
   * allowed and lists the attribute, or every element may have it), {url}: the kind of URL
   * it holds, {value}: the pattern its value must match.
   */
  function attributeRule(profile, key, name) {
    const memo = profile.memo;
    let byName = memo.rules.get(key);
    if (!byName) {
      if (memo.rules.size >= MEMO_SIZE) memo.rules.clear();
      memo.rules.set(key, (byName = new Map()));
    }
    let rule = byName.get(name);
    if (!rule) {
      const own = profile.elements.get(key);
      rule = {
        allowed: profile.attributes.has(name) || Boolean(own && own.has(name)),
        url: profile.urls.get(`${key} ${name}`),
        value: profile.values.get(`${key} ${name}`) || profile.values.get(`* ${name}`),
      };
      if (byName.size >= MEMO_SIZE) byName.clear();
      byName.set(name, rule);
    }
    return rule;
  }

  /** A URL as the URL parser reads it: outer C0 controls and spaces trimmed, tabs and newlines dropped. */
  function urlText(value) {
    return String(value)
      .replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')
      .replace(/[\t\n\r]/g, '');
  }

  /** Why a URL may not stand in this place (`kind`: link, resource or frame), or '' when it may. */
  function urlProblem(policy, kind, value, key) {
    const url = urlText(value);
    const match = SCHEME.exec(url);
    const scheme = match ? match[1].toLowerCase() : '';
    if (kind === 'link') {
      if (!scheme || scheme === 'http' || scheme === 'https' || scheme === 'mailto') return '';
      return `${scheme}: URL`;
    }
    if (kind === 'resource') {
      if (!scheme) return /^[\\/][\\/]/.test(url) ? 'a URL on another host' : ''; // //host and \\host leave the site
      const data = /^data:([a-z]+\/[a-z0-9.+-]+)[;,]/i.exec(url);
      if (key === 'img' && scheme === 'data' && data && policy.dataImages.has(data[1].toLowerCase())) return '';
      if (scheme === 'data') return 'data: URL that is not a raster image';
      return scheme === 'http' || scheme === 'https' ? 'a URL on another host' : `${scheme}: URL`;
    }
    if (kind === 'frame') {
      let parsed;
      try {
        parsed = new URL(url);
      } catch (error) {
        return 'not an absolute https URL';
      }
      if (parsed.protocol !== 'https:') return `${parsed.protocol} URL`;
      if (parsed.username || parsed.password) return 'a URL with credentials';
      if (!policy.frameHosts.has(parsed.hostname.toLowerCase())) return `host ${parsed.hostname}`;
      return '';
    }
    return 'a URL';
  }

  function remember(memo, key, compute) {
    let answer = memo.get(key);
    if (answer === undefined) {
      answer = compute();
      if (memo.size >= MEMO_SIZE) memo.clear();
      memo.set(key, answer);
    }
    return answer;
  }

  /** A class attribute's classes, split: {kept: [allowed], dropped: [not allowed]}. */
  function classes(profile, value) {
    return remember(profile.memo.classes, value, () => {
      const kept = [];
      const dropped = [];
      for (const cls of String(value).split(CLASS_SEPARATOR)) {
        if (!cls) continue;
        const allowed = profile.classes.has(cls) || profile.classPatterns.some((pattern) => pattern.test(cls));
        (allowed ? kept : dropped).push(cls);
      }
      return { kept, dropped };
    });
  }

  /**
   * A style attribute's declarations on element `key`, split: {kept: ['prop: value'] as the
   * policy allows them (normalised), dropped: [declarations as written]}.
   */
  function styles(profile, key, value) {
    return remember(profile.memo.styles, `${key}\u0000${value}`, () => {
      const rules = profile.styles.get(key);
      const any = profile.styles.get('*');
      const kept = [];
      const dropped = [];
      for (const part of String(value).split(';')) {
        if (!part.trim()) continue;
        const match = DECLARATION.exec(part);
        const prop = match ? match[1].toLowerCase() : '';
        const text = match ? match[2].replace(/\s+/g, ' ').toLowerCase() : '';
        const rule = match && ((rules && rules.get(prop)) || (any && any.get(prop)));
        if (rule && rule.test(text)) kept.push(`${prop}: ${text}`);
        else dropped.push(part.trim());
      }
      return { kept, dropped };
    });
  }

  /** Whether an id belongs to the site's own layout (reserved ids and prefixes). */
  function reservedId(policy, value) {
    const id = String(value);
    return policy.reservedIds.has(id) || policy.reservedPrefixes.some((prefix) => id.indexOf(prefix) === 0);
  }

  root.KB_HTML_POLICY = Object.freeze({
    compilePolicy,
    keyOf,
    attributeRule,
    urlText,
    urlProblem,
    classes,
    styles,
    reservedId,
  });
})(typeof window !== 'undefined' ? window : globalThis);
