/*
 * MedAI Notes: the browser wall. Every piece of HTML the site inserts is sanitized here,
 * with DOMPurify (the browser's own parser, so no parser differential) and the site's
 * HTML policy (window.KB_POLICY, written by kb from tools/kb/data/html-policy.json: the same
 * file `kb check` judges pages by). The policy is compiled into rules by window.KB_HTML_POLICY
 * (tools/kb/node/html-policy.mjs, which kb writes into vendor/kb-policy.js after the policy):
 * the very code `kb check` judges with.
 *
 *   content   page HTML after every docsify plugin (afterEach, registered last), the sidebar
 *             and cover docsify compiles, the heading docsify adds (autoHeader)
 *   toc       the table of contents docsify builds from a page's headings
 *   katex     what KaTeX writes for a formula (katex.renderToString is wrapped)
 *   chrome    the last net: a Trusted Types default policy that every innerHTML,
 *             outerHTML, insertAdjacentHTML, DOMParser and srcdoc assignment on the page
 *             goes through (the CSP in index.html makes Trusted Types mandatory). Browsers
 *             without Trusted Types get the same net by wrapping those setters.
 *
 * If DOMPurify or the policy did not load, nothing is rendered (fail closed).
 *
 * Plain ES2017, no build step, no inline code (the page runs under a strict CSP).
 */
(function () {
  'use strict';

  var policy = window.KB_POLICY;
  var rules = window.KB_HTML_POLICY;
  var factory = window.DOMPurify;
  var MAX_LOG = 500;

  // What the wall removed, for tests and the curious (bounded).
  var wall = { ok: false, removed: [] };
  window.KB_WALL = wall;

  function note(profile, what) {
    if (wall.removed.length < MAX_LOG) {
      what.profile = profile;
      wall.removed.push(what);
    }
  }

  /* ---------- the policy, compiled (html-policy.mjs) ---------- */

  var compiled = null;

  function keyOf(node) {
    return rules.keyOf(node.namespaceURI, node.localName || '');
  }

  function urlAllowed(kind, value, key) {
    return !rules.urlProblem(compiled, kind, value, key);
  }

  /* ---------- one DOMPurify instance per profile ---------- */

  // DOMPurify reports the document wrapper it parses into; that is not content.
  var WRAPPERS = { html: true, head: true, body: true };
  var ttPolicy = null; // identity policy DOMPurify parses with; never leaves this closure

  function makeSanitizer(name) {
    var profile = compiled.profiles[name];
    var purify = factory(window);
    var tags = [];
    var attrs = new Set();
    profile.elements.forEach(function (elementAttrs, key) {
      tags.push(key.replace(/^(svg|math):/, ''));
      elementAttrs.forEach(function (attr) {
        attrs.add(attr);
      });
    });
    profile.attributes.forEach(function (attr) {
      attrs.add(attr);
    });
    var config = {
      ALLOWED_TAGS: tags,
      ALLOWED_ATTR: Array.from(attrs),
      ALLOW_DATA_ATTR: false,
      ALLOW_ARIA_ATTR: false,
      ALLOW_UNKNOWN_PROTOCOLS: false,
      KEEP_CONTENT: true,
      RETURN_TRUSTED_TYPE: false,
      TRUSTED_TYPES_POLICY: ttPolicy || null
    };

    purify.addHook('uponSanitizeElement', function (node, data) {
      if (node.nodeType !== 1) {
        return;
      }
      var key = keyOf(node);
      var drop = !profile.elements.has(key) && profile.elements.has(data.tagName);
      if (!drop && key === 'iframe') {
        drop = !urlAllowed('frame', node.getAttribute('src') || '', key);
      }
      if (!drop && key === 'input') {
        drop = String(node.getAttribute('type') || '').toLowerCase() !== 'checkbox';
      }
      if (drop && node.parentNode) {
        note(name, { element: key });
        node.parentNode.removeChild(node);
      }
    });

    purify.addHook('uponSanitizeAttribute', function (node, data) {
      var key = keyOf(node);
      var attr = data.attrName;
      var value = data.attrValue;
      var rule = rules.attributeRule(profile, key, attr);
      var keep = rule.allowed;
      if (keep && rule.value && !rule.value.test(value)) {
        keep = false;
      }
      if (keep && rule.url && !urlAllowed(rule.url, value, key)) {
        keep = false;
      }
      if (keep && attr === 'id' && !profile.reservedIdsAllowed && rules.reservedId(compiled, value)) {
        keep = false;
      }
      var dropped = false; // a whole attribute that goes is in DOMPurify's own list
      var split;
      if (keep && attr === 'class') {
        split = rules.classes(profile, value);
        dropped = split.dropped.length > 0;
        keep = split.kept.length > 0;
        data.attrValue = split.kept.join(' ');
      }
      if (keep && attr === 'style') {
        split = rules.styles(profile, key, value);
        dropped = split.dropped.length > 0;
        keep = split.kept.length > 0;
        data.attrValue = split.kept.join('; ');
      }
      if (dropped) {
        note(name, { element: key, attribute: attr, value: String(value).slice(0, 200) });
      }
      data.keepAttr = keep;
    });

    // A link that opens a new tab never hands the reader's tab to the page it opens.
    purify.addHook('afterSanitizeAttributes', function (node) {
      if (node.nodeType === 1 && node.getAttribute('target') === '_blank') {
        node.setAttribute('rel', 'noopener noreferrer');
      }
    });

    return function sanitize(html) {
      var clean = purify.sanitize(String(html == null ? '' : html), config);
      purify.removed.forEach(function (item) {
        if (item.attribute) {
          note(name, { element: item.from ? keyOf(item.from) : '', attribute: item.attribute.name });
        } else if (item.element && item.element.nodeType === 1 && !WRAPPERS[keyOf(item.element)]) {
          note(name, { element: keyOf(item.element) });
        }
      });
      return clean;
    };
  }

  /* ---------- fail closed ---------- */

  if (
    !policy ||
    !policy.profiles ||
    !rules ||
    typeof rules.compilePolicy !== 'function' ||
    typeof factory !== 'function' ||
    !factory.isSupported
  ) {
    wall.error = 'the HTML sanitizer did not load';
    var nothing = function () {
      return '';
    };
    if (window.trustedTypes && window.trustedTypes.createPolicy) {
      window.trustedTypes.createPolicy('default', { createHTML: nothing });
    }
    window.KB_SANITIZE = { content: nothing, toc: nothing, katex: nothing, chrome: nothing };
    return;
  }

  compiled = rules.compilePolicy(policy, policy.iframe_hosts || []);

  if (window.trustedTypes && window.trustedTypes.createPolicy) {
    ttPolicy = window.trustedTypes.createPolicy('kb-purify', {
      createHTML: function (html) {
        return html;
      },
      createScriptURL: function () {
        throw new TypeError('kb-purify creates no script URLs');
      }
    });
  }

  var sanitize = {
    content: makeSanitizer('content'),
    toc: makeSanitizer('toc'),
    katex: makeSanitizer('katex'),
    chrome: makeSanitizer('chrome')
  };
  window.KB_SANITIZE = sanitize;

  /* ---------- the last net: every HTML sink ---------- */

  function sameOrigin(url) {
    try {
      return new URL(String(url), window.location.href).origin === window.location.origin;
    } catch (error) {
      return false;
    }
  }

  if (window.trustedTypes && window.trustedTypes.createPolicy) {
    // No createScript: strings never become script (eval, setTimeout(string), handlers).
    window.trustedTypes.createPolicy('default', {
      createHTML: function (html) {
        return sanitize.chrome(html);
      },
      createScriptURL: function (url) {
        if (!sameOrigin(url)) {
          throw new TypeError('script from another origin refused: ' + url);
        }
        return url;
      }
    });
  } else {
    wrapSinks(sanitize.chrome);
  }

  // Without Trusted Types, the same net by wrapping the setters HTML goes through.
  function wrapSinks(clean) {
    [
      [Element.prototype, 'innerHTML'],
      [Element.prototype, 'outerHTML'],
      [ShadowRoot.prototype, 'innerHTML']
    ].forEach(function (pair) {
      var descriptor = Object.getOwnPropertyDescriptor(pair[0], pair[1]);
      if (!descriptor || !descriptor.set) {
        return;
      }
      Object.defineProperty(pair[0], pair[1], {
        configurable: false,
        enumerable: descriptor.enumerable,
        get: descriptor.get,
        set: function (html) {
          descriptor.set.call(this, clean(html));
        }
      });
    });
    var insert = Element.prototype.insertAdjacentHTML;
    Element.prototype.insertAdjacentHTML = function (where, html) {
      return insert.call(this, where, clean(html));
    };
    var fragment = Range.prototype.createContextualFragment;
    Range.prototype.createContextualFragment = function (html) {
      return fragment.call(this, clean(html));
    };
    var write = Document.prototype.write;
    Document.prototype.write = function () {
      return write.call(this, clean(Array.prototype.join.call(arguments, '')));
    };
    Document.prototype.writeln = function () {
      return write.call(this, clean(Array.prototype.join.call(arguments, '')) + '\n');
    };
    var srcdoc = Object.getOwnPropertyDescriptor(HTMLIFrameElement.prototype, 'srcdoc');
    if (srcdoc && srcdoc.set) {
      Object.defineProperty(HTMLIFrameElement.prototype, 'srcdoc', {
        configurable: false,
        get: srcdoc.get,
        set: function () {}
      });
    }
  }

  /* ---------- no requests to other sites ---------- */

  // docsify fetches what a page embeds (`:include`) before any HTML exists to sanitize; a
  // page may only embed files of this site. The CSP (connect-src 'self') refuses the same.
  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.kbRefused = !sameOrigin(url);
    if (this.kbRefused) {
      note('request', { request: String(url).slice(0, 200) });
    }
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    if (!this.kbRefused) {
      return send.apply(this, arguments);
    }
    var request = this;
    window.setTimeout(function () {
      request.dispatchEvent(new ProgressEvent('error'));
      request.dispatchEvent(new ProgressEvent('loadend'));
    }, 0);
  };
  if (window.fetch) {
    var fetchOriginal = window.fetch;
    window.fetch = function (input) {
      var url = input && typeof input === 'object' && 'url' in input ? input.url : input;
      if (!sameOrigin(url)) {
        note('request', { request: String(url).slice(0, 200) });
        return Promise.reject(new TypeError('kb: requests to other sites are refused'));
      }
      return fetchOriginal.apply(window, arguments);
    };
  }

  /* ---------- docsify: every content path ---------- */

  function wrapKatex() {
    var katex = window.katex;
    if (katex && typeof katex.renderToString === 'function' && !katex.renderToString.kbWall) {
      var render = katex.renderToString;
      katex.renderToString = function () {
        return sanitize.katex(render.apply(katex, arguments));
      };
      katex.renderToString.kbWall = true;
    }
  }

  function wrapCompiler(compiler) {
    ['sidebar', 'cover', 'header'].forEach(function (method) {
      var original = compiler[method];
      if (typeof original === 'function') {
        compiler[method] = function () {
          return sanitize.content(original.apply(compiler, arguments));
        };
      }
    });
    var subSidebar = compiler.subSidebar;
    if (typeof subSidebar === 'function') {
      compiler.subSidebar = function () {
        return sanitize.toc(subSidebar.apply(compiler, arguments));
      };
    }
  }

  function kbWall(hook, vm) {
    hook.mounted(function () {
      if (vm.compiler) {
        wrapCompiler(vm.compiler);
      }
      wrapKatex();
    });
    // Registered last (see below): it sees the page after every other plugin.
    hook.afterEach(function (html) {
      return sanitize.content(html);
    });
  }

  // All scripts have run by DOMContentLoaded; this listener was added before docsify's, so
  // the wall joins the plugin list last, after every plugin that rewrites page HTML.
  document.addEventListener('DOMContentLoaded', function () {
    var config = window.$docsify || {};
    config.plugins = (config.plugins || []).concat([kbWall]);
    window.$docsify = config;
    wrapKatex();
  });

  wall.ok = true;
})();
