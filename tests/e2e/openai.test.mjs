// The OpenAI-compatible API through the official openai client: chat completions (stream and not,
// usage with stream_options.include_usage), completions, embeddings, models, errors in OpenAI's shape.
// Greedy answers equal the Ollama API's and `corral debug generate`'s.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Server, createModel, detokenize, fixtureModel, greedyIds, makeTempDir, tokenize } from './harness.mjs';
import { ResponseValidator } from './openapi.mjs';
import { makeClients } from './clients.mjs';
import { OpenAI } from './deps.mjs';

const STORY = fixtureModel('aidreams260K');
const TINY = fixtureModel('llama-tiny-llama3v4k-q8_0');
const skip = STORY && TINY ? false : 'fixture models absent (../shared/fixtures/models): e2e OpenAI tests skipped';

const MESSAGES = [
  { role: 'system', content: 'You are a terse assistant.' },
  { role: 'user', content: 'Name a colour.' },
];

describe('openai client against corral serve /v1', { skip }, () => {
  let store;
  let server;
  let v;
  let c;

  before(async () => {
    store = makeTempDir();
    createModel(store, 'story', STORY);
    createModel(store, 'tiny', TINY);
    server = await Server.start({ storeDir: store });
    v = new ResponseValidator();
    c = makeClients(server, v);
  });
  afterEach(async () => v.check());
  after(async () => {
    if (v) console.log(`# ${v.report().replaceAll('\n', '\n# ')}`);
    if (server) await server.stop();
    if (store) fs.rmSync(store, { recursive: true, force: true });
  });

  it('lists and retrieves models', async () => {
    const page = await c.openai.models.list();
    const ids = page.data.map((m) => m.id).sort();
    assert.deepEqual(ids, ['story:latest', 'tiny:latest']);
    for (const m of page.data) {
      assert.equal(m.object, 'model');
      assert.ok(Number.isInteger(m.created) && m.created > 1.6e9, `created ${m.created} is a unix time`);
    }
    const one = await c.openai.models.retrieve('tiny:latest');
    assert.equal(one.id, 'tiny:latest');
    assert.equal(one.object, 'model');
  });

  it('answers chat completions, greedy, equal to /api/chat', async () => {
    const r = await c.openai.chat.completions.create({ model: 'tiny', messages: MESSAGES, temperature: 0, seed: 1, max_tokens: 8 });
    assert.equal(r.object, 'chat.completion');
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.model, 'tiny');
    assert.equal(r.choices.length, 1);
    const choice = r.choices[0];
    assert.equal(choice.message.role, 'assistant');
    assert.ok(['stop', 'length'].includes(choice.finish_reason), choice.finish_reason);
    const ollama = await c.ollama.chat({ model: 'tiny', messages: MESSAGES, stream: false, options: { temperature: 0, seed: 1, num_predict: 8 } });
    assert.equal(choice.message.content, ollama.message.content);
    assert.equal(r.usage.prompt_tokens, ollama.prompt_eval_count);
    assert.equal(r.usage.completion_tokens, ollama.eval_count);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  it('streams chat completions with usage (stream_options.include_usage)', async () => {
    const plain = await c.openai.chat.completions.create({ model: 'tiny', messages: MESSAGES, temperature: 0, max_tokens: 8 });
    const stream = await c.openai.chat.completions.create({
      model: 'tiny', messages: MESSAGES, temperature: 0, max_tokens: 8, stream: true, stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    assert.equal(chunks[0].choices[0].delta.role, 'assistant', 'the first chunk carries the role');
    const text = chunks.flatMap((ch) => ch.choices.map((x) => x.delta.content ?? '')).join('');
    assert.equal(text, plain.choices[0].message.content);
    const finishes = chunks.flatMap((ch) => ch.choices.map((x) => x.finish_reason)).filter(Boolean);
    assert.deepEqual(finishes, [plain.choices[0].finish_reason], 'one finish_reason, on the last content chunk');
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, [], 'the usage chunk has no choices');
    assert.deepEqual(usage.usage, plain.usage);
    assert.ok(chunks.every((ch) => ch.id === chunks[0].id && ch.created === chunks[0].created), 'one id and created');
  });

  it('answers completions exactly as corral debug generate (stream and not)', async () => {
    const prompt = 'Once upon a time, there was a';
    const n = 16;
    const promptIds = tokenize(STORY, prompt);
    const ids = greedyIds(STORY, promptIds, n);
    const expected = detokenize(STORY, [...promptIds, ...ids]).slice(detokenize(STORY, promptIds).length);
    const r = await c.openai.completions.create({ model: 'story', prompt, temperature: 0, max_tokens: n });
    assert.equal(r.object, 'text_completion');
    assert.match(r.id, /^cmpl-/);
    assert.equal(r.choices[0].text, expected);
    assert.equal(r.choices[0].finish_reason, ids.length < n ? 'stop' : 'length');
    assert.equal(r.usage.prompt_tokens, promptIds.length);
    const stream = await c.openai.completions.create({ model: 'story', prompt, temperature: 0, max_tokens: n, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices.map((x) => x.text).join('');
    assert.equal(text, expected);
  });

  it('embeds, equal to /api/embed', async () => {
    const input = ['hello world', 'good night moon'];
    const r = await c.openai.embeddings.create({ model: 'tiny', input, encoding_format: 'float' });
    assert.equal(r.object, 'list');
    assert.equal(r.data.length, 2);
    r.data.forEach((d, i) => {
      assert.equal(d.object, 'embedding');
      assert.equal(d.index, i);
      assert.equal(d.embedding.length, 64);
    });
    assert.ok(r.usage.prompt_tokens > 0 && r.usage.total_tokens === r.usage.prompt_tokens, JSON.stringify(r.usage));
    const ollama = await c.ollama.embed({ model: 'tiny', input });
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 64; j++) assert.ok(Math.abs(r.data[i].embedding[j] - ollama.embeddings[i][j]) < 1e-5, `[${i}][${j}]`);
    }
    // The client's default (base64 little-endian float32) decodes to the same vector.
    const b64 = await c.openai.embeddings.create({ model: 'tiny', input: input[0] });
    for (let j = 0; j < 64; j++) assert.ok(Math.abs(b64.data[0].embedding[j] - ollama.embeddings[0][j]) < 1e-5, `base64 [${j}]`);
  });

  it('answers errors in OpenAI\'s shape', async () => {
    await assert.rejects(c.openai.chat.completions.create({ model: 'nope', messages: MESSAGES }), (e) => {
      assert.ok(e instanceof OpenAI.NotFoundError, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 404);
      assert.match(e.error.message, /nope/);
      assert.equal(typeof e.error.type, 'string');
      return true;
    });
    await assert.rejects(c.openai.chat.completions.create({ model: 'tiny', messages: 'not a list' }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.error.type, 'invalid_request_error');
      return true;
    });
    await assert.rejects(c.openai.models.retrieve('nope'), (e) => e.status === 404);
  });
});
