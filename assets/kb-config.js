/*
 * MedAI Notes: docsify configuration (window.$docsify).
 *
 * Loaded by index.html after vendor/kb-site.js and before docsify, so no inline <script> is
 * needed and the page can keep a strict Content-Security-Policy. Plain ES2017, no build step.
 */
(function () {
  'use strict';

  var site = window.KB_SITE || {};
  var HOME = '/docs/';

  /*
   * The repo-root README.md is the developer README, not the site home: the site home is
   * docs/README.md, route #/docs/. Rewrite an empty hash or #/ (optionally with ?id=...)
   * before docsify reads the URL, and again if a link leads there later. Relative links
   * inside docs/README.md only resolve correctly under the #/docs/ route.
   */
  function homeHash(hash) {
    // "#//host/x.md" would make docsify fetch "//host/x.md" from another origin (docsify#1477):
    // a route always starts with exactly one slash.
    if (/^#\/{2,}/.test(hash)) {
      return '#/' + hash.replace(/^#\/+/, '');
    }
    if (hash === '' || hash === '#' || hash === '#/') {
      return '#' + HOME;
    }
    if (hash.indexOf('#/?') === 0) {
      return '#' + HOME + hash.slice(2);
    }
    return null;
  }

  function redirectHome() {
    var target = homeHash(window.location.hash);
    if (target !== null) {
      var url = window.location.href.split('#')[0] + target;
      window.history.replaceState(window.history.state, '', url);
    }
  }

  redirectHome();
  // Registered before docsify's own listener: by the time docsify reads the URL for this
  // hashchange it already says #/docs/, so the bare #/ route is never rendered.
  window.addEventListener('hashchange', redirectHome);

  var build = String(site.build || 'dev');

  window.$docsify = {
    name: 'MedAI Notes 医学 AI 笔记',
    nameLink: '#' + HOME,
    // If anything still reaches route "/", show the site home rather than the dev README.
    homepage: 'docs/README.md',
    loadSidebar: '_sidebar.md',
    // One generated sidebar at the repo root serves every route; without this alias docsify
    // first requests docs/**/_sidebar.md (404s) on each navigation.
    alias: {
      '/.*/_sidebar.md': '/_sidebar.md'
    },
    relativePath: true,
    notFoundPage: 'docs/_404.md',
    noEmoji: true,
    auto2top: true,
    subMaxLevel: 2,
    maxLevel: 4,
    skipLink: '跳到正文',
    externalLinkRel: 'noopener noreferrer',

    latex: {
      inlineMath: [['$', '$'], ['\\(', '\\)']],
      displayMath: [['$$', '$$']],
      // KaTeX options (docsify-latex merges them into its own). Its equation references
      // (\label, \eqref) need \htmlId and \href; nothing else a formula writes may become a
      // link or an id: no \href to other pages or schemes, no ids outside "ktx-". Sizes
      // (\rule, \kern) are capped so a formula cannot cover the page.
      customOptions: {
        trust: function (context) {
          if (context.command === '\\htmlId') {
            return /^ktx-[\w-]*$/.test(String(context.id));
          }
          if (context.command === '\\href') {
            return context.protocol === '_relative' && /^#/.test(String(context.url));
          }
          return false;
        },
        maxSize: 10,
        maxExpand: 1000
      }
    },

    // Read by assets/kb-plugins.js.
    kb: {
      editUrl: typeof site.editUrl === 'string' ? site.editUrl : '',
      editText: '编辑此页',
      home: HOME,
      // kbCopyCode: the button on code blocks
      copyText: '复制代码',
      copiedText: '已复制',
      copyFailedText: '复制失败',
      // kbPagination: previous / next page in sidebar order
      paginationLabel: '翻页',
      previousText: '上一页',
      nextText: '下一页',
      // kbZoom: the full-viewport image preview
      zoomLabel: '图片预览',
      zoomCloseText: '关闭图片预览'
    },

    plugins: []
  };
})();
