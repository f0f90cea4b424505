// What is wrong with the page on screen, seen from an isolated world the page's scripts
// cannot reach (tests/browser/test_attacks.py). Evaluates to a list of problems.
(() => {
  const problems = [];
  const main = document.querySelector('#main');
  const sidebar = document.querySelector('.sidebar');
  const known = new Set(JSON.parse(document.documentElement.dataset.kbKnownScripts || '[]'));
  for (const el of document.querySelectorAll('script')) {
    const src = el.getAttribute('src');
    if (!src || !known.has(new URL(src, location.href).pathname)) problems.push('script element ' + el.outerHTML.slice(0, 80));
  }
  const forbidden = 'body meta, body base, body link, style, iframe[srcdoc], object, embed, form, frame, portal, noembed, body noscript:not(body > noscript), xmp, plaintext, template';
  for (const el of document.querySelectorAll(forbidden)) problems.push('element <' + el.localName + '>');
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) problems.push('handler ' + attr.name + ' on <' + el.localName + '>');
    }
  }
  for (const el of document.querySelectorAll('[href], [src], [action], [formaction], [data]')) {
    for (const name of ['href', 'src', 'action', 'formaction', 'data']) {
      const value = (el.getAttribute(name) || '').replace(/[\u0000-\u0020]/g, '').toLowerCase();
      if (/^(javascript|vbscript|data:text)/.test(value)) problems.push('script URL in <' + el.localName + ' ' + name + '>');
    }
  }
  for (const frame of document.querySelectorAll('iframe')) {
    const src = frame.getAttribute('src') || '';
    if (!/^https:\/\/player\.bilibili\.com\//.test(src)) problems.push('iframe ' + src.slice(0, 80));
  }
  if (main) {
    for (const el of main.querySelectorAll('[style]')) {
      if (!el.closest('.katex, docsify-latex')) problems.push('style attribute on <' + el.localName + '>');
    }
    for (const el of main.querySelectorAll('*')) {
      const position = getComputedStyle(el).position;
      if (position === 'fixed' || position === 'sticky') problems.push(position + ' <' + el.localName + '> in the page');
    }
    for (const el of main.querySelectorAll('.sidebar, .cover, .app-nav, .sidebar-toggle, .github-corner, .markdown-section, .content, #main, #app')) {
      problems.push('layout class or id on <' + el.localName + '> in the page');
    }
  }
  if (sidebar && main) {
    // Whatever the page holds, the sidebar must still be the sidebar where it is drawn.
    const box = sidebar.getBoundingClientRect();
    for (let x = box.left + 10; x < box.right - 5; x += 60) {
      for (let y = 20; y < innerHeight - 5; y += 80) {
        const hit = document.elementFromPoint(x, y);
        if (hit && !sidebar.contains(hit) && !hit.closest('.sidebar-toggle, .kb-search')) {
          problems.push('sidebar covered at ' + Math.round(x) + ',' + Math.round(y) + ' by <' + hit.localName + '>');
          return problems;
        }
      }
    }
  }
  // Stylesheets that can apply: an inline <style> the CSP let through, or a same-origin
  // file other than the site's own (one from elsewhere would be a request: see the tour).
  for (const sheet of document.styleSheets) {
    if (!sheet.href) {
      problems.push('stylesheet inline');
    } else if (new URL(sheet.href).origin === location.origin && !/\/(vendor|assets)\//.test(new URL(sheet.href).pathname)) {
      problems.push('stylesheet ' + new URL(sheet.href).pathname);
    }
  }
  return problems;
})()
