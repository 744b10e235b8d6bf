// The Ollama API through the official ollama-js client: models (list, show, create from an uploaded
// blob, copy, delete), generate, chat, embed, ps, load/unload-only requests, errors; greedy outputs
// equal `corral debug generate`'s. Every response is validated against the OpenAPI spec.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import {
  Server, chatReference, createModel, detokenize, fixtureModel, greedyIds, makeTempDir, tokenize, waitFor,
} from './harness.mjs';
import { ResponseValidator } from './openapi.mjs';
import { makeClients } from './clients.mjs';

const STORY = fixtureModel('aidreams260K'); // trained llama2.c model: varied greedy text, no chat template
const TINY = fixtureModel('llama-tiny-llama3v4k-q8_0'); // Llama 3 vocabulary and chat template
const UPLOAD = fixtureModel('llama-tiny-llama3v4k-q4_0');
const skip = STORY && TINY && UPLOAD ? false : 'fixture models absent (../shared/fixtures/models): e2e API tests skipped';

const GREEDY = { temperature: 0, seed: 42 };

// Greedy reference from the CLI: the API text for `prompt` (raw) with num_predict n.
function reference(model, prompt, n) {
  const promptIds = tokenize(model, prompt);
  const ids = greedyIds(model, promptIds, n);
  // Detokenize prompt+output and strip the prompt, so the first piece keeps its leading space.
  const full = detokenize(model, [...promptIds, ...ids]);
  const head = detokenize(model, promptIds);
  assert.ok(full.startsWith(head), 'detokenize(prompt + output) starts with detokenize(prompt)');
  return { promptIds, ids, text: full.slice(head.length) };
}

function l2(v) {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

describe('ollama-js against corral serve', { skip }, () => {
  let store;
  let server;
  let v;
  let c;

  before(async () => {
    store = makeTempDir();
    createModel(store, 'story', STORY);
    createModel(store, 'tiny', TINY);
    server = await Server.start({ storeDir: store, env: { CORRAL_KEEP_ALIVE: '5m', CORRAL_MAX_LOADED_MODELS: '3' } });
    v = new ResponseValidator();
    c = makeClients(server, v);
  });
  afterEach(async () => v.check());
  after(async () => {
    if (v) console.log(`# ${v.report().replaceAll('\n', '\n# ')}`);
    if (server) await server.stop();
    if (store) fs.rmSync(store, { recursive: true, force: true });
  });

  it('answers GET / and /api/version', async () => {
    const root = await c.request('GET', '/');
    assert.equal(root.status, 200);
    assert.equal(root.text, 'Ollama is running');
    const ver = await c.ollama.version();
    assert.match(ver.version, /^\d+\.\d+\.\d+/);
  });

  it('lists the created models', async () => {
    const { models } = await c.ollama.list();
    const names = models.map((m) => m.name).sort();
    assert.deepEqual(names, ['story:latest', 'tiny:latest']);
    const tiny = models.find((m) => m.name === 'tiny:latest');
    assert.equal(tiny.model, 'tiny:latest');
    assert.match(tiny.digest, /^[0-9a-f]{64}$/);
    assert.ok(tiny.size >= fs.statSync(TINY).size, `size ${tiny.size} covers the GGUF`);
    assert.equal(tiny.details.format, 'gguf');
    assert.equal(tiny.details.family, 'llama');
    assert.equal(tiny.details.quantization_level, 'Q8_0');
    assert.ok(!Number.isNaN(Date.parse(tiny.modified_at)), `modified_at ${tiny.modified_at}`);
  });

  it('shows a model', async () => {
    const s = await c.ollama.show({ model: 'tiny' });
    assert.equal(s.details.family, 'llama');
    assert.ok(s.capabilities.includes('completion'), `capabilities ${s.capabilities}`);
    assert.equal(s.model_info['general.architecture'], 'llama');
    assert.equal(s.model_info['llama.embedding_length'], 64);
    assert.equal(typeof s.template, 'string');
    assert.ok(s.template.length > 0, 'the GGUF chat template is shown');
  });

  it('generates greedily (raw, not streamed) exactly as corral debug generate', async () => {
    const prompt = 'Once upon a time, there was a little';
    const n = 24;
    const ref = reference(STORY, prompt, n);
    const r = await c.ollama.generate({ model: 'story', prompt, raw: true, stream: false, options: { ...GREEDY, num_predict: n } });
    assert.equal(r.model, 'story');
    assert.equal(r.done, true);
    assert.equal(r.response, ref.text);
    assert.equal(r.prompt_eval_count, ref.promptIds.length);
    const eogAtEnd = ref.ids.length < n;
    assert.equal(r.done_reason, eogAtEnd ? 'stop' : 'length');
    if (!eogAtEnd) assert.equal(r.eval_count, n);
    for (const k of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration']) {
      assert.ok(Number.isInteger(r[k]) && r[k] >= 0, `${k} = ${r[k]} (ns)`);
    }
    assert.ok(r.total_duration >= r.eval_duration, 'total_duration covers eval_duration');
  });

  it('streams the same greedy text, in pieces, ending with one done line', async () => {
    const prompt = 'The cat sat on the';
    const n = 16;
    const ref = reference(STORY, prompt, n);
    const stream = await c.ollama.generate({ model: 'story', prompt, raw: true, stream: true, options: { ...GREEDY, num_predict: n } });
    const parts = [];
    let last;
    for await (const part of stream) {
      parts.push(part);
      last = part;
    }
    assert.ok(parts.length >= 2, `${parts.length} stream lines`);
    assert.equal(parts.filter((p) => p.done).length, 1, 'exactly one done line');
    assert.equal(last.done, true);
    assert.equal(parts.map((p) => p.response).join(''), ref.text);
    assert.equal(last.prompt_eval_count, ref.promptIds.length);
    for (const p of parts) assert.ok(!Number.isNaN(Date.parse(p.created_at)), `created_at ${p.created_at}`);
  });

  it('generates greedily with a Llama 3 vocabulary model too (raw)', async () => {
    const prompt = 'Hello world, this is';
    const n = 12;
    const ref = reference(TINY, prompt, n);
    const r = await c.ollama.generate({ model: 'tiny', prompt, raw: true, stream: false, options: { ...GREEDY, num_predict: n } });
    assert.equal(r.response, ref.text);
    assert.equal(r.prompt_eval_count, ref.promptIds.length);
  });

  it('chats with a system prompt and multi-turn history, greedy as corral debug generate (stream and not)', async () => {
    const messages = [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'Name a colour.' },
      { role: 'assistant', content: 'Blue.' },
      { role: 'user', content: 'Another one?' },
    ];
    const options = { ...GREEDY, num_predict: 8 };
    const ref = chatReference(TINY, messages, 8);
    const r = await c.ollama.chat({ model: 'tiny', messages, stream: false, options });
    assert.equal(r.message.role, 'assistant');
    assert.equal(r.message.content, ref.text, 'greedy reply equals corral debug generate on the rendered template');
    assert.equal(r.prompt_eval_count, ref.promptIds.length);
    assert.equal(typeof r.message.content, 'string');
    assert.equal(r.done, true);
    assert.ok(['stop', 'length'].includes(r.done_reason), r.done_reason);
    assert.ok(r.eval_count > 0 && r.eval_count <= 8, `eval_count ${r.eval_count}`);
    const stream = await c.ollama.chat({ model: 'tiny', messages, stream: true, options });
    let text = '';
    let final;
    for await (const part of stream) {
      text += part.message?.content ?? '';
      final = part;
    }
    assert.equal(text, r.message.content);
    assert.equal(final.done, true);
    assert.equal(final.prompt_eval_count, r.prompt_eval_count);
    // The history and the system prompt are part of the prompt.
    const single = await c.ollama.chat({ model: 'tiny', messages: [messages[3]], stream: false, options });
    assert.ok(r.prompt_eval_count > single.prompt_eval_count + 10,
      `history adds tokens: ${r.prompt_eval_count} vs ${single.prompt_eval_count}`);
    const noSystem = await c.ollama.chat({ model: 'tiny', messages: messages.slice(1), stream: false, options });
    assert.ok(r.prompt_eval_count > noSystem.prompt_eval_count, 'the system prompt adds tokens');
  });

  it('embeds (batch, normalised, dimensions) and the legacy /api/embeddings agrees', async () => {
    const r = await c.ollama.embed({ model: 'tiny', input: ['hello world', 'good night moon'] });
    assert.equal(r.model, 'tiny');
    assert.equal(r.embeddings.length, 2);
    for (const e of r.embeddings) {
      assert.equal(e.length, 64);
      assert.ok(Math.abs(l2(e) - 1) < 1e-4, `L2 norm ${l2(e)}`);
    }
    assert.notDeepEqual(r.embeddings[0], r.embeddings[1]);
    assert.ok(r.prompt_eval_count >= 4, `prompt_eval_count ${r.prompt_eval_count}`);
    const again = await c.ollama.embed({ model: 'tiny', input: 'hello world' });
    assert.equal(again.embeddings.length, 1);
    for (let i = 0; i < 64; i++) assert.ok(Math.abs(again.embeddings[0][i] - r.embeddings[0][i]) < 1e-5, `dim ${i}`);
    const cut = await c.ollama.embed({ model: 'tiny', input: 'hello world', dimensions: 16 });
    assert.equal(cut.embeddings[0].length, 16);
    assert.ok(Math.abs(l2(cut.embeddings[0]) - 1) < 1e-4, 'truncated embedding is re-normalised');
    const legacy = await c.ollama.embeddings({ model: 'tiny', prompt: 'hello world' });
    assert.equal(legacy.embedding.length, 64);
    const cos = legacy.embedding.reduce((s, x, i) => s + x * r.embeddings[0][i], 0) / l2(legacy.embedding);
    assert.ok(Math.abs(cos - 1) < 1e-4, `legacy embedding has the same direction (cos ${cos})`);
    const empty = await c.ollama.embed({ model: 'tiny', input: [] });
    assert.deepEqual(empty.embeddings, []);
  });

  it('lists running models in ps', async () => {
    await c.ollama.generate({ model: 'tiny', prompt: 'hi', raw: true, stream: false, options: { num_predict: 1 } });
    const { models } = await c.ollama.ps();
    const tiny = models.find((m) => m.name === 'tiny:latest');
    assert.ok(tiny, `ps lists tiny: ${JSON.stringify(models)}`);
    assert.equal(tiny.model, 'tiny:latest');
    assert.ok(tiny.size > 0, 'size');
    assert.equal(tiny.size_vram, 0, 'CPU only: no VRAM');
    assert.match(tiny.digest, /^[0-9a-f]{64}$/);
    assert.ok(Date.parse(tiny.expires_at) > Date.now(), `expires_at ${tiny.expires_at} is in the future`);
    assert.ok(tiny.context_length > 0, 'context_length');
  });

  it('loads with an empty prompt and unloads with keep_alive 0', async () => {
    const load = await c.ollama.generate({ model: 'story', prompt: '', stream: false });
    assert.equal(load.done, true);
    assert.equal(load.done_reason, 'load');
    assert.equal(load.response, '');
    assert.ok((await c.ollama.ps()).models.some((m) => m.name === 'story:latest'), 'loaded');
    const unload = await c.ollama.generate({ model: 'story', prompt: '', keep_alive: 0, stream: false });
    assert.equal(unload.done, true);
    assert.equal(unload.done_reason, 'unload');
    await waitFor('story to leave ps', async () => !(await c.ollama.ps()).models.some((m) => m.name === 'story:latest'));
    const chatLoad = await c.ollama.chat({ model: 'tiny', messages: [], stream: false });
    assert.equal(chatLoad.done, true);
    assert.equal(chatLoad.done_reason, 'load');
  });

  it('creates a model from an uploaded GGUF blob and copies it', async () => {
    const bytes = fs.readFileSync(UPLOAD);
    const digest = `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
    assert.equal((await c.request('HEAD', `/api/blobs/${digest}`)).status, 404);
    const wrong = await c.vfetch(`${server.url}/api/blobs/sha256:${'0'.repeat(64)}`, { method: 'POST', body: bytes });
    assert.equal(wrong.status, 400, 'a body that does not match the digest is refused');
    await wrong.text();
    const up = await c.vfetch(`${server.url}/api/blobs/${digest}`, { method: 'POST', body: bytes });
    await up.text();
    assert.equal(up.status, 201);
    assert.equal((await c.request('HEAD', `/api/blobs/${digest}`)).status, 200);

    const progress = [];
    const stream = await c.ollama.create({ model: 'uploaded', files: { 'model.gguf': digest }, stream: true });
    for await (const p of stream) progress.push(p.status);
    assert.equal(progress.at(-1), 'success');
    const done = await c.ollama.create({ model: 'uploaded2', files: { 'model.gguf': digest }, system: 'Be brief.', stream: false });
    assert.equal(done.status, 'success');

    let names = (await c.ollama.list()).models.map((m) => m.name);
    assert.ok(names.includes('uploaded:latest') && names.includes('uploaded2:latest'), names.join(', '));
    const s = await c.ollama.show({ model: 'uploaded2' });
    assert.equal(s.details.quantization_level, 'Q4_0');
    assert.match(s.system ?? '', /Be brief\./);
    await c.ollama.copy({ source: 'uploaded', destination: 'uploaded-copy' });
    names = (await c.ollama.list()).models.map((m) => m.name);
    assert.ok(names.includes('uploaded-copy:latest'), names.join(', '));
  });

  it('generates with the uploaded model and its copy', async () => {
    for (const model of ['uploaded', 'uploaded-copy']) {
      const g = await c.ollama.generate({ model, prompt: 'Hi', raw: true, stream: false, options: { ...GREEDY, num_predict: 4 } });
      assert.equal(g.done, true);
      assert.equal(g.eval_count, 4);
    }
  });

  it('deletes the uploaded model and its copies', async () => {
    for (const m of ['uploaded', 'uploaded2', 'uploaded-copy']) await c.ollama.delete({ model: m });
    const names = (await c.ollama.list()).models.map((m) => m.name);
    assert.deepEqual(names.sort(), ['story:latest', 'tiny:latest']);
    await assert.rejects(c.ollama.show({ model: 'uploaded-copy' }), (e) => e.status_code === 404);
  });

  it('answers management errors with the right status and an {"error"} body', async () => {
    await assert.rejects(c.ollama.show({ model: 'nope' }), (e) => {
      assert.equal(e.status_code, 404);
      assert.match(e.error, /model ["']nope(:latest)?["'] not found/);
      return true;
    });
    await assert.rejects(c.ollama.delete({ model: 'nope' }), (e) => e.status_code === 404);
    await assert.rejects(c.ollama.copy({ source: 'nope', destination: 'x' }), (e) => e.status_code === 404);
    const noBody = await c.request('POST', '/api/show');
    assert.equal(noBody.status, 400);
    assert.match(noBody.body.error, /missing request body/);
    const badJson = await c.request('POST', '/api/show', '{"model": "tiny", ');
    assert.equal(badJson.status, 400);
    const unknownPath = await c.request('GET', '/api/nothing-here');
    assert.equal(unknownPath.status, 404);
    const wrongMethod = await c.request('GET', '/api/show');
    assert.equal(wrongMethod.status, 405);
  });

  it('answers inference errors with the right status and an {"error"} body', async () => {
    await assert.rejects(c.ollama.generate({ model: 'nope', prompt: 'x', stream: false }), (e) => {
      assert.equal(e.status_code, 404);
      assert.match(e.error, /model ["']nope(:latest)?["'] not found/);
      return true;
    });
    await assert.rejects(c.ollama.chat({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }), (e) => e.status_code === 404);
    await assert.rejects(
      c.ollama.generate({ model: 'tiny', prompt: 'x', stream: false, options: { temperature: 'hot' } }),
      (e) => {
        assert.equal(e.status_code, 400);
        assert.match(e.error, /temperature/);
        return true;
      },
    );
    const noBody = await c.request('POST', '/api/generate');
    assert.equal(noBody.status, 400);
    assert.match(noBody.body.error, /missing request body/);
    const badJson = await c.request('POST', '/api/chat', '{"model": "tiny", ');
    assert.equal(badJson.status, 400);
    const rawTemplate = await c.request('POST', '/api/generate', { model: 'tiny', prompt: 'x', raw: true, template: '{{ .Prompt }}' });
    assert.equal(rawTemplate.status, 400);
    const wrongMethod = await c.request('GET', '/api/generate');
    assert.equal(wrongMethod.status, 405);
  });
});
