// From an offset in rendered HTML back to a line of the page's source file.
//
// Before docsify compiles a page, a marker comment (<!--kb-line:NONCE:N-->) is put between
// its top-level markdown tokens; a finding's offset in the HTML falls after the marker of
// the token that produced it. Tokens have lines in the text the plugins handed to docsify
// (front matter removed, math replaced); `alignLines` maps those back to the file, and a
// needle (the tag, attribute or URL at fault) picks the exact line inside the token.

/** Insert markers before top-level tokens; returns {tokens, starts} (0-based lines in src). */
export function markTokens(tokens, src, nonce) {
  src = normalizeNewlines(src); // marked reads CR and CRLF as LF; its tokens' raw text does too
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

/** The line breaks kb counts (as in its Python checks): LF, CRLF and a lone CR. */
export const LINE_BREAK = /\r\n|\r|\n/;

export function normalizeNewlines(text) {
  return text.replace(/\r\n|\r/g, '\n');
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
    for (const wanted of needles) {
      if (lines[guess].toLowerCase().includes(wanted)) return guess + 1;
      const hit = nearest(lines, from, to, guess, wanted);
      if (hit !== null) return hit;
    }
    return guess + 1;
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
  const source = original.split(LINE_BREAK);
  const target = changed.split(LINE_BREAK);
  // Pass 1: lines that survived unchanged (patience alignment: lines found once on each
  // side anchor first, so a repeated line such as "---" cannot pull the match astray).
  const map = new Array(target.length).fill(-1);
  matchRange(source, target, 0, source.length, 0, target.length, map);
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

/** How much two lines share at their start or at their end (a plugin replaced the middle,
 * or a cut such as the end of front matter fell inside the line). */
function commonStart(a, b) {
  if (!a.trim()) return 0;
  const limit = Math.min(a.length, b.length);
  let start = 0;
  while (start < limit && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let end = 0;
  while (end < limit && a.charCodeAt(a.length - 1 - end) === b.charCodeAt(b.length - 1 - end)) end++;
  return Math.max(start, end);
}

/** Match equal lines of source[s0..s1) and target[t0..t1) into `map` (patience diff). */
function matchRange(source, target, s0, s1, t0, t1, map) {
  const stack = [[s0, s1, t0, t1]];
  while (stack.length) {
    let [a0, a1, b0, b1] = stack.pop();
    // Equal lines at both ends match as they are.
    while (a0 < a1 && b0 < b1 && source[a0] === target[b0]) map[b0++] = a0++;
    while (a0 < a1 && b0 < b1 && source[a1 - 1] === target[b1 - 1]) map[--b1] = --a1;
    if (a0 >= a1 || b0 >= b1) continue;
    const anchors = uniqueAnchors(source, target, a0, a1, b0, b1);
    if (!anchors.length) continue;
    let [sa, ta] = [a0, b0];
    for (const [si, ti] of anchors) {
      map[ti] = si;
      stack.push([sa, si, ta, ti]);
      [sa, ta] = [si + 1, ti + 1];
    }
    stack.push([sa, a1, ta, b1]);
  }
}

/** Non-blank lines found exactly once in each range, paired, longest increasing run. */
function uniqueAnchors(source, target, a0, a1, b0, b1) {
  const count = (lines, from, to) => {
    const seen = new Map();
    for (let i = from; i < to; i++) {
      if (!lines[i].trim()) continue;
      const entry = seen.get(lines[i]);
      if (entry) entry[1]++;
      else seen.set(lines[i], [i, 1]);
    }
    return seen;
  };
  const inSource = count(source, a0, a1);
  const pairs = [];
  for (const [text, [ti, times]] of count(target, b0, b1)) {
    const match = inSource.get(text);
    if (times === 1 && match && match[1] === 1) pairs.push([match[0], ti]);
  }
  pairs.sort((x, y) => x[1] - y[1]);
  return longestIncreasing(pairs);
}

/** The longest run of pairs whose source lines increase with their target lines. */
function longestIncreasing(pairs) {
  const tails = [];
  const previous = new Array(pairs.length).fill(-1);
  for (let i = 0; i < pairs.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pairs[tails[mid]][0] < pairs[i][0]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const run = [];
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = previous[i]) run.push(pairs[i]);
  return run.reverse();
}


