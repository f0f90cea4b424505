/*
 * MedAI Notes: small docsify plugins (loaded last by index.html).
 *
 *   kbSidebarGroups  collapsible sidebar groups (plain-text list items holding a nested list)
 *   kbEditLink       "编辑此页" link built from KB_SITE.editUrl ("{path}" = the page's repo path)
 *   kbCopyCode       a "复制代码" button on every code block (replaces docsify-copy-code)
 *   kbZoom           click an image to see it full-viewport (replaces docsify's zoom-image)
 *   kbPagination     上一页 / 下一页 links in sidebar order, across groups (replaces
 *                    docsify-pagination)
 *   kbLiveReload     reloads the page when `kb serve` rebuilds (KB_SITE.live only)
 *   kbRendered       marks <body data-kb-route> once a route has fully rendered (tests wait on it)
 *
 * Plain ES2017, no build step, no inline code (the page runs under a strict CSP: no <style>
 * elements, Trusted Types for every HTML string). Everything here builds DOM with
 * createElement / textContent / setAttribute, never with HTML strings; text taken from pages
 * (titles, code) is only ever set as textContent. Styles live in assets/kb.css; labels come
 * from $docsify.kb (assets/kb-config.js).
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

  function label(key, fallback) {
    return typeof kb[key] === 'string' && kb[key] ? kb[key] : fallback;
  }

  // decodeURIComponent that never throws (a stray "%" in a link must not break a page).
  function decoded(text) {
    try {
      return decodeURIComponent(text);
    } catch (err) {
      return text;
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
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
      if (sameHref(links[i].getAttribute('href') || '', href)) {
        return links[i].closest('li');
      }
    }
    return null;
  }

  function sameHref(a, b) {
    return a === b || decoded(a) === decoded(b);
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
      // Order at the end of the page: edit link, then pagination (whichever runs first).
      main.insertBefore(wrap, main.querySelector(':scope > .kb-pagination'));
    });
  }

  /* ---------- copy code ---------- */

  var COPY_RESET_MS = 2000;
  var liveRegion = null;

  // One polite status region for the whole page: screen readers hear 已复制 / 复制失败.
  function announce(text) {
    if (!liveRegion) {
      liveRegion = el('div', 'kb-visually-hidden');
      liveRegion.setAttribute('role', 'status');
      liveRegion.setAttribute('aria-live', 'polite');
      document.body.appendChild(liveRegion);
    }
    liveRegion.textContent = '';
    window.setTimeout(function () {
      liveRegion.textContent = text;
    }, 50);
  }

  // Fallback for browsers without the async clipboard API (or when it refuses): select the
  // text in an off-screen textarea and ask for the legacy copy command.
  function legacyCopy(text) {
    var active = document.activeElement;
    var area = el('textarea', 'kb-copy-buffer');
    area.value = text;
    area.setAttribute('readonly', '');
    area.setAttribute('aria-hidden', 'true');
    area.setAttribute('tabindex', '-1');
    document.body.appendChild(area);
    var ok = false;
    try {
      area.focus({ preventScroll: true });
      area.select();
      area.setSelectionRange(0, text.length);
      ok = document.execCommand('copy');
    } catch (err) {
      ok = false;
    }
    area.remove();
    if (active && typeof active.focus === 'function') {
      active.focus({ preventScroll: true });
    }
    return ok;
  }

  function copyText(text) {
    var clipboard = navigator.clipboard;
    if (clipboard && typeof clipboard.writeText === 'function') {
      return clipboard.writeText(text).catch(function (err) {
        if (legacyCopy(text)) {
          return undefined;
        }
        throw err;
      });
    }
    return legacyCopy(text) ? Promise.resolve() : Promise.reject(new Error('copy failed'));
  }

  // The code of a block: its <code> element, or the <pre>'s own text without our button.
  function codeOf(pre) {
    var code = pre.querySelector(':scope > code');
    if (code) {
      return code.textContent;
    }
    var text = '';
    pre.childNodes.forEach(function (node) {
      if (!(node.nodeType === 1 && node.classList.contains('kb-copy'))) {
        text += node.textContent;
      }
    });
    return text;
  }

  function buttonName(pre) {
    var lang = pre.getAttribute('data-lang') || '';
    var text = label('copyText', '复制代码');
    return lang ? text + '（' + lang + '）' : text;
  }

  function showCopyState(button, pre, ok) {
    var text = ok ? label('copiedText', '已复制') : label('copyFailedText', '复制失败');
    window.clearTimeout(button.kbCopyTimer);
    button.textContent = text;
    button.setAttribute('aria-label', text);
    button.classList.toggle('kb-copied', ok);
    button.classList.toggle('kb-copy-failed', !ok);
    announce(text);
    button.kbCopyTimer = window.setTimeout(function () {
      button.textContent = label('copyText', '复制代码');
      button.setAttribute('aria-label', buttonName(pre));
      button.classList.remove('kb-copied', 'kb-copy-failed');
    }, COPY_RESET_MS);
  }

  function addCopyButton(pre) {
    if (pre.querySelector(':scope > .kb-copy')) {
      return;
    }
    var button = el('button', 'kb-copy', label('copyText', '复制代码'));
    button.type = 'button';
    button.setAttribute('aria-label', buttonName(pre));
    button.addEventListener('click', function () {
      copyText(codeOf(pre)).then(
        function () {
          showCopyState(button, pre, true);
        },
        function () {
          showCopyState(button, pre, false);
        }
      );
    });
    pre.appendChild(button);
  }

  function kbCopyCode(hook) {
    hook.doneEach(function () {
      var blocks = document.querySelectorAll('#main pre');
      Array.prototype.forEach.call(blocks, function (pre) {
        if (pre.querySelector(':scope > code')) {
          addCopyButton(pre);
        }
      });
    });
  }

  /* ---------- image zoom ---------- */

  var SCROLL_CLOSE_PX = 40;
  var zoom = null; // the open preview: { overlay, image, onScroll, onIntent, onKey }

  function zoomable(img) {
    return Boolean(
      img &&
        img.closest('#main') &&
        !img.closest('a') &&
        !img.hasAttribute('data-no-zoom') &&
        !img.classList.contains('emoji')
    );
  }

  function closeZoom(restoreFocus) {
    if (!zoom) {
      return;
    }
    var state = zoom;
    zoom = null;
    window.removeEventListener('scroll', state.onScroll);
    document.removeEventListener('keydown', state.onKey, true);
    state.overlay.remove();
    var img = state.image;
    if (restoreFocus && img.isConnected) {
      // Images are not focusable; tabindex=-1 only while focus is back on this one.
      if (!img.hasAttribute('tabindex')) {
        img.setAttribute('tabindex', '-1');
        img.addEventListener(
          'blur',
          function () {
            img.removeAttribute('tabindex');
          },
          { once: true }
        );
      }
      img.focus({ preventScroll: true });
    }
  }

  function openZoom(img) {
    closeZoom(false);
    var overlay = el('div', 'kb-zoom');
    overlay.setAttribute('role', 'dialog');
    overlay.setAttribute('aria-modal', 'true');
    overlay.setAttribute('aria-label', label('zoomLabel', '图片预览'));
    var large = el('img', 'kb-zoom-image');
    large.src = img.currentSrc || img.src;
    large.alt = img.alt || '';
    var close = el('button', 'kb-zoom-close', '×');
    close.type = 'button';
    close.setAttribute('aria-label', label('zoomCloseText', '关闭图片预览'));
    overlay.appendChild(large);
    overlay.appendChild(close);

    var startY = window.scrollY;
    var state = {
      overlay: overlay,
      image: img,
      // The page behind moved (scroll bar, keys, a scroll already under way): close once it
      // has moved a little, so a stray pixel does not close the preview at once.
      onScroll: function () {
        if (Math.abs(window.scrollY - startY) > SCROLL_CLOSE_PX) {
          closeZoom(true);
        }
      },
      // Wheel or swipe over the preview: the reader wants to scroll on.
      onIntent: function () {
        closeZoom(true);
      },
      onKey: function (event) {
        if (event.key === 'Escape') {
          event.preventDefault();
          event.stopPropagation();
          closeZoom(true);
        } else if (event.key === 'Tab') {
          // The close button is the dialog's only control: keep focus on it.
          event.preventDefault();
          close.focus();
        }
      }
    };
    // Any click closes the preview: on the image, the backdrop or the close button.
    overlay.addEventListener('click', function (event) {
      event.preventDefault();
      closeZoom(true);
    });
    overlay.addEventListener('wheel', state.onIntent, { passive: true });
    overlay.addEventListener('touchmove', state.onIntent, { passive: true });
    document.body.appendChild(overlay);
    zoom = state;
    close.focus({ preventScroll: true });
    window.addEventListener('scroll', state.onScroll, { passive: true });
    // Capture: Escape is handled before other listeners (e.g. search) see it.
    document.addEventListener('keydown', state.onKey, true);
  }

  function kbZoom(hook) {
    hook.mounted(function () {
      document.addEventListener('click', function (event) {
        var target = event.target;
        if (
          event.button !== 0 ||
          event.defaultPrevented ||
          !target ||
          target.tagName !== 'IMG' ||
          !zoomable(target)
        ) {
          return;
        }
        event.preventDefault();
        openZoom(target);
      });
    });
    hook.doneEach(function () {
      closeZoom(false); // a new page: the previewed image is gone
    });
  }

  /* ---------- pagination ---------- */

  // Page links in the sidebar, in document order, one per href: not the headings docsify
  // adds under the current page (.section-link), not links that open elsewhere.
  function sidebarPages() {
    var nav = document.querySelector('.sidebar-nav');
    if (!nav) {
      return [];
    }
    var seen = new Set();
    var pages = [];
    Array.prototype.forEach.call(nav.querySelectorAll('a'), function (link) {
      var href = link.getAttribute('href') || '';
      if (
        link.classList.contains('section-link') ||
        link.getAttribute('target') === '_blank' ||
        href.indexOf('#/') !== 0
      ) {
        return;
      }
      var key = decoded(href);
      if (seen.has(key)) {
        return;
      }
      seen.add(key);
      pages.push(link);
    });
    return pages;
  }

  function paginationLink(link, rel, labelText) {
    var a = el('a', 'kb-pagination-' + rel);
    var href = link.getAttribute('href');
    a.setAttribute('href', href);
    a.setAttribute('rel', rel);
    var title = link.textContent.replace(/\s+/g, ' ').trim() || decoded(href);
    a.appendChild(el('span', 'kb-pagination-label', labelText));
    a.appendChild(document.createTextNode(' '));
    a.appendChild(el('span', 'kb-pagination-title', title));
    return a;
  }

  function kbPagination(hook, vm) {
    hook.doneEach(function () {
      var main = document.querySelector('#main');
      if (!main) {
        return;
      }
      var old = main.querySelector(':scope > .kb-pagination');
      if (old) {
        old.remove();
      }
      if (pageFailed(vm)) {
        return;
      }
      var pages = sidebarPages();
      var href = vm.router.toURL(vm.route.path);
      var index = -1;
      for (var i = 0; i < pages.length; i++) {
        if (sameHref(pages[i].getAttribute('href') || '', href)) {
          index = i;
          break;
        }
      }
      if (index === -1) {
        return; // not a sidebar page (e.g. the 404 page)
      }
      var previous = pages[index - 1];
      var next = pages[index + 1];
      if (!previous && !next) {
        return;
      }
      var nav = el('nav', 'kb-pagination');
      nav.setAttribute('aria-label', label('paginationLabel', '翻页'));
      if (previous) {
        nav.appendChild(paginationLink(previous, 'prev', label('previousText', '上一页')));
      }
      if (next) {
        nav.appendChild(paginationLink(next, 'next', label('nextText', '下一页')));
      }
      main.appendChild(nav);
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

  // Accessibility fixes to docsify's own markup (checked by axe-core in the browser tests).
  function kbA11y(hook) {
    hook.mounted(function () {
      // docsify nests a focusable role="button" <div> inside the <button> that takes the
      // clicks: one control is left, the real button, with the div's name and state (docsify
      // keeps aria-expanded and aria-label current on whatever has aria-controls).
      var button = document.querySelector('button.sidebar-toggle');
      var inner = button && button.querySelector('.sidebar-toggle-button');
      if (button && inner) {
        button.removeAttribute('tabindex');
        ['aria-label', 'aria-controls', 'aria-expanded'].forEach(function (name) {
          if (inner.hasAttribute(name)) {
            button.setAttribute(name, inner.getAttribute(name));
          }
          inner.removeAttribute(name);
        });
        button.setAttribute('aria-keyshortcuts', '\\');
        ['role', 'tabindex', 'aria-keyshortcuts'].forEach(function (name) {
          inner.removeAttribute(name);
        });
      }
    });
    // A formula wider than the page scrolls sideways, and keyboard users must be able to
    // scroll it too: such a formula is made focusable while (and only while) it overflows.
    // Formulas are typeset after the page renders and the width changes with the window,
    // so this runs again a little later and on resize.
    function markScrollable() {
      var wide = document.querySelectorAll(
        '.markdown-section docsify-latex, .markdown-section table'
      );
      wide.forEach(function (box) {
        var overflows = box.scrollWidth > box.clientWidth + 1;
        var marked = box.hasAttribute('data-kb-scroll');
        var math = box.tagName.toLowerCase() === 'docsify-latex';
        // A table keeps its own role and name; a formula becomes a named group.
        var added = math ? ['tabindex', 'role', 'aria-label'] : ['tabindex'];
        if (overflows && !marked && !box.hasAttribute('tabindex')) {
          box.setAttribute('data-kb-scroll', '');
          box.setAttribute('tabindex', '0');
          if (math) {
            box.setAttribute('role', 'group');
            box.setAttribute('aria-label', '公式（可横向滚动）');
          }
        } else if (!overflows && marked) {
          box.removeAttribute('data-kb-scroll');
          added.forEach(function (name) {
            box.removeAttribute(name);
          });
        }
      });
    }
    var resizing = 0;
    window.addEventListener('resize', function () {
      window.clearTimeout(resizing);
      resizing = window.setTimeout(markScrollable, 150);
    });
    hook.doneEach(function () {
      markScrollable();
      window.requestAnimationFrame(markScrollable);
      window.setTimeout(markScrollable, 300);
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
    kbCopyCode,
    kbZoom,
    kbPagination,
    kbLiveReload,
    kbA11y,
    kbRendered
  ]);
  window.$docsify = config;
})();
