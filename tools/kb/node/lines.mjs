// From an offset in rendered HTML back to a line of the page's source file.
//
// Before docsify compiles a page, a marker comment (<!--kb-line:NONCE:N-->) is put between
// its top-level markdown tokens; a finding's offset in the HTML falls after the marker of
// the token that produced it. Tokens have lines in the text the plugins handed to docsify
// (front matter removed, math replaced); `alignLines` maps those back to the file, and a
// needle (the tag, attribute or URL at fault) picks the exact line inside the token.

/** Insert markers before top-level tokens; returns {tokens, starts} (0-based lines in src). */
export function markTokens(tokens, src, nonce) {
  const marked = [];
  const starts = [];
  let cursor = 0;
  let line = 0;
  for (const token of tokens) {
    const raw = typeof token.raw === 'string' ? token.raw : '';
    const at = raw ? src.indexOf(raw, cursor) : -1;
    if (at >= 0) {
      line += countNewlines(src, cursor, at);
      cursor = at;
    }
    // A token that starts with the newline ending the line before (a blank-line token)
    // belongs to the next line.
    const lead = at >= 0 ? /^\n*/.exec(raw)[0].length : 0;
    const index = starts.length;
    starts.push(line + lead);
    marked.push({ type: 'html', block: true, pre: false, raw: '', text: `<!--kb-line:${nonce}:${index}-->` });
    marked.push(token);
    if (at >= 0) {
      line += countNewlines(src, at, at + raw.length);
      cursor = at + raw.length;
    }
  }
  marked.links = tokens.links;
  return { tokens: marked, starts };
}

function countNewlines(text, from, to) {
  let count = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** The markers in `html`: sorted [[offset, tokenIndex, endOffset], …]. */
export function findMarkers(html, nonce) {
  const found = [];
  const pattern = new RegExp(`<!--kb-line:${nonce}:(\\d+)-->`, 'g');
  for (let match = pattern.exec(html); match; match = pattern.exec(html)) {
    found.push([match.index, Number(match[1]), match.index + match[0].length]);
  }
  return found;
}

/** The last marker at or before `offset`, or null. */
function markerAt(markers, offset) {
  let lo = 0;
  let hi = markers.length - 1;
  let best = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (markers[mid][0] <= offset) {
      best = markers[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

/**
 * A locator: offset in `html` (+ needle) → 1-based line of the source file.
 *
 * The token is the one whose marker precedes the offset; the line inside it is guessed by
 * the newlines between the marker and the offset (HTML blocks and paragraphs keep their
 * line breaks), then the needle, searched from that guess to the end of the token (and
 * back to its start), names the exact line.
 */
export function locator(html, markers, starts, toSource, lines) {
  const last = lines.length - 1;
  const source = (changedLine) => Math.min(toSource[changedLine] ?? last, last);
  return (offset, needle) => {
    const marker = markerAt(markers, offset);
    const token = marker ? marker[1] : 0;
    const startLine = starts[token] ?? 0;
    const endLine = starts[token + 1] === undefined ? toSource.length - 1 : starts[token + 1] - 1;
    const inside = marker && offset > marker[2] ? countNewlines(html, marker[2], offset) : 0;
    const from = source(startLine);
    const to = Math.max(from, starts[token + 1] === undefined ? last : source(starts[token + 1]) - 1);
    const guess = Math.min(Math.max(source(Math.min(startLine + inside, Math.max(startLine, endLine))), from), to);
    const needles = (Array.isArray(needle) ? needle : [needle]).filter(Boolean).map((n) => String(n).toLowerCase());
    if (!needles.length || needles.some((n) => lines[guess].toLowerCase().includes(n))) return guess + 1;
    return nearest(lines, from, to, guess, needles[0]) ?? guess + 1;
  };
}

/** 1-based line nearest to `guess` in `lines[from..to]` holding `needle` (earlier on ties). */
function nearest(lines, from, to, guess, needle) {
  for (let distance = 1; guess - distance >= from || guess + distance <= to; distance++) {
    for (const i of [guess - distance, guess + distance]) {
      if (i >= from && i <= to && i < lines.length && lines[i].toLowerCase().includes(needle)) return i + 1;
    }
  }
  return null;
}

/**
 * For each line of `changed` (the text docsify compiled), the 0-based line of `original`
 * (the file) it came from. Plugins only remove or collapse lines (front matter, multi-line
 * math), so equal lines are matched in order and changed lines take the next file line.
 */
export function alignLines(original, changed) {
  const source = original.split('\n');
  const target = changed.split('\n');
  const positions = new Map();
  source.forEach((text, index) => {
    if (!text.trim()) return;
    const list = positions.get(text);
    if (list) list.push(index);
    else positions.set(text, [index]);
  });
  // Pass 1: lines that survived unchanged, matched in order.
  const map = new Array(target.length).fill(-1);
  let s = 0;
  for (let t = 0; t < target.length; t++) {
    const text = target[t];
    if (s < source.length && source[s] === text) {
      map[t] = s++;
      continue;
    }
    const next = text.trim() ? firstAtOrAfter(positions.get(text), s) : -1;
    if (next >= 0) {
      map[t] = next;
      s = next + 1;
    }
  }
  // Pass 2: a changed line sits between two matched ones; it came from the line of that gap
  // it shares the longest start with ("# 标题 $x$" → "# 标题 <!-- … -->"), else from the
  // gap's first line (a collapsed block starts where the block did).
  let t = 0;
  while (t < target.length) {
    if (map[t] >= 0) {
      t++;
      continue;
    }
    const start = t;
    while (t < target.length && map[t] < 0) t++;
    const low = start > 0 ? map[start - 1] + 1 : 0;
    const high = t < target.length ? map[t] - 1 : source.length - 1;
    let cursor = Math.min(low, Math.max(source.length - 1, 0));
    // Blank lines closing the gap pair with the blank lines before the next match, so a
    // collapsed block keeps every line up to there.
    let end = t;
    let h = high;
    while (end > start && !target[end - 1].trim()) {
      end--;
      map[end] = Math.max(cursor, h);
      if (h > cursor && !(source[h] || '').trim()) h--;
    }
    for (let i = start; i < end; i++) {
      if (!target[i].trim()) {
        map[i] = cursor;
        if (cursor < high && !(source[cursor] || '').trim()) cursor++;
        continue;
      }
      const best = mostAlike(target[i], source, cursor, Math.max(cursor, high));
      map[i] = best;
      if (best < high) cursor = best + 1;
    }
  }
  return map;
}

function mostAlike(text, source, from, to) {
  let best = from;
  let bestLength = 0;
  for (let i = from; i <= to && i < source.length; i++) {
    const length = commonStart(text, source[i]);
    if (length > bestLength) {
      best = i;
      bestLength = length;
    }
  }
  return best;
}

function commonStart(a, b) {
  const limit = Math.min(a.length, b.length);
  let i = 0;
  while (i < limit && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return a.trim() ? i : 0;
}

function firstAtOrAfter(list, from) {
  if (!list) return -1;
  let lo = 0;
  let hi = list.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] >= from) {
      best = list[mid];
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return best;
}

