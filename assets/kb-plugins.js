/*
 * MedAI Notes: small docsify plugins (loaded last by index.html).
 *
 *   kbSidebarGroups  collapsible sidebar groups (plain-text list items holding a nested list)
 *   kbEditLink       "编辑此页" link built from KB_SITE.editUrl ("{path}" = the page's repo path)
 *   kbLiveReload     reloads the page when `kb serve` rebuilds (KB_SITE.live only)
 *   kbRendered       marks <body data-kb-route> once a route has fully rendered (tests wait on it)
 *
 * Plain ES2017, no build step, no inline code (the page runs under a strict CSP).
 */
(function () {
  'use strict';

  var config = window.$docsify || {};
  var kb = config.kb || {};

  /* ---------- helpers ---------- */

  // Route path ("/docs/papers/x", "/docs/") -> repo path ("docs/papers/x.md", "docs/README.md").
  function repoPath(routePath) {
    var path = (routePath || '/').split('?')[0];
    if (path.slice(-1) === '/') {
      path += 'README.md';
    } else if (!/\.(md|html)$/.test(path)) {
      path += '.md';
    }
    return path.replace(/^\/+/, '');
  }

  function encodePath(path) {
    return path.split('/').map(encodeURIComponent).join('/');
  }

  function pageFailed(vm) {
    var response = vm.route && vm.route.response;
    return Boolean(response && response.ok === false);
  }

  /* ---------- collapsible sidebar groups ---------- */

  // Keys ("论文精读 / 生存分析与预后") of the groups that are open. Groups start collapsed on
  // page load; the groups holding the current page are opened on every navigation, and
  // whatever the reader opened stays open while they browse (docsify re-renders the sidebar
  // on each route, so the state lives here, not in the DOM).
  var openGroups = new Set();
  var groupSeq = 0;

  function isGroup(li) {
    return Boolean(
      li.querySelector(':scope > ul') &&
        !li.querySelector(':scope > a, :scope > p > a')
    );
  }

  function labelOf(li) {
    var existing = li.querySelector(':scope > .kb-group-label');
    if (existing) {
      return existing;
    }
    var para = li.querySelector(':scope > p');
    if (para) {
      para.classList.add('kb-group-label');
      return para;
    }
    // Tight list: the label is the text before the nested <ul>; wrap it.
    var span = document.createElement('span');
    span.className = 'kb-group-label';
    var node = li.firstChild;
    while (node && !(node.nodeType === 1 && node.tagName === 'UL')) {
      var next = node.nextSibling;
      span.appendChild(node);
      node = next;
    }
    span.textContent = span.textContent.trim();
    li.insertBefore(span, li.firstChild);
    return span;
  }

  function groupKey(li) {
    var parts = [];
    for (var el = li; el; el = el.parentElement && el.parentElement.closest('li.kb-group')) {
      parts.unshift(labelOf(el).textContent.trim());
    }
    return parts.join(' / ');
  }

  function setExpanded(li, expanded) {
    var label = labelOf(li);
    li.classList.toggle('kb-collapsed', !expanded);
    label.setAttribute('aria-expanded', String(expanded));
  }

  function currentPageItem(vm) {
    var nav = document.querySelector('.sidebar-nav');
    if (!nav) {
      return null;
    }
    var marked = nav.querySelector('li[aria-current="page"]');
    if (marked) {
      return marked;
    }
    var href = vm.router.toURL(vm.route.path);
    var links = nav.querySelectorAll('a:not(.section-link)');
    for (var i = 0; i < links.length; i++) {
      var raw = links[i].getAttribute('href') || '';
      if (raw === href || decodeURIComponent(raw) === decodeURIComponent(href)) {
        return links[i].closest('li');
      }
    }
    return null;
  }

  function decorateSidebar(vm) {
    var nav = document.querySelector('.sidebar-nav');
    if (!nav) {
      return;
    }
    var groups = Array.prototype.filter.call(nav.querySelectorAll('li'), isGroup);
    groups.forEach(function (li) {
      li.classList.add('kb-group');
    });
    groups.forEach(function (li) {
      var label = labelOf(li);
      var list = li.querySelector(':scope > ul');
      if (!list.id) {
        groupSeq += 1;
        list.id = 'kb-group-' + groupSeq;
      }
      label.setAttribute('role', 'button');
      label.setAttribute('tabindex', '0');
      label.setAttribute('aria-controls', list.id);
      li.setAttribute('data-kb-group', groupKey(li));
    });
    var current = currentPageItem(vm);
    for (var el = current && current.parentElement; el; el = el.parentElement) {
      if (el.matches && el.matches('li.kb-group')) {
        openGroups.add(el.getAttribute('data-kb-group'));
      }
    }
    groups.forEach(function (li) {
      setExpanded(li, openGroups.has(li.getAttribute('data-kb-group')));
    });
  }

  function toggleGroup(label) {
    var li = label.closest('li.kb-group');
    if (!li) {
      return;
    }
    var expanded = li.classList.contains('kb-collapsed');
    setExpanded(li, expanded);
    var key = li.getAttribute('data-kb-group');
    if (expanded) {
      openGroups.add(key);
    } else {
      openGroups.delete(key);
    }
  }

  function kbSidebarGroups(hook, vm) {
    hook.mounted(function () {
      // Delegated once: .sidebar-nav keeps its element while docsify replaces its content.
      // Labels are not links, so docsify's own click handling (li.collapse for a page's
      // sub-headings) never sees these clicks.
      document.addEventListener('click', function (event) {
        var label = event.target.closest && event.target.closest('.sidebar-nav .kb-group-label');
        if (label) {
          event.preventDefault();
          toggleGroup(label);
        }
      });
      document.addEventListener('keydown', function (event) {
        var label = event.target.closest && event.target.closest('.sidebar-nav .kb-group-label');
        if (label && (event.key === 'Enter' || event.key === ' ')) {
          event.preventDefault();
          toggleGroup(label);
        }
      });
    });
    hook.doneEach(function () {
      decorateSidebar(vm);
    });
  }

  /* ---------- edit link ---------- */

  function kbEditLink(hook, vm) {
    hook.doneEach(function () {
      var main = document.querySelector('#main');
      if (!main) {
        return;
      }
      var old = main.querySelector('.kb-edit-link');
      if (old) {
        old.remove();
      }
      var template = kb.editUrl || '';
      if (!template || template.indexOf('{path}') === -1 || pageFailed(vm)) {
        return;
      }
      var link = document.createElement('a');
      link.href = template.split('{path}').join(encodePath(repoPath(vm.route.path)));
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.textContent = kb.editText || '编辑此页';
      var wrap = document.createElement('p');
      wrap.className = 'kb-edit-link';
      wrap.appendChild(link);
      var pagination = main.querySelector('.docsify-pagination-container');
      main.insertBefore(wrap, pagination);
    });
  }

  /* ---------- render marker ---------- */

  /* ---------- live reload (kb serve only) ---------- */

  // `kb serve` sets KB_SITE.live and answers /__kb/build with the current build hash; when a
  // page changes it rebuilds, and this reloads the page. Hosted builds never poll.
  function kbLiveReload(hook) {
    var site = window.KB_SITE || {};
    if (!site.live || !window.fetch) {
      return;
    }
    hook.mounted(function () {
      var url = window.location.pathname.replace(/[^/]*$/, '') + '__kb/build';
      window.setInterval(function () {
        window
          .fetch(url, { cache: 'no-store' })
          .then(function (response) {
            return response.ok ? response.text() : '';
          })
          .then(function (build) {
            if (build && build !== String(site.build)) {
              window.location.reload();
            }
          })
          .catch(function () {});
      }, 1000);
    });
  }

  function kbRendered(hook, vm) {
    hook.doneEach(function () {
      if (window.performance && performance.mark && !performance.getEntriesByName('kb-first-content').length) {
        performance.mark('kb-first-content'); // read by bench/search_bench.py
      }
      document.body.setAttribute('data-kb-route', vm.route.path);
    });
  }

  config.plugins = (config.plugins || []).concat([
    kbSidebarGroups,
    kbEditLink,
    kbLiveReload,
    kbRendered
  ]);
  window.$docsify = config;
})();
