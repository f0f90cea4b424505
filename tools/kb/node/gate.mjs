// kb's HTML gate: `node gate.mjs` reads a JSON config line, then one JSON request per line,
// and answers one JSON line per request (in completion order):
//
//   config   {nodeModules, scripts: [file…], policyFile, jobs, timeoutMs, maxBytes}
//   request  {id, root, iframeHosts, kind: 'page' | 'sidebar', file, route, text}
//   answer   {id, findings: [{line, code, message, hint}], reads: [file…]}
//
// Pages are rendered by worker threads (worker.mjs) running the site's own docsify. A page
// that takes longer than timeoutMs is answered with SEC608 and its worker is replaced: a page
// kb cannot render is a page kb cannot vouch for. If docsify cannot start at all, the gate
// prints {"fatal": "..."} and exits with status 3.

import readline from 'node:readline';
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./worker.mjs', import.meta.url);

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const lines = input[Symbol.asyncIterator]();
const first = await lines.next();
if (first.done) process.exit(0);
const config = JSON.parse(first.value);

const queue = [];
let pending = 0;
let closed = false;
let fatal = false;
const idle = [];

function write(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function fail(message) {
  if (fatal) return;
  fatal = true;
  write({ fatal: message });
  process.exit(3);
}

function spawn() {
  const worker = new Worker(WORKER, {
    workerData: config,
    // Live data stays small (docsify is restarted every 5,000 pages); a cap keeps V8 from
    // growing the heap instead of collecting it.
    resourceLimits: { maxOldGenerationSizeMb: 768 },
  });
  const slot = { worker, request: null, timer: null, ready: false };
  worker.on('message', (message) => {
    if (message.fatal) return fail(message.fatal);
    if (message.ready) {
      slot.ready = true;
      if (message.loadErrors && message.loadErrors.length) write({ warnings: message.loadErrors });
      idle.push(slot);
      return pump();
    }
    clearTimeout(slot.timer);
    slot.request = null;
    write(message);
    pending--;
    idle.push(slot);
    pump();
  });
  worker.on('error', (error) => {
    if (!slot.ready) return fail(`the gate's worker failed to start: ${error && error.message}`);
    finishBroken(slot, `the renderer crashed: ${error && error.message}`);
  });
  worker.on('exit', () => {
    if (slot.request) finishBroken(slot, 'the renderer stopped');
  });
  return slot;
}

function finishBroken(slot, why) {
  const request = slot.request;
  clearTimeout(slot.timer);
  slot.request = null;
  if (request) {
    write({
      id: request.id,
      findings: [
        {
          line: 1,
          code: 'SEC608',
          message: `page could not be rendered the way the site renders it (${why})`,
          hint: 'kb cannot tell what this page shows, so it refuses it; simplify the markup',
        },
      ],
      reads: [],
    });
    pending--;
  }
  slot.worker.removeAllListeners();
  slot.worker.terminate();
  spawn();
  pump();
}

function pump() {
  while (idle.length && queue.length) {
    const slot = idle.pop();
    const request = queue.shift();
    slot.request = request;
    slot.timer = setTimeout(
      () => finishBroken(slot, `rendering took longer than ${config.timeoutMs / 1000} s`),
      config.timeoutMs,
    );
    slot.worker.postMessage(request);
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
