// Tool calls and thinking through the official clients, on scripted models (models.mjs) with Qwen 3's
// Jinja template, a Mistral-style Go template and the Llama 3.1 template: calls parsed, streamed and
// not, on /api/chat and /v1/chat/completions; a tool result goes back and the next answer uses it;
// thinking in its own field (think true / false / levels; OpenAI's reasoning); capabilities; Ollama's
// errors for tools and thinking on models without them. Every response is validated (openapi.mjs).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { runCorral } from './harness.mjs';
import { suiteServer } from './clients.mjs';
import {
  HELLO, HELLO_THOUGHT, PARIS_CALL, COLD, HOT, THOUGHT, TIME_TOOL, WEATHER_TOOL,
  createLlama31, createMistral, createPlain, createWeather, skipReason,
} from './models.mjs';

const ASK = [{ role: 'user', content: 'What is the weather in Paris?' }];

// The conversation after the call: the assistant's call and the tool's result.
function withResult(call, result) {
  return [...ASK, { role: 'assistant', content: '', tool_calls: [call] }, { role: 'tool', content: result, tool_name: 'get_weather' }];
}

describe('tool calls and thinking', { skip: skipReason }, () => {
  const s = suiteServer((store) => {
    createWeather(store);
    createMistral(store);
    createLlama31(store);
    createPlain(store);
  });
  let c;
  before(() => { c = s.c; });

  it('shows the capabilities the templates imply', async () => {
    const caps = async (model) => (await c.ollama.show({ model })).capabilities;
    assert.deepEqual(await caps('weather'), ['completion', 'tools', 'thinking']);
    assert.deepEqual(await caps('mistral'), ['completion', 'tools']);
    assert.deepEqual(await caps('llama31'), ['completion', 'tools']);
    assert.deepEqual(await caps('plain'), ['completion']);
  });

  it('parses a Qwen tool call on /api/chat, with the thinking apart', async () => {
    const r = await c.ollama.chat({ model: 'weather', messages: ASK, tools: [WEATHER_TOOL], stream: false });
    assert.equal(r.message.role, 'assistant');
    assert.equal(r.message.content, '');
    assert.equal(r.message.thinking, THOUGHT);
    assert.equal(r.message.tool_calls.length, 1);
    const call = r.message.tool_calls[0];
    assert.deepEqual({ name: call.function.name, arguments: call.function.arguments }, PARIS_CALL);
    assert.equal(call.function.index, 0);
    assert.match(call.id, /^call_[a-z0-9]{8}$/);
    assert.equal(r.done_reason, 'stop');
  });

  it('streams the thinking as it comes and the call as one whole object', async () => {
    const parts = [];
    for await (const part of await c.ollama.chat({ model: 'weather', messages: ASK, tools: [WEATHER_TOOL], stream: true })) {
      parts.push(part);
    }
    const thinking = parts.map((p) => p.message.thinking ?? '').join('');
    assert.equal(thinking, THOUGHT);
    assert.ok(parts.filter((p) => p.message.thinking).length > 1, 'the thinking comes in several pieces');
    const withCalls = parts.filter((p) => p.message.tool_calls?.length);
    assert.equal(withCalls.length, 1, 'one line carries the call');
    assert.deepEqual(withCalls[0].message.tool_calls.map((t) => ({ name: t.function.name, arguments: t.function.arguments })), [PARIS_CALL]);
    assert.equal(parts.map((p) => p.message.content).join(''), '');
    assert.equal(parts.at(-1).done, true);
  });

  it('sends a tool result back and answers with it (/api/chat)', async () => {
    const call = { function: { name: 'get_weather', arguments: { city: 'Paris' } } };
    const hot = await c.ollama.chat({ model: 'weather', messages: withResult(call, '22'), tools: [WEATHER_TOOL], stream: false });
    assert.equal(hot.message.content, HOT);
    assert.equal(hot.message.tool_calls, undefined);
    const cold = await c.ollama.chat({ model: 'weather', messages: withResult(call, '17'), tools: [WEATHER_TOOL], stream: false });
    assert.equal(cold.message.content, COLD);
  });

  it('honours think:false and answers thinking levels', async () => {
    const off = await c.ollama.chat({ model: 'weather', messages: ASK, think: false, stream: false });
    assert.equal(off.message.content, HELLO);
    assert.equal(off.message.thinking, undefined);
    const on = await c.ollama.chat({ model: 'weather', messages: ASK, think: true, stream: false });
    assert.equal(on.message.thinking, HELLO_THOUGHT);
    assert.equal(on.message.content, HELLO);
    const level = await c.ollama.chat({ model: 'weather', messages: ASK, think: 'high', stream: false });
    assert.equal(level.message.thinking, HELLO_THOUGHT);
    const offWithTools = await c.ollama.chat({ model: 'weather', messages: ASK, think: false, tools: [WEATHER_TOOL], stream: false });
    assert.equal(offWithTools.message.thinking, undefined);
    assert.equal(offWithTools.message.tool_calls[0].function.name, 'get_weather');
  });

  it('separates thinking on /api/generate too (stream and not)', async () => {
    const r = await c.ollama.generate({ model: 'weather', prompt: 'Hi', stream: false });
    assert.equal(r.thinking, HELLO_THOUGHT);
    assert.equal(r.response, HELLO);
    let thinking = '';
    let response = '';
    for await (const part of await c.ollama.generate({ model: 'weather', prompt: 'Hi', stream: true })) {
      thinking += part.thinking ?? '';
      response += part.response;
    }
    assert.equal(thinking, HELLO_THOUGHT);
    assert.equal(response, HELLO);
    const off = await c.ollama.generate({ model: 'weather', prompt: 'Hi', think: false, stream: false });
    assert.equal(off.thinking, undefined);
    assert.equal(off.response, HELLO);
  });

  it('parses several Mistral-style calls from a Go template, and Llama 3.1 bare JSON', async () => {
    const m = await c.ollama.chat({ model: 'mistral', messages: ASK, tools: [WEATHER_TOOL, TIME_TOOL], stream: false });
    assert.deepEqual(m.message.tool_calls.map((t) => [t.function.index, t.function.name, t.function.arguments]),
      [[0, 'get_weather', { city: 'Paris' }], [1, 'get_time', { zone: 'CET' }]]);
    assert.equal(m.message.content.trim(), '');
    const l = await c.ollama.chat({ model: 'llama31', messages: ASK, tools: [WEATHER_TOOL], stream: false });
    assert.deepEqual(l.message.tool_calls.map((t) => ({ name: t.function.name, arguments: t.function.arguments })), [PARIS_CALL]);
  });

  it('answers Ollama\'s errors for tools and thinking on models without them', async () => {
    const tools = await c.request('POST', '/api/chat', { model: 'plain', messages: ASK, tools: [WEATHER_TOOL], stream: false });
    assert.equal(tools.status, 400);
    assert.equal(tools.body.error, 'registry.ollama.ai/library/plain:latest does not support tools');
    const think = await c.request('POST', '/api/chat', { model: 'plain', messages: ASK, think: true, stream: false });
    assert.equal(think.status, 400);
    assert.equal(think.body.error, '"plain" does not support thinking');
    const bad = await c.request('POST', '/api/chat', { model: 'weather', messages: ASK, think: 'extreme', stream: false });
    assert.equal(bad.status, 400);
    const fine = await c.request('POST', '/api/chat', { model: 'plain', messages: ASK, think: false, stream: false });
    assert.equal(fine.status, 200);
    assert.equal(fine.body.message.content, HELLO);
  });

  it('returns OpenAI tool calls with ids, JSON-string arguments and finish_reason tool_calls', async () => {
    const r = await c.openai.chat.completions.create({ model: 'weather', messages: ASK, tools: [WEATHER_TOOL] });
    const choice = r.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.reasoning, THOUGHT);
    const call = choice.message.tool_calls[0];
    assert.match(call.id, /^call_/);
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  });

  it('streams OpenAI tool-call deltas and reasoning deltas', async () => {
    const stream = await c.openai.chat.completions.create({ model: 'weather', messages: ASK, tools: [WEATHER_TOOL], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const deltas = chunks.flatMap((ch) => ch.choices.map((x) => x.delta));
    assert.equal(deltas.map((d) => d.reasoning ?? '').join(''), THOUGHT);
    const callDeltas = deltas.filter((d) => d.tool_calls);
    assert.equal(callDeltas.length, 1);
    const [call] = callDeltas[0].tool_calls;
    assert.equal(call.index, 0);
    assert.equal(call.type, 'function');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
    const finishes = chunks.flatMap((ch) => ch.choices.map((x) => x.finish_reason)).filter(Boolean);
    assert.deepEqual(finishes, ['tool_calls']);
  });

  it('sends an OpenAI tool result back (tool_call_id) and the answer uses it', async () => {
    const first = await c.openai.chat.completions.create({ model: 'weather', messages: ASK, tools: [WEATHER_TOOL] });
    const assistant = first.choices[0].message;
    const r = await c.openai.chat.completions.create({
      model: 'weather', tools: [WEATHER_TOOL],
      messages: [...ASK, assistant, { role: 'tool', tool_call_id: assistant.tool_calls[0].id, content: '17' }],
    });
    assert.equal(r.choices[0].message.content, COLD);
    assert.equal(r.choices[0].finish_reason, 'stop');
  });

  it('takes reasoning_effort and tool_choice none; refuses required and n > 1', async () => {
    const none = await c.openai.chat.completions.create({ model: 'weather', messages: ASK, reasoning_effort: 'none' });
    assert.equal(none.choices[0].message.content, HELLO);
    assert.equal(none.choices[0].message.reasoning, undefined);
    const high = await c.openai.chat.completions.create({ model: 'weather', messages: ASK, reasoning_effort: 'high' });
    assert.equal(high.choices[0].message.reasoning, HELLO_THOUGHT);
    const noTools = await c.openai.chat.completions.create({ model: 'weather', messages: ASK, tools: [WEATHER_TOOL], tool_choice: 'none' });
    assert.equal(noTools.choices[0].message.content, HELLO);
    assert.equal(noTools.choices[0].finish_reason, 'stop');
    await assert.rejects(
      c.openai.chat.completions.create({ model: 'weather', messages: ASK, tools: [WEATHER_TOOL], tool_choice: 'required' }),
      (e) => e.status === 400 && /tool_choice "required" is not supported/.test(e.message));
    await assert.rejects(c.openai.chat.completions.create({ model: 'weather', messages: ASK, n: 2 }),
      (e) => e.status === 400 && /n must be 1/.test(e.message));
    await assert.rejects(c.openai.chat.completions.create({ model: 'plain', messages: ASK, tools: [WEATHER_TOOL] }),
      (e) => e.status === 400 && /plain:latest does not support tools/.test(e.message));
  });

  // `corral run` against this server: stdout is not a terminal, so the thinking block is plain text.
  const run = (...args) => runCorral(['run', ...args], { env: { CORRAL_HOST: s.server.url.replace('http://', '') } });

  it('shows the thinking as Ollama does in corral run, and --hidethinking hides it', () => {
    const shown = run('weather', 'Hi');
    assert.equal(shown.stdout, `Thinking...\n${HELLO_THOUGHT}\n...done thinking.\n\n${HELLO}\n`);
    const hidden = run('weather', 'Hi', '--hidethinking');
    assert.equal(hidden.stdout, `${HELLO}\n`);
    const off = run('weather', 'Hi', '--think=false');
    assert.equal(off.stdout, `${HELLO}\n`);
    const level = run('weather', 'Hi', '--think=high', '--hidethinking');
    assert.equal(level.stdout, `${HELLO}\n`);
    const bad = runCorral(['run', 'weather', 'Hi', '--think=lots'], {
      env: { CORRAL_HOST: s.server.url.replace('http://', '') }, allowFail: true,
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /invalid value for --think/);
  });
});
