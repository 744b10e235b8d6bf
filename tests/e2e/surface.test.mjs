// The rest of the OpenAI surface through the official openai client (and the ollama one where the
// native API has the field): logprobs on chat and text completions, /v1/responses (text, reasoning,
// function calls; whole and streamed, every event validated), suffix (fill-in-the-middle) on
// /api/generate and /v1/completions, seed, stop, max_tokens / max_completion_tokens, n.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createModel, fixtureModel } from './harness.mjs';
import { suiteServer } from './clients.mjs';
import { LLAMA3_VOCAB, createScripted, templateLine } from './scripted.mjs';
import { HELLO, HELLO_THOUGHT, THOUGHT, WEATHER_TOOL, createPlain, createWeather, skipReason } from './models.mjs';

const RANDOM = fixtureModel('llama-tiny-llama3v4k-f32');
const skip = skipReason || (RANDOM ? false : 'fixture models absent');
const ASK = [{ role: 'user', content: 'What is the weather in Paris?' }];

// A fill-in-the-middle model: Llama 3's vocabulary with a CodeLlama-style Go template that uses
// .Suffix; it fills in "a + b" when the suffix (a marker token, " result") reached the prompt.
const FIM_TEMPLATE = '{{- if .Suffix }}<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>{{- else }}{{ .Prompt }}{{ end }}';
const FIM_MIDDLE = 'a + b';
const FIM_SCRIPT = { rules: [{ after: ' <MID>', when: ' result', say: `${FIM_MIDDLE}<|eot_id|>` }] };

describe('the OpenAI surface', { skip }, () => {
  const s = suiteServer((store) => {
    createWeather(store);
    createPlain(store);
    createScripted(store, 'fim', { vocab: LLAMA3_VOCAB, script: FIM_SCRIPT, modelfile: templateLine(FIM_TEMPLATE) });
    createModel(store, 'random', RANDOM);
  });
  let c;
  before(() => { c = s.c; });

  it('returns chat logprobs in OpenAI\'s shape, stream and not', async () => {
    const r = await c.openai.chat.completions.create({ model: 'plain', messages: ASK, logprobs: true, top_logprobs: 3 });
    const content = r.choices[0].logprobs.content;
    assert.equal(content.map((t) => t.token).join(''), HELLO);
    for (const t of content) {
      assert.ok(t.logprob <= 0 && t.logprob > -0.01, `a scripted token is certain: ${t.logprob}`);
      assert.deepEqual(Buffer.from(t.bytes).toString('utf8'), t.token);
      assert.equal(t.top_logprobs.length, 3);
      assert.equal(t.top_logprobs[0].token, t.token);
    }
    const stream = await c.openai.chat.completions.create({ model: 'plain', messages: ASK, logprobs: true, stream: true });
    const tokens = [];
    for await (const chunk of stream) for (const ch of chunk.choices) tokens.push(...(ch.logprobs?.content ?? []));
    assert.equal(tokens.map((t) => t.token).join(''), HELLO);
    const none = await c.openai.chat.completions.create({ model: 'plain', messages: ASK });
    assert.equal(none.choices[0].logprobs, undefined);
  });

  it('returns text-completion logprobs (logprobs: N)', async () => {
    const r = await c.openai.completions.create({ model: 'plain', prompt: 'Hi', logprobs: 2 });
    assert.equal(r.choices[0].text, HELLO);
    const content = r.choices[0].logprobs.content;
    assert.equal(content.map((t) => t.token).join(''), HELLO);
    assert.ok(content.every((t) => t.top_logprobs.length === 2));
  });

  it('answers /v1/responses with reasoning and message items', async () => {
    const r = await c.openai.responses.create({ model: 'weather', input: 'Hi', instructions: 'Be kind.' });
    assert.equal(r.object, 'response');
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.output.map((o) => o.type), ['reasoning', 'message']);
    assert.equal(r.output[0].summary[0].text, HELLO_THOUGHT);
    assert.equal(r.output_text, HELLO);
    assert.equal(r.instructions, 'Be kind.');
    assert.ok(r.usage.input_tokens > 0 && r.usage.output_tokens > 0);
    const plain = await c.openai.responses.create({ model: 'weather', input: 'Hi', reasoning: { effort: 'none' } });
    assert.deepEqual(plain.output.map((o) => o.type), ['message']);
    assert.equal(plain.output_text, HELLO);
  });

  it('answers /v1/responses with function calls and takes their output back', async () => {
    const tools = [{ type: 'function', name: 'get_weather', description: 'weather', parameters: WEATHER_TOOL.function.parameters }];
    const r = await c.openai.responses.create({ model: 'weather', input: 'Weather in Paris?', tools });
    const call = r.output.find((o) => o.type === 'function_call');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
    assert.match(call.call_id, /^call_/);
    const next = await c.openai.responses.create({
      model: 'weather', tools,
      input: [{ role: 'user', content: 'Weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: '22' }],
    });
    assert.equal(next.output_text, 'It is 22 degrees in Paris.');
  });

  it('streams /v1/responses as typed events in order', async () => {
    const tools = [{ type: 'function', name: 'get_weather', parameters: WEATHER_TOOL.function.parameters }];
    const stream = await c.openai.responses.create({ model: 'weather', input: 'Weather?', tools, stream: true });
    const events = [];
    for await (const e of stream) events.push(e);
    assert.equal(events[0].type, 'response.created');
    assert.equal(events[1].type, 'response.in_progress');
    assert.equal(events.at(-1).type, 'response.completed');
    assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
    const thinking = events.filter((e) => e.type === 'response.reasoning_summary_text.delta').map((e) => e.delta).join('');
    assert.equal(thinking, THOUGHT);
    const args = events.find((e) => e.type === 'response.function_call_arguments.done');
    assert.deepEqual(JSON.parse(args.arguments), { city: 'Paris' });
    const final = events.at(-1).response;
    assert.deepEqual(final.output.map((o) => o.type), ['reasoning', 'function_call']);
    // Text streams as output_text deltas inside one message item.
    const text = await c.openai.responses.create({ model: 'weather', input: 'Hi', stream: true });
    let out = '';
    for await (const e of text) if (e.type === 'response.output_text.delta') out += e.delta;
    assert.equal(out, HELLO);
  });

  it('fills in the middle with suffix on /api/generate and /v1/completions', async () => {
    const prefix = 'def add(a, b):\n    return ';
    const suffix = '\n# the result';
    const native = await c.ollama.generate({ model: 'fim', prompt: prefix, suffix, stream: false });
    assert.equal(native.response, FIM_MIDDLE);
    const openai = await c.openai.completions.create({ model: 'fim', prompt: prefix, suffix });
    assert.equal(openai.choices[0].text, FIM_MIDDLE);
    const refused = await c.request('POST', '/api/generate', { model: 'plain', prompt: prefix, suffix, stream: false });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'registry.ollama.ai/library/plain:latest does not support insert');
    await assert.rejects(c.openai.completions.create({ model: 'plain', prompt: prefix, suffix }), (e) => e.status === 400);
  });

  it('repeats a sampled answer for the same seed', async () => {
    const ask = (seed) => c.openai.chat.completions.create({ model: 'random', messages: ASK, temperature: 1, seed, max_tokens: 24 });
    const a = await ask(42);
    const b = await ask(42);
    assert.equal(a.choices[0].message.content, b.choices[0].message.content);
    const texts = new Set();
    for (const seed of [1, 2, 3, 4]) texts.add((await ask(seed)).choices[0].message.content);
    assert.ok(texts.size > 1, 'different seeds give different samples');
  });

  it('stops at stop strings and at max_tokens / max_completion_tokens', async () => {
    const stopped = await c.openai.chat.completions.create({ model: 'plain', messages: ASK, stop: ['How'] });
    assert.equal(stopped.choices[0].message.content, 'Hello! ');
    assert.equal(stopped.choices[0].finish_reason, 'stop');
    const one = await c.openai.chat.completions.create({ model: 'plain', messages: ASK, stop: '!' });
    assert.equal(one.choices[0].message.content, 'Hello');
    const short = await c.openai.chat.completions.create({ model: 'plain', messages: ASK, max_tokens: 2 });
    assert.equal(short.choices[0].finish_reason, 'length');
    assert.equal(short.usage.completion_tokens, 2);
    const newer = await c.openai.chat.completions.create({ model: 'plain', messages: ASK, max_completion_tokens: 3 });
    assert.equal(newer.usage.completion_tokens, 3);
    const text = await c.openai.completions.create({ model: 'plain', prompt: 'Hi', max_tokens: 1 });
    assert.equal(text.choices[0].finish_reason, 'length');
    await assert.rejects(c.openai.completions.create({ model: 'plain', prompt: 'Hi', n: 2 }),
      (e) => e.status === 400 && /n must be 1/.test(e.message));
  });
});
