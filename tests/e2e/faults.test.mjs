// Faults and load: a runner SIGKILLed mid-stream, 16 concurrent streams on num_parallel 4, a full
// queue (503), a client that disconnects mid-stream (its sequence is cancelled), and a server whose
// GPUs are hidden by CUDA_VISIBLE_DEVICES ("" and -1) serving on the CPU.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  Server, createModel, detokenize, fixtureModel, greedyIds, makeTempDir, processAlive, sleep, tokenize, waitFor,
} from './harness.mjs';
import { ResponseValidator } from './openapi.mjs';
import { makeClients } from './clients.mjs';

const STORY = fixtureModel('aidreams260K');
const TINY = fixtureModel('llama-tiny-llama3v4k-f32');
const skip = STORY && TINY ? false : 'fixture models absent (../shared/fixtures/models): e2e fault tests skipped';

// A long generation: the random tied model repeats tokens and (practically) never stops by itself.
const LONG = { model: 'tiny', prompt: 'one two three', raw: true, options: { temperature: 0, num_predict: 100000 } };

// Starts a streamed /api/generate and returns a reader of its NDJSON lines.
async function openStream(c, server, body, controller = new AbortController()) {
  const res = await c.vfetch(`${server.url}/api/generate`, {
    method: 'POST', body: JSON.stringify({ ...body, stream: true }), signal: controller.signal,
    headers: { 'content-type': 'application/json' },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const lines = [];
  return {
    status: res.status,
    controller,
    lines,
    // Reads until `count` lines arrived (or the end); returns false at the end of the stream.
    async readLines(count = Infinity) {
      while (lines.length < count) {
        const { done, value } = await reader.read();
        if (done) return false;
        buffer += decoder.decode(value, { stream: true });
        const parts = buffer.split('\n');
        buffer = parts.pop();
        for (const p of parts) if (p !== '') lines.push(JSON.parse(p));
      }
      return true;
    },
  };
}

async function metric(c, name) {
  const r = await c.request('GET', '/metrics');
  assert.equal(r.status, 200);
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(r.text);
  assert.ok(m, `/metrics has ${name}`);
  return Number(m[1]);
}

function setup(env) {
  const ctx = {};
  before(async () => {
    ctx.store = makeTempDir();
    createModel(ctx.store, 'story', STORY);
    createModel(ctx.store, 'tiny', TINY);
    ctx.server = await Server.start({ storeDir: ctx.store, env });
    ctx.v = new ResponseValidator();
    ctx.c = makeClients(ctx.server, ctx.v);
  });
  afterEach(async () => ctx.v.check());
  after(async () => {
    if (ctx.v) console.log(`# ${ctx.v.report().replaceAll('\n', '\n# ')}`);
    if (ctx.server) await ctx.server.stop();
    if (ctx.store) fs.rmSync(ctx.store, { recursive: true, force: true });
  });
  return ctx;
}

describe('runner killed mid-stream', { skip }, () => {
  const ctx = setup({ CORRAL_NUM_PARALLEL: '1' });

  it('ends that stream with an error line; the next request starts a fresh runner', async () => {
    const { c, server } = ctx;
    const s = await openStream(c, server, LONG);
    assert.equal(s.status, 200);
    assert.ok(await s.readLines(3), 'the stream started');
    const runners = server.runnerPids();
    assert.equal(runners.length, 1, `one runner child: ${runners}`);
    process.kill(runners[0], 'SIGKILL');
    while (await s.readLines(s.lines.length + 1)) { /* read to the end */ }
    const last = s.lines.at(-1);
    assert.ok('error' in last, `the last line is an error: ${JSON.stringify(last)}`);
    assert.match(last.error, /model runner for tiny(:latest)? exited \(signal 9\) while generating/);
    assert.ok(!s.lines.some((l) => l.done), 'no done line');
    assert.ok(!processAlive(runners[0]), 'the killed runner is reaped');
    const r = await c.ollama.generate({ model: 'tiny', prompt: 'again', raw: true, stream: false, options: { num_predict: 4 } });
    assert.equal(r.done, true);
    assert.equal(r.eval_count, 4);
    const fresh = server.runnerPids();
    assert.equal(fresh.length, 1);
    assert.notEqual(fresh[0], runners[0], 'a fresh runner');
  });
});

describe('16 concurrent streams on num_parallel 4', { skip }, () => {
  const ctx = setup({ CORRAL_NUM_PARALLEL: '4' });

  it('all get complete answers equal to the sequential greedy ones', async () => {
    const { c } = ctx;
    const prompts = ['Once upon a time', 'The little dog', 'Lily and Ben went', 'One day, a bird'];
    const n = 20;
    const expected = prompts.map((p) => {
      const ids = tokenize(STORY, p);
      const out = greedyIds(STORY, ids, n);
      return detokenize(STORY, [...ids, ...out]).slice(detokenize(STORY, ids).length);
    });
    // Sequential answers through the API first.
    for (let i = 0; i < prompts.length; i++) {
      const r = await c.ollama.generate({ model: 'story', prompt: prompts[i], raw: true, stream: false, options: { temperature: 0, num_predict: n } });
      assert.equal(r.response, expected[i], `sequential answer ${i}`);
    }
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 16 }, async (_, k) => {
      const i = k % prompts.length;
      const stream = await c.ollama.generate({ model: 'story', prompt: prompts[i], raw: true, stream: true, options: { temperature: 0, num_predict: n } });
      let text = '';
      let final = null;
      for await (const part of stream) {
        text += part.response;
        if (part.done) final = part;
      }
      return { i, text, final };
    }));
    console.log(`# 16 concurrent streams of ${n} tokens: ${Date.now() - t0} ms`);
    for (const r of results) {
      assert.ok(r.final, `stream for prompt ${r.i} ended with done`);
      assert.equal(r.text, expected[r.i], `concurrent answer for prompt ${r.i}`);
    }
  });
});

describe('a full queue', { skip }, () => {
  const ctx = setup({ CORRAL_NUM_PARALLEL: '1', CORRAL_MAX_QUEUE: '1' });

  it('answers 503 server busy while the others are served', async () => {
    const { c, server } = ctx;
    await c.ollama.generate({ model: 'tiny', prompt: '', stream: false }); // loaded, so requests queue at once
    // Five slow requests at once: one runs, one may wait, the rest find the queue full.
    const outcomes = [];
    const requests = Array.from({ length: 5 }, () => {
      const controller = new AbortController();
      const p = c.vfetch(`${server.url}/api/generate`, {
        method: 'POST', signal: controller.signal, headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...LONG, options: { ...LONG.options, num_predict: 5000 } }),
      }).then(async (res) => {
        const o = { status: res.status, body: res.status === 503 ? await res.json() : null };
        outcomes.push(o);
        // Served ones are read until the abort below ends them.
        if (res.status !== 503) await res.text().catch(() => {});
        return o;
      }, () => ({ status: 'aborted before headers' }));
      return { controller, p };
    });
    await waitFor('a 503 answer', () => outcomes.some((o) => o.status === 503), 15_000);
    await sleep(200); // let the other refusals arrive
    for (const r of requests) r.controller.abort();
    const statuses = (await Promise.all(requests.map((r) => r.p))).map((o) => o.status);
    const refused = outcomes.filter((o) => o.status === 503);
    for (const o of refused) {
      assert.match(o.body.error, /server busy, please try again\.\s+maximum pending requests exceeded/);
    }
    assert.ok(refused.length >= 2, `with one running and a queue of one, most are refused: ${statuses}`);
    assert.ok(refused.length <= 4, `the first request is served: ${statuses}`);
    await waitFor('the queue to drain', async () => (await metric(c, 'corral_queue_depth')) === 0);
  });
});

describe('a client that disconnects mid-stream', { skip }, () => {
  const ctx = setup({ CORRAL_NUM_PARALLEL: '2' });

  it('has its sequence cancelled', async () => {
    const { c, server } = ctx;
    const before = await metric(c, 'corral_requests_cancelled_total');
    const s = await openStream(c, server, LONG);
    assert.ok(await s.readLines(5), 'the stream started');
    assert.equal(await metric(c, 'corral_sequences_active'), 1);
    s.controller.abort();
    await waitFor('corral_requests_cancelled_total to grow', async () => (await metric(c, 'corral_requests_cancelled_total')) === before + 1);
    await waitFor('no active sequence', async () => (await metric(c, 'corral_sequences_active')) === 0);
    // No more tokens are generated for it.
    const a = await metric(c, 'corral_generated_tokens_total');
    await sleep(300);
    assert.equal(await metric(c, 'corral_generated_tokens_total'), a, 'generation stopped');
    const r = await c.ollama.generate({ model: 'tiny', prompt: 'next', raw: true, stream: false, options: { num_predict: 3 } });
    assert.equal(r.eval_count, 3);
  });
});

for (const value of ['', '-1']) {
  describe(`CUDA_VISIBLE_DEVICES="${value}"`, { skip }, () => {
    const ctx = setup({ CUDA_VISIBLE_DEVICES: value });

    it('starts and its log says why no GPU is used', async () => {
      assert.match(ctx.server.log, new RegExp(`CUDA_VISIBLE_DEVICES=\\\\?"${value}\\\\?" hides every .*models run on the CPU`), ctx.server.log);
    });

    it('serves on the CPU', async () => {
      const { c } = ctx;
      const r = await c.ollama.generate({ model: 'story', prompt: 'Once', raw: true, stream: false, options: { temperature: 0, num_predict: 4 } });
      assert.equal(r.done, true);
      const { models } = await c.ollama.ps();
      assert.equal(models[0].size_vram, 0, 'nothing on a GPU');
    });
  });
}
