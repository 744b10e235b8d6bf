// Structured outputs through `corral serve` with the official clients: every JSON schema in
// tests/sampling/schemas, on two fixture models with random weights (Qwen 3 and Llama 3
// vocabularies), at temperature 1 with 5 seeds — seeds 1–3 through ollama-js `chat` with `format`,
// 4–5 through openai's `response_format: json_schema` — must come back finished ("stop"), parse,
// and validate against the schema with Ajv + ajv-formats (independent of corral's converter).
// Also: format "json" and json_object, a streamed answer, and unsupported or malformed schemas as
// 400s that name the part.
//
// The models sample the whole vocabulary (PARAMETER top_k 0, top_p 1): random weights follow no
// format, so the grammar alone decides the shape; with a top-40 cut a random model can stay inside
// a string that the schema does not bound for thousands of tokens. num_predict 4096 leaves room for
// the unbounded strings and free objects of the zod-style schemas (the longest seen: ~3500 tokens).
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Server, createModel, fixtureModel, makeTempDir, repoRoot, runCorral } from './harness.mjs';
import { ResponseValidator } from './openapi.mjs';
import { makeClients } from './clients.mjs';
import { Ajv2020, AjvDraft7, addFormats } from './deps.mjs';
import { QWEN3_VOCAB, createScripted, templateLine } from './scripted.mjs';

// A template whose generation prompt opens the thinking (as DeepSeek-R1 distills and Qwen 3
// thinking-only models do), and a scripted model that thinks, then answers with JSON.
const THINKER_TEMPLATE =
  '{{- range .Messages }}{{ if eq .Role "user" }}<|im_start|>user\n{{ .Content }}<|im_end|>\n' +
  '{{ else if eq .Role "assistant" }}<|im_start|>assistant\n{{ if .Thinking }}<think>{{ .Thinking }}</think>\n{{ end }}' +
  '{{ .Content }}<|im_end|>\n{{ end }}{{ end }}<|im_start|>assistant\n<think>\n';
const THINKER_SCRIPT = {
  rules: [{ after: '<|im_start|>assistant\n<think>\n', say: 'Some thought.\n</think>\n\n{"city": "Paris"}<|im_end|>' }],
};

const MODELS = { qwen: fixtureModel('qwen3-tiny-qwen3v4k-f32'), llama: fixtureModel('llama-tiny-llama3v4k-f32') };
const skip = MODELS.qwen && MODELS.llama ? false : 'fixture models absent (../shared/fixtures/models): structured output tests skipped';
const SCHEMA_DIR = path.join(repoRoot, 'tests/sampling/schemas');
const SCHEMA_FILES = fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json')).sort();
const SEEDS = [1, 2, 3, 4, 5];
const OPENAI_SEEDS = new Set([4, 5]);
const NUM_PREDICT = 4096;
const PARALLEL = 4;
const MESSAGES = [{ role: 'user', content: 'Answer with the JSON the format asks for.' }];

// An independent validator: draft-07 schemas (by $schema) with Ajv's draft-07 class, others 2020-12.
function compileValidator(schema) {
  const Ajv = typeof schema.$schema === 'string' && schema.$schema.includes('draft-07') ? AjvDraft7 : Ajv2020;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return { ajv, validate: ajv.compile(schema) };
}

async function pool(jobs, n, run) {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) await run(jobs[next++]);
  }));
}

describe('structured outputs against corral serve', { skip }, () => {
  let store;
  let server;
  let v;
  let c;
  const results = new Map(); // schema file -> [{model, seed, api, reason, content, error}]
  let suiteSeconds = 0;

  before(async () => {
    store = makeTempDir();
    for (const [name, file] of Object.entries(MODELS)) createModel(store, name, file, 'PARAMETER top_k 0\nPARAMETER top_p 1\n');
    if (QWEN3_VOCAB) createScripted(store, 'thinker', { vocab: QWEN3_VOCAB, script: THINKER_SCRIPT, modelfile: templateLine(THINKER_TEMPLATE) });
    // For `corral run`, which takes no sampling options: a fixed seed and temperature 1.
    createModel(store, 'qwen-cli', MODELS.qwen, 'PARAMETER top_k 0\nPARAMETER top_p 1\nPARAMETER temperature 1\nPARAMETER seed 7\nPARAMETER num_predict 4096\n');
    server = await Server.start({ storeDir: store, env: { CORRAL_NUM_PARALLEL: String(PARALLEL) } });
    v = new ResponseValidator();
    c = makeClients(server, v);
    const jobs = [];
    for (const file of SCHEMA_FILES) {
      results.set(file, []);
      for (const model of Object.keys(MODELS)) for (const seed of SEEDS) jobs.push({ file, model, seed });
    }
    const t0 = Date.now();
    await pool(jobs, PARALLEL, async ({ file, model, seed }) => {
      const schema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8'));
      const out = { model, seed, api: OPENAI_SEEDS.has(seed) ? 'openai' : 'ollama' };
      try {
        if (out.api === 'ollama') {
          const r = await c.ollama.chat({
            model, messages: MESSAGES, format: schema, stream: false,
            options: { temperature: 1, seed, num_predict: NUM_PREDICT },
          });
          out.reason = r.done_reason;
          out.content = r.message.content;
        } else {
          const r = await c.openai.chat.completions.create({
            model, messages: MESSAGES, temperature: 1, seed, max_tokens: NUM_PREDICT,
            response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } },
          });
          out.reason = r.choices[0].finish_reason;
          out.content = r.choices[0].message.content;
        }
      } catch (e) {
        out.error = String(e?.message ?? e);
      }
      results.get(file).push(out);
    });
    suiteSeconds = (Date.now() - t0) / 1000;
  });
  afterEach(async () => v.check());
  after(async () => {
    console.log(`# ${SCHEMA_FILES.length} schemas × ${Object.keys(MODELS).length} models × ${SEEDS.length} seeds in ${suiteSeconds.toFixed(1)} s`);
    if (v) console.log(`# ${v.report().replaceAll('\n', '\n# ')}`);
    if (server) await server.stop();
    if (store) fs.rmSync(store, { recursive: true, force: true });
  });

  it('has at least 50 schemas', () => {
    assert.ok(SCHEMA_FILES.length >= 50, `${SCHEMA_FILES.length} schemas in ${SCHEMA_DIR}`);
  });

  for (const file of SCHEMA_FILES) {
    it(`${file}: every output finishes, parses and validates`, () => {
      const schema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, file), 'utf8'));
      const { ajv, validate } = compileValidator(schema);
      const runs = results.get(file);
      assert.equal(runs.length, Object.keys(MODELS).length * SEEDS.length);
      const failures = [];
      for (const r of runs) {
        const where = `${r.model} seed ${r.seed} (${r.api})`;
        if (r.error) { failures.push(`${where}: request failed: ${r.error}`); continue; }
        if (r.reason !== 'stop') { failures.push(`${where}: finished with "${r.reason}": ${r.content.slice(0, 200)}`); continue; }
        let value;
        try { value = JSON.parse(r.content); } catch (e) { failures.push(`${where}: not JSON (${e.message}): ${r.content}`); continue; }
        if (!validate(value)) failures.push(`${where}: ${ajv.errorsText(validate.errors)}: ${r.content}`);
      }
      assert.deepEqual(failures, []);
    });
  }

  it('format "json" gives a JSON object on /api/generate, json_object on /v1', async () => {
    for (const model of Object.keys(MODELS)) {
      for (const seed of [1, 2, 3]) {
        const r = await c.ollama.generate({ model, prompt: 'JSON please', format: 'json', stream: false, options: { temperature: 1, seed, num_predict: NUM_PREDICT } });
        assert.equal(r.done_reason, 'stop', r.response);
        const value = JSON.parse(r.response);
        assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), r.response);
      }
      const o = await c.openai.chat.completions.create({ model, messages: MESSAGES, temperature: 1, seed: 9, max_tokens: NUM_PREDICT, response_format: { type: 'json_object' } });
      assert.equal(o.choices[0].finish_reason, 'stop');
      const value = JSON.parse(o.choices[0].message.content);
      assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value));
    }
  });

  it('corral run --format json prints a JSON object', () => {
    const r = runCorral(['run', 'qwen-cli', 'Describe a cat in JSON.', '--format', 'json'], { env: { CORRAL_HOST: `127.0.0.1:${server.port}` } });
    const value = JSON.parse(r.stdout);
    assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), r.stdout);
  });

  it('streams a constrained answer whose pieces join into a valid document', async () => {
    const schema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, '47-calendar-event.json'), 'utf8'));
    const { validate } = compileValidator(schema);
    let text = '';
    let last;
    for await (const part of await c.ollama.chat({ model: 'qwen', messages: MESSAGES, format: schema, stream: true, options: { temperature: 1, seed: 3, num_predict: NUM_PREDICT } })) {
      text += part.message.content;
      last = part;
    }
    assert.equal(last.done_reason, 'stop');
    assert.ok(validate(JSON.parse(text)), text);
    let sse = '';
    const stream = await c.openai.chat.completions.create({
      model: 'llama', messages: MESSAGES, temperature: 1, seed: 3, max_tokens: NUM_PREDICT, stream: true,
      response_format: { type: 'json_schema', json_schema: { name: 'event', schema } },
    });
    for await (const chunk of stream) sse += chunk.choices[0]?.delta?.content ?? '';
    assert.ok(validate(JSON.parse(sse)), sse);
  });

  it('keeps the thinking a prompt opened out of the format: the JSON is the content', async () => {
    const city = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const r = await c.ollama.chat({ model: 'thinker', messages: MESSAGES, format: city, stream: false, options: { temperature: 0 } });
    assert.equal(r.done_reason, 'stop');
    assert.equal(r.message.thinking, 'Some thought.');
    assert.deepEqual(JSON.parse(r.message.content), { city: 'Paris' });
    // A schema the script does not follow: the thinking is still the model's, the content the schema's.
    const count = { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'], additionalProperties: false };
    const { validate } = compileValidator(count);
    const o = await c.openai.chat.completions.create({
      model: 'thinker', messages: MESSAGES, temperature: 0, response_format: { type: 'json_schema', json_schema: { name: 'n', schema: count } },
    });
    assert.equal(o.choices[0].finish_reason, 'stop');
    assert.equal(o.choices[0].message.reasoning, 'Some thought.');
    assert.ok(validate(JSON.parse(o.choices[0].message.content)), o.choices[0].message.content);
  });

  it('answers 400 naming the part for unsupported or malformed schemas', async () => {
    const cases = [
      [{ type: 'object', properties: { age: { type: 'integer', multipleOf: 5 } } }, 'unsupported JSON schema keyword "multipleOf" at /properties/age'],
      [{ type: 'array', items: { type: 'string' }, uniqueItems: true }, 'unsupported JSON schema keyword "uniqueItems" at /'],
      [{ type: 'object', properties: { when: { type: 'string', format: 'duration' } } }, 'unsupported JSON schema string format "duration" at /properties/when'],
      [{ type: 'object', properties: { p: { type: 'string', pattern: '^(a)\\1$' } } }, 'unsupported JSON schema pattern at /properties/p: the pattern uses a backreference'],
      [{ $ref: 'https://example.com/schema.json' }, 'unsupported JSON schema: $ref "https://example.com/schema.json" at /'],
      [{ type: 'strng' }, 'invalid JSON schema at /: unknown type "strng"'],
    ];
    for (const [schema, message] of cases) {
      await assert.rejects(
        c.ollama.chat({ model: 'qwen', messages: MESSAGES, format: schema, stream: false }),
        (e) => e.status_code === 400 && e.error.includes(message),
        `ollama: ${message}`,
      );
      await assert.rejects(
        c.ollama.generate({ model: 'llama', prompt: 'x', format: schema, stream: false }),
        (e) => e.status_code === 400 && e.error.includes(message),
        `ollama generate: ${message}`,
      );
      await assert.rejects(
        c.openai.chat.completions.create({ model: 'qwen', messages: MESSAGES, response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }),
        (e) => e.status === 400 && e.message.includes(message),
        `openai: ${message}`,
      );
    }
    const bad = await c.request('POST', '/api/chat', { model: 'qwen', messages: MESSAGES, format: 'yaml', stream: false });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid format: expected "json" or a JSON schema');
  });
});
