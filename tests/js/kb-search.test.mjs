// The pure functions of assets/kb-search.js, in Node (`node --test tests/js/`; run by
// tests/test_js.py). Tokens and buckets are checked against tokenize-cases.json, which
// tests/test_search.py checks against Python's kb.searchtext: both sides agree on one file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const kb = require('../../assets/kb-search.js');
const cases = JSON.parse(readFileSync(new URL('./tokenize-cases.json', import.meta.url), 'utf8'));

test('tokens and buckets are the ones Python computes', () => {
  for (const { text, tokens, buckets } of cases) {
    assert.deepEqual(kb.tokenize(text), tokens, text);
    assert.deepEqual(tokens.map((t) => kb.bucketOf(t, 1024)), buckets, text);
  }
});

test('a bucket of a smaller index is the same hash modulo its size', () => {
  for (const token of ['卷积', 'resnet', '!y2019', '!t:survival-analysis']) {
    assert.equal(kb.bucketOf(token, 64), kb.bucketOf(token, 1024) % 64);
  }
  assert.equal(kb.crc32(''), 0);
  assert.equal(kb.crc32('123456789'), 0xcbf43926); // the CRC-32 check value
});

test('facet tokens are the ones kb.searchtext.facet_token writes', () => {
  assert.equal(kb.facetToken('year', '2019'), '!y2019');
  assert.equal(kb.facetToken('task', 'segmentation'), '!t:segmentation');
  assert.equal(kb.facetToken('modality', 'ct'), '!m:ct');
});

test('highlight ranges are offsets of the original text when NFKC changes lengths', () => {
  // … folds to three characters, ① to one, ﬁ to two, ㎏ to two: marks after them used to drift.
  const text = '…①卷积…网络 ﬁ ㎏ Dice';
  const ranges = kb.markRanges(text, '卷积网络 dice');
  assert.deepEqual(
    ranges.map(([a, b]) => text.slice(a, b)),
    ['卷积', '网络', 'Dice']
  );
  assert.deepEqual(kb.markRanges('ﬁne ﬁ', 'fine'), [[0, 3]]);
  assert.deepEqual(kb.markRanges('Ｃｏｘ 模型', 'cox'), [[0, 3]]);
  assert.deepEqual(kb.markRanges('nothing here', '卷积'), []);
});

test('a combining mark stays with its letter', () => {
  const text = 'cafe\u0301 cafe';
  const ranges = kb.markRanges(text, 'caf');
  assert.deepEqual(ranges.map(([a, b]) => text.slice(a, b)), ['caf', 'caf']);
  const folded = kb.foldWithMap('e\u0301x');
  assert.equal(folded.text, 'éx');
  assert.deepEqual([folded.from, folded.to], [[0, 2], [2, 3]]);
});

test('snippets start near the first match, in original offsets', () => {
  const text = '…'.repeat(40) + '共享权重的小卷积核';
  assert.equal(kb.firstMatch(text, '共享'), 40);
  const snippet = kb.snippetOf(text, '共享');
  assert.ok(snippet.startsWith('…') && snippet.includes('共享权重'), snippet);
  assert.equal(kb.firstMatch('abc', '卷积'), -1);
});

test('entries of a token in a bucket text: lines, head sections, whole tokens only', () => {
  const text = 'base\n卷积#0.a net\n\nresnet 卷积~c\n卷积网 x';
  const starts = kb.lineStarts(text);
  assert.deepEqual(kb.entriesOf(text, '卷积', starts), [
    { line: 1, head: [0, 10], count: 1 },
    { line: 3, head: null, count: 12 },
  ]);
  assert.deepEqual(kb.entriesOf(text, 'net', starts), [{ line: 1, head: null, count: 1 }]);
  // Overlay postings: pieces joined by "|".
  assert.deepEqual(kb.entriesOf('a|卷积#1|b', '卷积', [0]), [{ line: 0, head: [1], count: 1 }]);
});

test('ranking: the whole query in a heading first, enough of the query required', () => {
  const hits = [
    [{ page: 0, head: [2] }, { page: 1, head: null }, { page: 2, head: null }],
    [{ page: 0, head: [2] }, { page: 1, head: null }],
    [{ page: 0, head: null }, { page: 3, head: null }],
  ];
  const results = kb.rank(hits, 10);
  assert.deepEqual(
    results.map((r) => [r.page, r.section]),
    [
      [0, 2],
      [1, 0],
    ]
  );
  assert.equal(results[0].title, false);
  // Two-token queries need both tokens while some page has both...
  const both = kb.rank([[{ page: 0, head: null }, { page: 1, head: null }], [{ page: 1, head: null }]], 10);
  assert.deepEqual(both.map((r) => r.page), [1]);
  // ...and when none has, the pages with part of the query are shown rather than nothing.
  assert.deepEqual(kb.rank([[{ page: 0, head: null }], []], 10).map((r) => r.page), [0]);
  assert.deepEqual(kb.rank([[], []], 10), []);
});

test('page sections follow the headings the index lists', () => {
  const markdown = [
    '---',
    'title: x',
    '---',
    '# 标题',
    '',
    '导言。',
    '',
    '```',
    '## 不是标题',
    '```',
    '## 方法 **A**',
    '',
    '用[卷积](a.md)网络。',
    '#### 太深',
    '仍属方法。',
  ].join('\n');
  const sections = kb.pageSections(markdown);
  assert.deepEqual(
    sections.map((s) => s.heading),
    ['', '方法 A']
  );
  assert.equal(sections[1].text, '用卷积网络。 #### 太深 仍属方法。');
  assert.equal(kb.bestSection(sections, '卷积'), 1);
});

test('pageSections leaves generated tables out, as the index does', () => {
  const markdown = [
    '# 论文',
    '',
    '<!-- kb:table papers-index -->',
    '',
    '## 生存分析',
    '',
    '| 论文 | 年份 |',
    '| --- | --- |',
    '| [卷积网络](a.md) | 2020 |',
    '',
    '<!-- /kb:table -->',
    '',
    '按类别列出全部论文。',
  ].join('\n');
  const sections = kb.pageSections(markdown);
  assert.deepEqual(sections, [{ heading: '', text: '按类别列出全部论文。' }]);
});

test('snippets show formulas as plain letters, or leave them out, never as LaTeX', () => {
  const text = kb.plain(
    '设 $\\mathbf{x}$ 与 $p_{i,c}$，而 $\\frac{a}{b}$ 和\n$$\n\\sum_i x_i\n$$\n使 $\\hat{S}(t) \\le 0.5$ 的最小 $t$',
  );
  assert.equal(text, '设 x 与 p_i,c，而 … 和\n \n使 … 的最小 t');
  assert.doesNotMatch(text, /\\[a-z]+|\$/);
});
