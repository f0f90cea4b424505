/*
 * MedAI Notes: search over the prebuilt index (vendor/search-index.json, written by `kb build`).
 *
 * Replaces docsify's search plugin, which fetches every page at first load, matches
 * substrings only and keeps a stale copy in IndexedDB. Here: one request for one index file
 * (its URL carries the build hash, and an index from another build is refetched), Chinese
 * split into character bigrams exactly as tools/kb/search.py does, ranking with title and
 * heading hits above body hits and whole-phrase hits above scattered ones, results with the
 * match highlighted, keyboard navigation, and filters for papers (year, task, modality).
 *
 * Everything shown comes from page text: it is inserted with textContent / DOM nodes, never
 * as HTML, so a page cannot inject markup or script through the results.
 *
 * Plain ES2017, no build step, no inline code (the page runs under a strict CSP).
 */
(function () {
  'use strict';

  var config = window.$docsify || {};
  var site = window.KB_SITE || {};
  var BUILD = String(site.build || 'dev');
  var INDEX_URL = 'vendor/search-index.json';
  var MAX_RESULTS = 30;
  var DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_';
  var CJK = '\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af';
  var TOKEN = new RegExp('[a-z0-9]+|[' + CJK + ']+', 'g');
  var CJK_RUN = new RegExp('^[' + CJK + ']+$');

  /* ---------- tokens (same rules as tools/kb/search.py tokenize) ---------- */

  function tokenize(text) {
    var tokens = [];
    var parts = String(text).normalize('NFKC').toLowerCase().match(TOKEN) || [];
    parts.forEach(function (part) {
      if (CJK_RUN.test(part)) {
        if (part.length === 1) {
          tokens.push(part);
        }
        for (var i = 0; i + 1 < part.length; i++) {
          tokens.push(part.slice(i, i + 2));
        }
      } else {
        tokens.push(part);
      }
    });
    return tokens;
  }

  var digitValue = {};
  for (var d = 0; d < DIGITS.length; d++) {
    digitValue[DIGITS[d]] = d;
  }

  // Postings: gaps between section ids as base-32 varints (see search.py _deltas).
  function decode(text) {
    var ids = [];
    var value = 0;
    var shift = 0;
    var last = 0;
    for (var i = 0; i < text.length; i++) {
      var digit = digitValue[text[i]];
      if (digit >= 32) {
        value += (digit - 32) * Math.pow(2, shift);
        shift += 5;
      } else {
        last += value + digit * Math.pow(2, shift);
        ids.push(last);
        value = 0;
        shift = 0;
      }
    }
    return ids;
  }

  /* ---------- the index ---------- */

  var index = null;
  var loading = null;
  var download = null;
  var cache = {};

  function indexUrl() {
    return INDEX_URL + '?build=' + encodeURIComponent(BUILD);
  }

  // The download starts as soon as this script runs, next to docsify's own first requests;
  // parsing waits until the first page is on screen (see kbSearch), so it never delays it.
  function fetchText(options) {
    return fetch(indexUrl(), Object.assign({ credentials: 'same-origin' }, options)).then(
      function (response) {
        if (!response.ok) {
          throw new Error('search index: HTTP ' + response.status);
        }
        return response.text();
      }
    );
  }

  function startDownload() {
    if (!download) {
      download = fetchText({});
      download.catch(function () {});
    }
    return download;
  }

  function load() {
    if (loading) {
      return loading;
    }
    loading = startDownload()
      .then(function (text) {
        var data = JSON.parse(text);
        if (BUILD !== 'dev' && data.build && data.build !== BUILD) {
          // An index from another build (a cache in between): ask the server again.
          return fetchText({ cache: 'reload' }).then(JSON.parse);
        }
        return data;
      })
      .then(function (data) {
        index = data;
        if (window.performance && performance.mark) {
          performance.mark('kb-search-ready'); // read by bench/search_bench.py
        }
        document.documentElement.setAttribute('data-kb-search', 'ready');
        return data;
      })
      .catch(function (error) {
        loading = null;
        download = null;
        document.documentElement.setAttribute('data-kb-search', 'failed');
        throw error;
      });
    return loading;
  }

  function postings(field, token) {
    var key = field + '\u0000' + token;
    if (!(key in cache)) {
      var encoded = index[field][token];
      cache[key] = encoded ? decode(encoded) : [];
    }
    return cache[key];
  }

  /* ---------- ranking ---------- */

  function search(query, filters) {
    var tokens = unique(tokenize(query));
    if (!tokens.length || !index) {
      return [];
    }
    var total = index.sections.length;
    var scores = {};
    var hits = {};
    tokens.forEach(function (token) {
      var head = postings('head', token);
      var body = postings('body', token);
      var idf = Math.log(1 + total / (1 + head.length + body.length));
      head.forEach(function (id) {
        scores[id] = (scores[id] || 0) + 3 * idf;
        hits[id] = (hits[id] || 0) + 1;
      });
      body.forEach(function (id) {
        scores[id] = (scores[id] || 0) + idf;
        hits[id] = (hits[id] || 0) + 1;
      });
    });
    // Enough of the query must match: all of a one- or two-token query, else all but a
    // quarter (卷积网络 → 卷积 + 网络 of its three bigrams finds 卷积神经网络).
    var need = tokens.length <= 2 ? tokens.length : Math.ceil(tokens.length * 0.6);
    var phrase = String(query).normalize('NFKC').toLowerCase().trim();
    var results = [];
    Object.keys(hits).forEach(function (key) {
      var id = Number(key);
      if (hits[id] < need) {
        return;
      }
      var section = index.sections[id];
      var page = index.pages[section[0]];
      if (!passes(page, filters)) {
        return;
      }
      var score = scores[id] * (hits[id] / tokens.length);
      var heading = String(section[2]).toLowerCase();
      var title = String(page[1]).toLowerCase();
      if (heading.indexOf(phrase) >= 0 || title.indexOf(phrase) >= 0) {
        score *= 3;
      } else if (hits[id] === tokens.length && tokens.length > 1) {
        score *= 1.5; // every word of the query is in the section
      }
      results.push({ id: id, score: score, section: section, page: page });
    });
    results.sort(function (a, b) {
      return b.score - a.score || a.id - b.id;
    });
    return results.slice(0, MAX_RESULTS);
  }

  function passes(page, filters) {
    if (!filters.year && !filters.task && !filters.modality) {
      return true;
    }
    if (page[2] !== 'paper') {
      return false;
    }
    if (filters.year && String(page[3]) !== filters.year) {
      return false;
    }
    if (filters.task && page[4].indexOf(filters.task) < 0) {
      return false;
    }
    return !(filters.modality && page[5].indexOf(filters.modality) < 0);
  }

  function unique(list) {
    return list.filter(function (item, i) {
      return list.indexOf(item) === i;
    });
  }

  /* ---------- rendering (DOM nodes only, never innerHTML) ---------- */

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

  // Text with every occurrence of the query's words / bigrams wrapped in <mark>.
  function highlighted(tag, className, text, query) {
    var node = el(tag, className);
    var terms = unique(tokenize(query)).sort(function (a, b) {
      return b.length - a.length;
    });
    var lower = String(text).normalize('NFKC').toLowerCase();
    var marks = new Array(lower.length).fill(false);
    terms.forEach(function (term) {
      var from = 0;
      var at;
      while (term && (at = lower.indexOf(term, from)) >= 0) {
        for (var i = at; i < at + term.length; i++) {
          marks[i] = true;
        }
        from = at + 1;
      }
    });
    var start = 0;
    for (var i = 1; i <= lower.length; i++) {
      if (i === lower.length || marks[i] !== marks[start]) {
        var piece = String(text).slice(start, i);
        node.appendChild(marks[start] ? el('mark', '', piece) : document.createTextNode(piece));
        start = i;
      }
    }
    return node;
  }

  /* ---------- snippets, from the page itself ---------- */

  var FRONT = /^\ufeff?---[ \t]*\r?\n[\s\S]*?\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;
  var pageText = {};
  var SNIPPETS = 10;

  function pageFile(route) {
    var path = route.replace(/^\/+/, '');
    return /\/$/.test(path) || path === '' ? path + 'README.md' : path + '.md';
  }

  // Plain text of a page, cached: front matter, code, tags and markup removed.
  function fetchPage(route) {
    if (!pageText[route]) {
      pageText[route] = fetch(encodeURI(pageFile(route)), { credentials: 'same-origin' })
        .then(function (response) {
          return response.ok ? response.text() : '';
        })
        .then(function (text) {
          return text
            .replace(FRONT, '')
            .replace(/^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$/gm, ' ')
            .replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[ \t]*$/gm, ' ')
            .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
            .replace(/<[^>]*>/g, ' ')
            .replace(/[*`~|>]+|\$+/g, '')
            .replace(/&lt;/g, '<')
            .replace(/&gt;/g, '>')
            .replace(/&amp;/g, '&');
        })
        .catch(function () {
          return '';
        });
    }
    return pageText[route];
  }

  // ~90 characters of the section around the first query word, or its beginning.
  function snippetOf(text, heading, query, isPage) {
    var lines = text.split('\n');
    var start = 0;
    if (!isPage) {
      var plainHeading = String(heading).toLowerCase();
      for (var i = 0; i < lines.length; i++) {
        if (/^\s*#{1,6}\s/.test(lines[i]) && lines[i].toLowerCase().indexOf(plainHeading) >= 0) {
          start = i + 1;
          break;
        }
      }
    }
    var end = start;
    // The page's own `#` title belongs to the page section; `##`/`###` start the next one.
    while (end < lines.length && (end === start || !/^\s*#{2,3}\s/.test(lines[end]))) {
      end++;
    }
    var body = lines
      .slice(start, end)
      .filter(function (line) {
        return !/^\s*#{1,6}\s/.test(line);
      })
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
    var lower = body.normalize('NFKC').toLowerCase();
    var first = -1;
    tokenize(query).forEach(function (term) {
      var at = lower.indexOf(term);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    });
    var from = first > 30 ? first - 20 : 0;
    return (from ? '…' : '') + body.slice(from, from + 90) + (body.length > from + 90 ? '…' : '');
  }

  function fillSnippet(target, result, query) {
    fetchPage(result.page[0]).then(function (text) {
      if (!target.isConnected) {
        return; // a newer query replaced the results
      }
      var snippet = text ? snippetOf(text, result.section[2], query, !result.section[1]) : '';
      target.replaceWith(highlighted('span', 'kb-search-snippet', snippet || result.page[7], query));
    });
  }

  function routeHref(page, section) {
    var href = '#' + page[0];
    return section[1] ? href + '?id=' + encodeURIComponent(section[1]) : href;
  }

  /* ---------- the search box ---------- */

  function facetSelect(name, label, options) {
    var select = el('select', 'kb-search-facet');
    select.name = name;
    select.setAttribute('aria-label', label);
    select.appendChild(el('option', '', label));
    select.options[0].value = '';
    options.forEach(function (option) {
      var item = el('option', '', option[1]);
      item.value = option[0];
      select.appendChild(item);
    });
    return select;
  }

  function mount() {
    var sidebar = document.querySelector('.sidebar');
    if (!sidebar || sidebar.querySelector('.kb-search')) {
      return;
    }
    var box = el('div', 'kb-search');
    box.setAttribute('role', 'search');
    var input = el('input', 'kb-search-input');
    input.type = 'search';
    input.placeholder = '搜索';
    input.setAttribute('aria-label', '搜索本站');
    input.autocomplete = 'off';
    var facets = el('div', 'kb-search-facets');
    var status = el('p', 'kb-search-status');
    status.setAttribute('aria-live', 'polite');
    var list = el('ol', 'kb-search-results');
    list.setAttribute('role', 'listbox');
    box.appendChild(input);
    box.appendChild(facets);
    box.appendChild(status);
    box.appendChild(list);
    var nav = sidebar.querySelector('.sidebar-nav');
    sidebar.insertBefore(box, nav || sidebar.firstChild);

    var selected = -1;
    var timer = 0;

    function filters() {
      var chosen = {};
      facets.querySelectorAll('select').forEach(function (select) {
        chosen[select.name] = select.value;
      });
      return chosen;
    }

    function addFacets() {
      if (facets.childNodes.length || !index || !index.facets) {
        return;
      }
      var f = index.facets;
      facets.appendChild(
        facetSelect('year', '年份', (f.year || []).map(function (y) {
          return [String(y), String(y)];
        }))
      );
      facets.appendChild(facetSelect('task', '任务', Object.entries(f.task || {})));
      facets.appendChild(facetSelect('modality', '模态', Object.entries(f.modality || {})));
    }

    function select(position) {
      var items = list.querySelectorAll('li');
      if (!items.length) {
        return;
      }
      selected = (position + items.length) % items.length;
      items.forEach(function (item, i) {
        item.setAttribute('aria-selected', i === selected ? 'true' : 'false');
      });
      items[selected].scrollIntoView({ block: 'nearest' });
    }

    function render() {
      var query = input.value.trim();
      var chosen = filters();
      list.textContent = '';
      selected = -1;
      var filtering = chosen.year || chosen.task || chosen.modality;
      box.classList.toggle('kb-search-active', Boolean(query || filtering));
      if (!query && !filtering) {
        status.textContent = '';
        return;
      }
      var results = query ? search(query, chosen) : facetOnly(chosen);
      status.textContent = results.length
        ? '找到 ' + results.length + (results.length === MAX_RESULTS ? '+' : '') + ' 条结果'
        : '没有找到结果';
      results.forEach(function (result) {
        var item = el('li', 'kb-search-result');
        item.setAttribute('role', 'option');
        var link = el('a');
        link.href = routeHref(result.page, result.section);
        var heading = result.section[1] ? result.page[1] + ' › ' + result.section[2] : result.page[1];
        link.appendChild(highlighted('span', 'kb-search-title', heading, query));
        var pending = el('span', 'kb-search-snippet', result.page[7] || '');
        link.appendChild(pending);
        item.appendChild(link);
        list.appendChild(item);
        if (list.childNodes.length <= SNIPPETS) {
          fillSnippet(pending, result, query);
        }
      });
    }

    function facetOnly(chosen) {
      var results = [];
      index.sections.forEach(function (section, id) {
        var page = index.pages[section[0]];
        if (!section[1] && passes(page, chosen)) {
          results.push({ id: id, score: 0, section: section, page: page });
        }
      });
      return results.slice(0, MAX_RESULTS);
    }

    function update() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        load().then(function () {
          addFacets();
          render();
        }, function () {
          status.textContent = '搜索索引加载失败';
        });
      }, 60);
    }

    input.addEventListener('input', update);
    input.addEventListener('focus', function () {
      load().then(addFacets, function () {});
    });
    facets.addEventListener('change', update);
    input.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        select(selected + (event.key === 'ArrowDown' ? 1 : -1));
      } else if (event.key === 'Enter') {
        var items = list.querySelectorAll('li a');
        var target = items[selected >= 0 ? selected : 0];
        if (target) {
          event.preventDefault();
          window.location.hash = target.getAttribute('href').slice(1);
        }
      } else if (event.key === 'Escape') {
        event.stopPropagation();
        clear();
      }
    });
    // Escape clears the query; a second Escape (query already empty) also resets the filters.
    function clear() {
      window.clearTimeout(timer);
      if (!input.value) {
        facets.querySelectorAll('select').forEach(function (select) {
          select.value = '';
        });
      }
      input.value = '';
      render();
    }
    document.addEventListener('keydown', function (event) {
      var typing = /^(input|textarea|select)$/i.test(event.target.tagName || '');
      if (typing || event.defaultPrevented) {
        return;
      }
      if (event.key === '/' || (event.key === 'k' && (event.ctrlKey || event.metaKey))) {
        event.preventDefault();
        input.focus();
      } else if (event.key === 'Escape' && box.classList.contains('kb-search-active')) {
        // docsify moves focus to the page after a result opens it; Escape still closes the results.
        clear();
      }
    });
  }

  function kbSearch(hook) {
    hook.init(startDownload);
    hook.mounted(mount);
    // Load the index once the first page is on screen: one request, off the critical path.
    hook.ready(function () {
      load().catch(function () {});
    });
  }

  window.KB_SEARCH = { tokenize: tokenize, decode: decode, search: search, load: load };
  config.plugins = (config.plugins || []).concat([kbSearch]);
  window.$docsify = config;
})();
