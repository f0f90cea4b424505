// What is wrong with a page of the static mirror (tests/browser/test_mirror.py): the
// page content (<article>) must hold nothing that runs, navigates or restyles the theme.
(() => {
  const problems = [];
  const article = document.querySelector('article');
  if (!article) return ['no article'];
  const forbidden = 'script, style, link, meta, base, iframe[srcdoc], object, embed, form, frame, template, noscript, svg script';
  for (const el of article.querySelectorAll(forbidden)) problems.push('element <' + el.localName + '>');
  // Outside the article: what the theme shows from page data (titles, tags, descriptions).
  const anywhere = 'body meta, body base, body style, body object, body embed, iframe[srcdoc], form:not(.md-search__form)';
  for (const el of document.querySelectorAll(anywhere)) problems.push('element <' + el.localName + '> in the page');
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) if (/^on/i.test(attr.name)) problems.push('handler ' + attr.name + ' on <' + el.localName + '>');
  }
  for (const el of document.querySelectorAll('head meta')) {
    if (/refresh/i.test(el.getAttribute('http-equiv') || '')) problems.push('meta refresh');
  }
  for (const el of article.querySelectorAll('*')) {
    for (const attr of el.attributes) if (/^on/i.test(attr.name)) problems.push('handler ' + attr.name);
    const position = getComputedStyle(el).position;
    if (position === 'fixed' || position === 'sticky') problems.push(position + ' <' + el.localName + '>');
    if (el.hasAttribute('style') && !el.closest('.katex') && !/^(td|th)$/.test(el.localName)) problems.push('style attribute on <' + el.localName + '>');
    const cls = el.getAttribute('class') || '';
    // (Material's own script wraps tables and code blocks: md-typeset__*, md-clipboard, md-code__*)
    if (/(^|\s)md-(?!tag|typeset__|clipboard|code__)/.test(cls)) problems.push('theme class ' + cls.slice(0, 40));
    if (/^__(?!code_\d+$)/.test(el.id || '')) problems.push('theme id ' + el.id);  // __code_N: Material's copy button
  }
  for (const el of article.querySelectorAll('[href], [src], [action], [formaction], [data]')) {
    for (const name of ['href', 'src', 'action', 'formaction', 'data']) {
      const value = (el.getAttribute(name) || '').replace(/[\u0000-\u0020]/g, '').toLowerCase();
      if (/^(javascript|vbscript|data:text)/.test(value)) problems.push('script URL in <' + el.localName + '>');
    }
  }
  for (const frame of article.querySelectorAll('iframe')) {
    if (!/^https:\/\/player\.bilibili\.com\//.test(frame.getAttribute('src') || '')) problems.push('iframe');
  }
  for (const sheet of document.styleSheets) {
    if (!sheet.href) problems.push('stylesheet inline');
    else if (!/\/assets\//.test(new URL(sheet.href).pathname)) problems.push('stylesheet ' + sheet.href);
  }
  return problems;
})()
