// kb's HTML gate: `node gate.mjs` reads a JSON config line, then one JSON request per line,
// and answers one JSON line per request (in completion order):
//
//   config   {nodeModules, scripts: [file…], policyFile, jobs, timeoutMs, maxBytes}
//   request  {id, root, iframeHosts, kind: 'page' | 'sidebar', file, route, text}
//   answer   {id, findings: [{line, code, message, hint}], reads: [file…]}
//
// Pages are rendered by worker threads (worker.mjs) running the site's own docsify. Each
// worker holds a few requests ahead (it never waits for the next page) and answers in
// batches; it tells which page it is rendering through shared memory, so a page that takes
// longer than timeoutMs is answered with SEC608 and its worker is replaced, while the other
// pages it held go to another worker: a page kb cannot render is a page kb cannot vouch for.
// If docsify cannot start at all, the gate prints {"fatal": "..."} and exits with status 3.

import readline from 'node:readline';
import { Worker } from 'node:worker_threads';

import { PROGRESS_BUSY, PROGRESS_ID, PROGRESS_SEQ, PROGRESS_SLOTS } from './progress.mjs';

const WORKER = new URL('./worker.mjs', import.meta.url);
/** Requests a worker holds at once (the one it renders and those waiting behind it). */
const AHEAD = 8;
/**
 * The young generation of a worker's heap. Rendering a page allocates a few MB that are
 * garbage once it is judged; V8's default nursery is collected (and its survivors copied)
 * many times per page, a larger one lets almost everything die before a collection.
 */
const YOUNG_GENERATION_MB = 64;

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const lines = input[Symbol.asyncIterator]();
const first = await lines.next();
if (first.done) process.exit(0);
const config = JSON.parse(first.value);

const queue = [];
const slots = [];
let pending = 0;
let closed = false;
let fatal = false;
let watchdog = null;

function write(messages) {
  if (messages.length) process.stdout.write(`${messages.map((m) => JSON.stringify(m)).join('\n')}\n`);
}

function fail(message) {
  if (fatal) return;
  fatal = true;
  write([{ fatal: message }]);
  process.exit(3);
}

function spawn() {
  const progress = new Int32Array(new SharedArrayBuffer(PROGRESS_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  const worker = new Worker(WORKER, {
    workerData: { ...config, progress },
    // Live data stays small (docsify is restarted every few thousand pages); a cap keeps
    // V8 from growing the heap instead of collecting it.
    resourceLimits: { maxOldGenerationSizeMb: 768, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
  // `held`: the requests sent to this worker and not answered yet, in the order it takes them.
  const slot = { worker, progress, held: new Map(), ready: false, seen: -1, since: 0 };
  slots.push(slot);
  worker.on('message', (message) => {
    if (message.fatal) return fail(message.fatal);
    if (message.ready) {
      slot.ready = true;
      if (message.loadErrors && message.loadErrors.length) write([{ warnings: message.loadErrors }]);
      return pump();
    }
    const answers = message.answers.filter((answer) => slot.held.delete(answer.id));
    pending -= answers.length;
    write(answers);
    pump();
  });
  worker.on('error', (error) => {
    if (!slot.ready) return fail(`the gate's worker failed to start: ${error && error.message}`);
    finishBroken(slot, `the renderer crashed: ${error && error.message}`);
  });
  worker.on('exit', () => {
    if (!slot.ready) return fail("the gate's worker stopped while it started");
    if (slots.includes(slot)) finishBroken(slot, 'the renderer stopped');
  });
  return slot;
}

/** The page `slot`'s worker is on is refused; the pages it held go back to the queue. */
function finishBroken(slot, why) {
  slots.splice(slots.indexOf(slot), 1);
  slot.worker.removeAllListeners();
  slot.worker.terminate();
  const busy = Atomics.load(slot.progress, PROGRESS_BUSY) === 1;
  const held = [...slot.held.values()];
  // A worker that broke between pages broke on the next one it would have rendered.
  const culprit = busy ? slot.held.get(Atomics.load(slot.progress, PROGRESS_ID)) : held[0];
  if (culprit) {
    write([
      {
        id: culprit.id,
        findings: [
          {
            line: 1,
            code: 'SEC608',
            message: `page could not be rendered the way the site renders it (${why})`,
            hint: 'kb cannot tell what this page shows, so it refuses it; simplify the markup',
          },
        ],
        reads: [],
      },
    ]);
    pending--;
  }
  queue.unshift(...held.filter((request) => request !== culprit));
  spawn();
  pump();
}

/** Refuse the page a worker has been rendering for longer than timeoutMs. */
function watch() {
  const now = Date.now();
  for (const slot of [...slots]) {
    const seq = Atomics.load(slot.progress, PROGRESS_SEQ);
    if (!slot.ready || Atomics.load(slot.progress, PROGRESS_BUSY) !== 1) {
      slot.seen = -1;
    } else if (seq !== slot.seen) {
      slot.seen = seq;
      slot.since = now;
    } else if (now - slot.since >= config.timeoutMs) {
      finishBroken(slot, `rendering took longer than ${config.timeoutMs / 1000} s`);
    }
  }
}

function pump() {
  for (const slot of slots) {
    if (!slot.ready || !queue.length || slot.held.size >= AHEAD) continue;
    const batch = queue.splice(0, AHEAD - slot.held.size);
    for (const request of batch) slot.held.set(request.id, request);
    slot.worker.postMessage(batch);
  }
  if (pending > 0 && watchdog === null) {
    watchdog = setInterval(watch, Math.max(10, Math.min(250, config.timeoutMs / 8)));
  } else if (pending === 0 && watchdog !== null) {
    clearInterval(watchdog);
    watchdog = null;
  }
  if (closed && pending === 0) process.exit(0);
}

for (let i = 0; i < Math.max(1, config.jobs || 1); i++) spawn();

for await (const line of lines) {
  if (!line.trim()) continue;
  queue.push(JSON.parse(line));
  pending++;
  pump();
}
closed = true;
pump();
