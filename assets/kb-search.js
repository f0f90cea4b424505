/*
 * MedAI Notes: search over the prebuilt, sharded index in vendor/search/ (written by
 * `kb build`, format in tools/kb/search.py and tools/kb/searchtext.py).
 *
 * Nothing is downloaded until a reader focuses the search box or types in it: then the
 * manifest (a few KB); a query fetches one bucket file per token (the pages holding it,
 * title and heading hits apart from body hits) and, for the results on screen, the small
 * display blocks of their pages and the page text for snippets. Chinese is split into
 * character bigrams exactly as tools/kb/searchtext.py does; results are pages, ranked with
 * title and heading hits above body hits, each linked to its best section; filters for
 * papers (year, task, modality); keyboard navigation; highlights.
 *
 * Everything shown comes from page text: it is inserted with textContent / DOM nodes, never
 * as HTML, so a page cannot inject markup or script through the results.
 *
 * No build step, no inline code (the page runs under a strict CSP). The pure functions at
 * the top also load in Node (`node --test tests/js/`).
 */
(function () {
  'use strict';

  var CJK = '\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af';
  var TOKEN = new RegExp('[a-z0-9]+|[' + CJK + ']+', 'g');
  var CJK_RUN = new RegExp('^[' + CJK + ']+$');
  var MARK = /\p{M}/u;
  var PAGE_ROWS = 10;

  /* ---------- tokens (same rules as tools/kb/searchtext.py) ---------- */

  function fold(text) {
    return String(text).normalize('NFKC').toLowerCase();
  }

  function tokenize(text) {
    var tokens = [];
    var parts = fold(text).match(TOKEN) || [];
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

  function unique(list) {
    return list.filter(function (item, i) {
      return list.indexOf(item) === i;
    });
  }

  // Folded text with, for every code unit, the range of the original text it came from:
  // NFKC can change lengths (… → ..., ① → 1, ﬁ → fi), so offsets found in folded text
  // must be mapped back before they cut the original.
  function foldWithMap(text) {
    text = String(text);
    var out = '';
    var from = [];
    var to = [];
    var i = 0;
    while (i < text.length) {
      var j = i + 1;
      var code = text.charCodeAt(i);
      if (code >= 0xd800 && code < 0xdc00 && j < text.length) {
        j++;
      }
      while (j < text.length && MARK.test(text[j])) {
        j++; // a base character and its combining marks fold together
      }
      var piece = fold(text.slice(i, j));
      for (var k = 0; k < piece.length; k++) {
        from.push(i);
        to.push(j);
      }
      out += piece;
      i = j;
    }
    return { text: out, from: from, to: to };
  }

  // [start, end) ranges of `text` (original offsets) where a token of `query` occurs.
  function markRanges(text, query) {
    var folded = foldWithMap(text);
    var terms = unique(tokenize(query)).sort(function (a, b) {
      return b.length - a.length;
    });
    var marked = new Array(folded.text.length).fill(false);
    terms.forEach(function (term) {
      var at = -1;
      while ((at = folded.text.indexOf(term, at + 1)) >= 0) {
        for (var i = at; i < at + term.length; i++) {
          marked[i] = true;
        }
      }
    });
    var ranges = [];
    for (var i = 0; i < marked.length; i++) {
      if (!marked[i]) {
        continue;
      }
      var start = folded.from[i];
      var end = folded.to[i];
      while (i + 1 < marked.length && marked[i + 1]) {
        i++;
        end = folded.to[i];
      }
      var last = ranges[ranges.length - 1];
      if (last && last[1] >= start) {
        last[1] = Math.max(last[1], end);
      } else {
        ranges.push([start, end]);
      }
    }
    return ranges;
  }

  // Offset in the original text of the first occurrence of any token of `query`, or -1.
  function firstMatch(text, query) {
    var folded = foldWithMap(text);
    var first = -1;
    tokenize(query).forEach(function (term) {
      var at = folded.text.indexOf(term);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    });
    return first < 0 ? -1 : folded.from[first];
  }

  /* ---------- buckets ---------- */

  var CRC = (function () {
    var table = [];
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) {
        c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      table.push(c >>> 0);
    }
    return table;
  })();

  function utf8(text) {
    return unescape(encodeURIComponent(text));
  }

  // CRC-32 of the token's UTF-8 bytes, as Python's zlib.crc32 (searchtext.bucket).
  function crc32(text) {
    var bytes = utf8(text);
    var crc = 0xffffffff;
    for (var i = 0; i < bytes.length; i++) {
      crc = CRC[(crc ^ bytes.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
    }
    return (crc ^ 0xffffffff) >>> 0;
  }

  function bucketOf(token, buckets) {
    return crc32(token) % buckets;
  }

  function facetToken(name, value) {
    return '!' + name[0] + (name === 'year' ? '' : ':') + value;
  }

  var SPACE = 32;
  var NEWLINE = 10;
  var BAR = 124;
  var HASH = 35;
  var TILDE = 126;

  function isSeparator(code) {
    return code === SPACE || code === NEWLINE || code === BAR;
  }

  function lineStarts(text) {
    var starts = [0];
    var at = -1;
    while ((at = text.indexOf('\n', at + 1)) >= 0) {
      starts.push(at + 1);
    }
    return starts;
  }

  function lineOf(starts, offset) {
    var low = 0;
    var high = starts.length - 1;
    while (low < high) {
      var mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    return low;
  }

  // Entries of `token` in an index text (bucket file or overlay): [{line, head, count}],
  // where head lists the sections whose heading (0: the title) holds the token, or is null
  // for a body token, which occurs `count` times on the page.
  function entriesOf(text, token, starts) {
    var found = [];
    var at = -1;
    while ((at = text.indexOf(token, at + 1)) >= 0) {
      if (at > 0 && !isSeparator(text.charCodeAt(at - 1))) {
        continue;
      }
      var end = at + token.length;
      var next = end < text.length ? text.charCodeAt(end) : NEWLINE;
      var head = null;
      var count = 1;
      if (next === HASH || next === TILDE) {
        var stop = end + 1;
        while (stop < text.length && !isSeparator(text.charCodeAt(stop))) {
          stop++;
        }
        var value = text.slice(end + 1, stop);
        if (next === HASH) {
          head = value.split('.').map(function (digits) {
            return parseInt(digits, 36);
          });
        } else {
          count = parseInt(value, 36);
        }
      } else if (!isSeparator(next)) {
        continue;
      }
      found.push({ line: lineOf(starts, at), head: head, count: count });
    }
    return found;
  }

  /* ---------- ranking ---------- */

  // hits: one array per query token of {page, head, count}; returns [{page, score, section,
  // title}]. A heading hit weighs 3, a body hit 1 + ln(count) (a page about the word uses
  // it often), each times the token's idf.
  function rank(hits, total) {
    var count = hits.length;
    var pages = {};
    hits.forEach(function (entries) {
      var idf = Math.log(1 + total / (1 + entries.length));
      entries.forEach(function (entry) {
        var page = pages[entry.page];
        if (!page) {
          page = pages[entry.page] = { page: entry.page, score: 0, hits: 0, heads: {} };
        }
        page.hits += 1;
        page.score += idf * (entry.head ? 3 : 1 + Math.log(entry.count || 1));
        (entry.head || []).forEach(function (section) {
          page.heads[section] = (page.heads[section] || 0) + 1;
        });
      });
    });
    // Enough of the query must match: all of a one- or two-token query, else 60 % of it
    // (卷积网络 → 卷积 + 网络 of its three bigrams finds 卷积神经网络). When no page has
    // that much, pages with part of it are shown, ranked by how much they hold: a question
    // typed as a reader asks it (怎么添加一篇论文) never ends in an empty list while some of
    // its words are on the site.
    var need = count <= 2 ? count : Math.ceil(count * 0.6);
    var keys = Object.keys(pages);
    if (!keys.some(function (key) { return pages[key].hits >= need; })) {
      need = 1;
    }
    var results = [];
    keys.forEach(function (key) {
      var page = pages[key];
      if (page.hits < need) {
        return;
      }
      var best = 0;
      var most = 0;
      Object.keys(page.heads).forEach(function (section) {
        var n = page.heads[section];
        if (n > most || (n === most && Number(section) < best)) {
          best = Number(section);
          most = n;
        }
      });
      var score = page.score * (page.hits / count);
      if (most === count) {
        score *= 3; // the whole query in the title or in one heading
      } else if (page.hits === count && count > 1) {
        score *= 1.5; // every word of the query is on the page
      }
      results.push({ page: page.page, score: score, section: most ? best : 0, title: !!page.heads[0] });
    });
    results.sort(function (a, b) {
      return b.score - a.score || a.page - b.page;
    });
    return results;
  }

  /* ---------- snippets: the page's own text ---------- */

  var FRONT = /^\ufeff?---[ \t]*\r?\n[\s\S]*?\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;
  var FENCED = /^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[ \t]*$/gm;
  var HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$/;
  // Generated tables list other pages (each is found on its own page): the index leaves
  // them out, and so do the snippets.
  var REGION = /^<!--\s*kb:table\b[^\n]*?-->[ \t]*$[\s\S]*?^<!--\s*\/kb:table\s*-->[ \t]*$/gm;

  // A formula as snippet text: a symbol with a font or accent (\\mathbf{x}, \\hat{S}) and
  // sub- or superscripts (p_{i,c}) read as plain letters; anything else (fractions, sums,
  // relations) is left out as "…" rather than shown as LaTeX.
  var MATH_FONT = /\\(?:mathbf|mathrm|mathit|mathcal|mathbb|boldsymbol|bm|hat|bar|tilde|vec|text|operatorname)\s*\{([^{}]*)\}/g;

  function mathText(tex) {
    var text = String(tex).replace(MATH_FONT, '$1');
    if (/\\[a-zA-Z]/.test(text)) {
      return '…';
    }
    text = text.replace(/[{}]/g, '').replace(/\s+/g, ' ').trim();
    return text || '…';
  }

  // Readable text of markdown: markup, tags, link targets and LaTeX removed.
  function plain(markdown) {
    return String(markdown)
      .replace(/\$\$[\s\S]*?\$\$/g, ' ')
      .replace(/\$([^$\n]+?)\$/g, function (_, tex) {
        return mathText(tex);
      })
      .replace(/^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$/gm, ' ')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]*>/g, ' ')
      .replace(/[*`~|>]+|\$+/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  }

  // A page's markdown cut at its `#`–`###` headings: [{heading, text}], the first being the
  // page itself (its text before the first heading, and a leading `#` title).
  function pageSections(markdown) {
    var body = String(markdown)
      .replace(FRONT, '')
      .replace(FENCED, function (block) {
        return block.replace(/[^\n]/g, ' ');
      })
      .replace(REGION, '');
    var sections = [{ heading: '', lines: [] }];
    body.split('\n').forEach(function (line) {
      var match = HEADING.exec(line);
      if (match && match[1].length <= 3) {
        var page = sections[0];
        var untouched = sections.length === 1 && !page.lines.join('').trim();
        if (match[1].length === 1 && untouched) {
          return; // the page's own title
        }
        sections.push({ heading: plain(match[2]).trim(), lines: [] });
      } else {
        sections[sections.length - 1].lines.push(line);
      }
    });
    return sections.map(function (section) {
      var text = plain(section.lines.join(' ')).replace(/\s+/g, ' ').trim();
      return { heading: section.heading, text: text };
    });
  }

  // The section (index into pageSections) where most of the query's tokens occur.
  function bestSection(sections, query) {
    var tokens = unique(tokenize(query));
    var best = 0;
    var most = 0;
    sections.forEach(function (section, i) {
      var have = {};
      tokenize(section.heading + ' ' + section.text).forEach(function (token) {
        have[token] = true;
      });
      var n = tokens.filter(function (token) {
        return have[token];
      }).length;
      if (n > most) {
        best = i;
        most = n;
      }
    });
    return best;
  }

  // ~90 characters of `text` around the first query word, or its beginning.
  function snippetOf(text, query) {
    var first = firstMatch(text, query);
    var from = first > 30 ? first - 20 : 0;
    return (from ? '…' : '') + text.slice(from, from + 90) + (text.length > from + 90 ? '…' : '');
  }

  var pure = {
    plain: plain,
    tokenize: tokenize,
    fold: fold,
    foldWithMap: foldWithMap,
    markRanges: markRanges,
    firstMatch: firstMatch,
    crc32: crc32,
    bucketOf: bucketOf,
    facetToken: facetToken,
    entriesOf: entriesOf,
    lineStarts: lineStarts,
    rank: rank,
    pageSections: pageSections,
    bestSection: bestSection,
    snippetOf: snippetOf,
  };
  if (typeof window === 'undefined') {
    module.exports = pure; // node --test tests/js/
    return;
  }

  /* ---------- the index, fetched a piece at a time ---------- */

  var config = window.$docsify || {};
  var site = window.KB_SITE || {};
  var BUILD = String(site.build || 'dev');
  var ROOT = 'vendor/search/';
  var manifest = null;
  var loading = null;
  var texts = {};

  function get(url, options) {
    return fetch(url, Object.assign({ credentials: 'same-origin' }, options)).then(
      function (response) {
        if (!response.ok) {
          throw new Error('search index: HTTP ' + response.status + ' for ' + url);
        }
        return response.text();
      }
    );
  }

  function fetchManifest(options) {
    return get(ROOT + 'index.json?build=' + encodeURIComponent(BUILD), options).then(JSON.parse);
  }

  // The manifest, once: on the first focus of the search box or the first keystroke.
  function load() {
    if (loading) {
      return loading;
    }
    loading = fetchManifest({})
      .then(function (data) {
        if (BUILD !== 'dev' && data.build !== BUILD) {
          // A manifest from another build (a cache in between): ask the server again.
          return fetchManifest({ cache: 'reload' });
        }
        return data;
      })
      .then(function (data) {
        manifest = data;
        texts = {};
        if (window.performance && performance.mark) {
          performance.mark('kb-search-ready'); // read by the benchmarks in bench/
        }
        document.documentElement.setAttribute('data-kb-search', 'ready');
        return data;
      })
      .catch(function (error) {
        loading = null;
        document.documentElement.setAttribute('data-kb-search', 'failed');
        throw error;
      });
    return loading;
  }

  // A file of the current base; if a deploy replaced the base since the manifest was read,
  // the manifest is read again and the request retried once.
  function baseText(name, retried) {
    var key = manifest.base + '/' + name;
    if (!texts[key]) {
      texts[key] = get(ROOT + name + '?b=' + manifest.base).then(function (text) {
        if (text.slice(0, 40).indexOf(manifest.base) < 0) {
          throw new Error('stale');
        }
        return text;
      });
      texts[key].catch(function () {
        delete texts[key];
      });
    }
    return texts[key].catch(function (error) {
      if (retried) {
        throw error;
      }
      loading = null;
      return fetchManifest({ cache: 'reload' }).then(function (data) {
        manifest = data;
        return baseText(name, true);
      });
    });
  }

  function overlay() {
    if (!manifest.overlay) {
      return Promise.resolve(null);
    }
    var key = 'overlay/' + manifest.overlay;
    if (!texts[key]) {
      texts[key] = get(ROOT + manifest.overlay).then(function (text) {
        var lines = text.split('\n');
        var pages = [];
        for (var i = 1; i + 1 < lines.length; i += 2) {
          pages.push({ display: JSON.parse(lines[i]), postings: lines[i + 1] });
        }
        return pages;
      });
    }
    return texts[key];
  }

  var parsedStarts = {};

  // Pages holding `token`: [{page, head}] over the base (dead pages left out) and overlay.
  function lookup(token) {
    var name = 'i-' + bucketOf(token, manifest.buckets) + '.txt';
    return Promise.all([baseText(name), overlay()]).then(function (both) {
      var text = both[0];
      var key = manifest.base + '/' + name;
      var starts = parsedStarts[key] || (parsedStarts[key] = lineStarts(text));
      var dead = {};
      manifest.dead.forEach(function (page) {
        dead[page] = true;
      });
      var found = [];
      entriesOf(text, token, starts).forEach(function (entry) {
        var page = entry.line - 1; // line 0 is the header
        if (page >= 0 && !dead[page]) {
          found.push({ page: page, head: entry.head, count: entry.count });
        }
      });
      (both[1] || []).forEach(function (extra, i) {
        var entries = entriesOf(extra.postings, token, [0]);
        if (entries.length) {
          found.push({ page: manifest.pages + i, head: entries[0].head, count: entries[0].count });
        }
      });
      return found;
    });
  }

  function pagesWith(tokens) {
    return Promise.all(tokens.map(lookup)).then(function (lists) {
      if (!lists.length) {
        return null;
      }
      var keep = {};
      lists[0].forEach(function (entry) {
        keep[entry.page] = 1;
      });
      lists.slice(1).forEach(function (list) {
        list.forEach(function (entry) {
          if (keep[entry.page]) {
            keep[entry.page] += 1;
          }
        });
      });
      var set = {};
      Object.keys(keep).forEach(function (page) {
        if (keep[page] === lists.length) {
          set[page] = true;
        }
      });
      return set;
    });
  }

  function facetTokens(filters) {
    return ['year', 'task', 'modality']
      .filter(function (name) {
        return filters[name];
      })
      .map(function (name) {
        return facetToken(name, filters[name]);
      });
  }

  // Ranked results [{page, score, section}] for a query and filters; [] for neither.
  function search(query, filters) {
    filters = filters || {};
    return load().then(function () {
      var tokens = unique(tokenize(query));
      var facets = facetTokens(filters);
      var allowed = facets.length ? pagesWith(facets) : Promise.resolve(null);
      if (!tokens.length) {
        return allowed.then(function (set) {
          if (!set) {
            return [];
          }
          return Object.keys(set)
            .map(Number)
            .sort(function (a, b) {
              return a - b;
            })
            .map(function (page) {
              return { page: page, score: 0, section: 0 };
            });
        });
      }
      return Promise.all([Promise.all(tokens.map(lookup)), allowed]).then(function (both) {
        var results = rank(both[0], manifest.count);
        var set = both[1];
        return set
          ? results.filter(function (result) {
              return set[result.page];
            })
          : results;
      });
    });
  }

  // [route, title, meta, sections] of a result page.
  function display(page) {
    if (page >= manifest.pages) {
      return overlay().then(function (pages) {
        return pages[page - manifest.pages].display;
      });
    }
    var block = Math.floor(page / manifest.block);
    return baseText('p-' + block + '.json').then(function (text) {
      return JSON.parse(text).pages[page % manifest.block];
    });
  }

  // Routes of the first results of a query (for the benchmarks in bench/).
  function routes(query, filters, limit) {
    return search(query, filters).then(function (results) {
      return Promise.all(
        results.slice(0, limit || 10).map(function (result) {
          return display(result.page).then(function (record) {
            return record[0];
          });
        })
      );
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
    text = String(text);
    var last = 0;
    markRanges(text, query).forEach(function (range) {
      if (range[0] > last) {
        node.appendChild(document.createTextNode(text.slice(last, range[0])));
      }
      node.appendChild(el('mark', '', text.slice(range[0], range[1])));
      last = range[1];
    });
    if (last < text.length) {
      node.appendChild(document.createTextNode(text.slice(last)));
    }
    return node;
  }

  var pageText = {};

  function pageFile(route) {
    var path = route.replace(/^\/+/, '');
    return /\/$/.test(path) || path === '' ? path + 'README.md' : path + '.md';
  }

  function fetchPage(route) {
    if (!pageText[route]) {
      pageText[route] = get(encodeURI(pageFile(route))).catch(function () {
        return '';
      });
    }
    return pageText[route];
  }

  function href(route, anchor) {
    return '#' + route + (anchor ? '?id=' + encodeURIComponent(anchor) : '');
  }

  // Fill a result row: the page (or the heading that matched) and, for the first rows, a
  // snippet from the page itself; a page found by its body also gets a second link, to the
  // section that holds the query (when the page's headings line up with the index's).
  function fillRow(item, record, result, query, withSnippet) {
    var sections = record[3] || [];
    var chosen = result.section > 0 ? sections[result.section - 1] : null;
    var link = el('a');
    link.href = href(record[0], chosen ? chosen[0] : '');
    var title = chosen ? record[1] + ' › ' + chosen[1] : record[1];
    link.appendChild(highlighted('span', 'kb-search-title', title, query));
    var snippet = highlighted('span', 'kb-search-snippet', record[2] || '', query);
    link.appendChild(snippet);
    item.appendChild(link);
    if (!withSnippet) {
      return;
    }
    fetchPage(record[0]).then(function (markdown) {
      if (!item.isConnected || !markdown) {
        return; // a newer query replaced the results
      }
      var parts = pageSections(markdown);
      var aligned = parts.length === sections.length + 1;
      if (!result.section && !result.title && aligned) {
        var body = bestSection(parts, query);
        if (body > 0) {
          var sub = el('a', 'kb-search-section');
          sub.href = href(record[0], sections[body - 1][0]);
          sub.appendChild(highlighted('span', 'kb-search-title', '› ' + sections[body - 1][1], query));
          var text = snippetOf(parts[body].text, query);
          sub.appendChild(highlighted('span', 'kb-search-snippet', text, query));
          item.appendChild(sub);
          return;
        }
      }
      var own = aligned || !result.section ? parts[result.section] : null;
      if (own && own.text) {
        snippet.replaceWith(highlighted('span', 'kb-search-snippet', snippetOf(own.text, query), query));
      }
    });
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
    input.setAttribute('aria-controls', 'kb-search-results');
    var facets = el('div', 'kb-search-facets');
    var status = el('p', 'kb-search-status');
    status.setAttribute('aria-live', 'polite');
    var list = el('ol', 'kb-search-results');
    list.id = 'kb-search-results';
    // A plain list of links (Tab reaches each one); the arrow keys in the box are a shortcut
    // that marks a row aria-current and Enter opens it.
    list.setAttribute('aria-label', '搜索结果');
    box.appendChild(input);
    box.appendChild(facets);
    box.appendChild(status);
    box.appendChild(list);
    var nav = sidebar.querySelector('.sidebar-nav');
    sidebar.insertBefore(box, nav || sidebar.firstChild);

    var selected = -1;
    var timer = 0;
    var generation = 0;

    function filters() {
      var chosen = {};
      facets.querySelectorAll('select').forEach(function (select) {
        chosen[select.name] = select.value;
      });
      return chosen;
    }

    function addFacets() {
      if (facets.childNodes.length || !manifest || !manifest.facets) {
        return;
      }
      var f = manifest.facets;
      facets.appendChild(
        facetSelect('year', '年份', (f.year || []).map(function (y) {
          return [String(y), String(y)];
        }))
      );
      facets.appendChild(facetSelect('task', '任务', Object.entries(f.task || {})));
      facets.appendChild(facetSelect('modality', '模态', Object.entries(f.modality || {})));
    }

    function select(position) {
      var items = list.querySelectorAll('li.kb-search-result');
      if (!items.length) {
        return;
      }
      selected = (position + items.length) % items.length;
      items.forEach(function (item, i) {
        if (i === selected) {
          item.setAttribute('aria-current', 'true');
        } else {
          item.removeAttribute('aria-current');
        }
      });
      items[selected].scrollIntoView({ block: 'nearest' });
    }

    function addRows(results, records, query) {
      results.forEach(function (result, i) {
        var item = el('li', 'kb-search-result');
        fillRow(item, records[i], result, query, true);
        list.appendChild(item);
      });
    }

    // Ten rows at a time: a page of results fetches the display blocks (and page text for
    // snippets) of those ten only; "显示更多" fetches the next ten.
    function showRows(all, from, query, current) {
      var rows = all.slice(from, from + PAGE_ROWS);
      return Promise.all(rows.map(function (r) {
        return display(r.page);
      })).then(function (records) {
        if (current !== generation) {
          return;
        }
        var more = box.querySelector('.kb-search-more');
        if (more) {
          more.remove();
        }
        addRows(rows, records, query);
        if (from + PAGE_ROWS < all.length) {
          var item = el('div', 'kb-search-more');
          var button = el('button', '', '显示更多（还有 ' + (all.length - from - PAGE_ROWS) + ' 条）');
          button.type = 'button';
          button.addEventListener('click', function (event) {
            button.disabled = true; // a second click before the rows arrive would add them twice
            showRows(all, from + PAGE_ROWS, query, current).then(function () {
              if (event.detail === 0 && current === generation) {
                input.focus(); // pressed from the keyboard: its focus must not fall to <body>
              }
            }, function () {
              button.disabled = false;
            });
          });
          item.appendChild(button);
          list.after(item);
        }
      });
    }

    function clearList() {
      list.textContent = '';
      selected = -1;
      var more = box.querySelector('.kb-search-more');
      if (more) {
        more.remove();
      }
    }

    function render() {
      var query = input.value.trim();
      var chosen = filters();
      var filtering = chosen.year || chosen.task || chosen.modality;
      var current = ++generation;
      box.classList.toggle('kb-search-active', Boolean(query || filtering));
      if (!query && !filtering) {
        clearList();
        status.textContent = '';
        return Promise.resolve();
      }
      return search(query, chosen).then(function (all) {
        return Promise.all(all.slice(0, PAGE_ROWS).map(function (r) {
          return display(r.page);
        })).then(function () {
          if (current !== generation) {
            return;
          }
          clearList();
          status.textContent = all.length ? '找到 ' + all.length + ' 条结果' : '没有找到结果';
          return showRows(all, 0, query, current).then(function () {
            if (window.performance && performance.mark) {
              performance.mark('kb-search-results'); // read by the benchmarks in bench/
            }
          });
        });
      });
    }

    function update() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        load()
          .then(function () {
            addFacets();
            return render();
          })
          .catch(function () {
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
        var step = event.key === 'ArrowDown' ? 1 : -1;
        // From the box, ArrowDown selects the first row and ArrowUp the last.
        select(selected < 0 ? Math.min(step, 0) : selected + step);
      } else if (event.key === 'Enter') {
        var rows = list.querySelectorAll('li.kb-search-result');
        var row = rows[selected >= 0 ? selected : 0];
        var target = row && row.querySelector('a');
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
    hook.mounted(mount); // no download here: the index loads when the reader searches
  }

  window.KB_SEARCH = Object.assign({ search: search, routes: routes, load: load }, pure);
  config.plugins = (config.plugins || []).concat([kbSearch]);
  window.$docsify = config;
})();
