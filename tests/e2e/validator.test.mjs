// The response validator itself: it must accept spec-conforming bodies, reject wrong ones (so the
// e2e suite's validation can fail), check every NDJSON line and SSE chunk, and report responses the
// OpenAPI file has no schema for.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { specPath } from './harness.mjs';
import { ResponseValidator } from './openapi.mjs';

const json = (body, status = 200) =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
const ndjson = (lines) =>
  new Response(lines.map((l) => JSON.stringify(l)).join('\n') + '\n', { headers: { 'content-type': 'application/x-ndjson' } });
const sse = (chunks) =>
  new Response(chunks.map((c) => `data: ${typeof c === 'string' ? c : JSON.stringify(c)}\n\n`).join(''), { headers: { 'content-type': 'text/event-stream' } });

async function failures(fn) {
  const v = new ResponseValidator();
  fn(v);
  try {
    await v.check();
    return [];
  } catch (e) {
    return e.message.split('\n').slice(1);
  }
}

const skip = fs.existsSync(specPath) ? false : `${specPath} absent: validator tests skipped`;

describe('ResponseValidator', { skip }, () => {
  it('accepts conforming Ollama responses', async () => {
    const errs = await failures((v) => {
      v.observe('POST', '/api/generate', json({ model: 'm', created_at: '2025-01-01T00:00:00Z', response: 'hi', done: true, eval_count: 3 }));
      v.observe('POST', '/api/chat', ndjson([
        { model: 'm', created_at: '2025-01-01T00:00:00Z', message: { role: 'assistant', content: 'a' }, done: false },
        { error: 'model runner for m exited (signal 9) while generating' },
      ]));
      v.observe('GET', '/api/tags', json({ models: [{ name: 'm:latest', size: 1, details: { format: 'gguf' } }] }));
      v.observe('POST', '/api/generate', json({ error: 'model "x" not found, try pulling it first' }, 404));
      v.observe('DELETE', '/api/delete', new Response('', { status: 200 }));
    });
    assert.deepEqual(errs, []);
  });

  it('rejects wrong types, bad lines, empty error bodies and bodies where the spec has none', async () => {
    const errs = await failures((v) => {
      v.observe('POST', '/api/generate', json({ done: 'yes' }));
      v.observe('POST', '/api/chat', ndjson([{ message: { role: 'assistant', content: 'a' }, done: false }, { done: 1 }]));
      v.observe('POST', '/api/chat', json({ created_at: 'yesterday', done: true }));
      v.observe('POST', '/api/embed', json({ error: 'x' }, 400));
      v.observe('POST', '/api/embed', json({ message: 'no error field' }, 400));
      v.observe('POST', '/api/show', new Response('plain', { status: 200, headers: { 'content-type': 'text/plain' } }));
      v.observe('POST', '/api/copy', json({ status: 'ok' }));
    });
    assert.equal(errs.filter((e) => e.startsWith('  POST')).length, 6, errs.join('\n'));
    assert.ok(errs.some((e) => /\/api\/generate 200: .*done must be boolean/.test(e)), errs.join('\n'));
    assert.ok(errs.some((e) => /\/api\/chat 200: .*done must be boolean/.test(e)), errs.join('\n'));
    assert.ok(errs.some((e) => /created_at must match format "date-time"/.test(e)), errs.join('\n'));
    assert.ok(errs.some((e) => /ErrorResponse.*must have required property 'error'/.test(e)), errs.join('\n'));
    assert.ok(errs.some((e) => /\/api\/show 200: content-type "text\/plain"/.test(e)), errs.join('\n'));
    assert.ok(errs.some((e) => /\/api\/copy 200: the spec gives no content/.test(e)), errs.join('\n'));
  });

  it('checks OpenAI shapes, SSE chunks and the [DONE] terminator', async () => {
    const chunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }] };
    assert.deepEqual(await failures((v) => v.observe('POST', '/v1/chat/completions', sse([chunk, '[DONE]']))), []);
    const errs = await failures((v) => {
      v.observe('POST', '/v1/chat/completions', sse([chunk]));
      v.observe('POST', '/v1/chat/completions', sse([{ ...chunk, object: 'chat.completion' }, '[DONE]']));
      v.observe('GET', '/v1/models', json({ object: 'list', data: [{ id: 'm' }] }));
      v.observe('POST', '/v1/embeddings', json({ error: 'flat' }, 404));
    });
    assert.equal(errs.filter((e) => /^  [A-Z]/.test(e)).length, 4, errs.join('\n'));
    assert.ok(errs.some((e) => /did not end with data: \[DONE\]/.test(e)), errs.join('\n'));
  });

  it('checks tool calls, reasoning and logprobs in chat completions', async () => {
    const whole = (message, extra = {}) => json({
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: '', ...message }, finish_reason: 'tool_calls', ...extra }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
    const call = { id: 'call_abcd1234', index: 0, type: 'function', function: { name: 'f', arguments: '{}' } };
    const logprobs = { content: [{ token: 'a', logprob: -0.1, bytes: [97], top_logprobs: [{ token: 'a', logprob: -0.1, bytes: [97] }] }] };
    assert.deepEqual(await failures((v) => v.observe('POST', '/v1/chat/completions',
      whole({ reasoning: 'hmm', tool_calls: [call] }, { logprobs }))), []);
    const errs = await failures((v) => {
      v.observe('POST', '/v1/chat/completions', whole({ tool_calls: [{ ...call, function: { name: 'f', arguments: {} } }] }));
      v.observe('POST', '/v1/chat/completions', whole({ tool_calls: [{ ...call, id: 'x1' }] }));
      v.observe('POST', '/v1/chat/completions', whole({}, { logprobs: { content: [{ token: 'a', logprob: 0.5 }] } }));
    });
    assert.equal(errs.filter((e) => /^  [A-Z]/.test(e)).length, 3, errs.join('\n'));
  });

  it('checks /v1/responses objects and their typed events (no [DONE])', async () => {
    const response = {
      id: 'resp_1', object: 'response', created_at: 1, status: 'completed', model: 'm', tools: [], tool_choice: 'auto',
      parallel_tool_calls: true, error: null, incomplete_details: null,
      output: [{ id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'hi', annotations: [] }] }],
      usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2, input_tokens_details: {}, output_tokens_details: {} },
    };
    const named = (events) => new Response(events.map((e) => `event: ${e.name ?? e.type}\ndata: ${JSON.stringify(e)}\n\n`).join(''),
      { headers: { 'content-type': 'text/event-stream' } });
    const delta = { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'hi' };
    assert.deepEqual(await failures((v) => {
      v.observe('POST', '/v1/responses', json(response));
      v.observe('POST', '/v1/responses', named([{ type: 'response.created', sequence_number: 0, response }, delta,
        { type: 'response.completed', sequence_number: 2, response }]));
    }), []);
    const errs = await failures((v) => {
      v.observe('POST', '/v1/responses', json({ ...response, output: [{ id: 'msg_1', type: 'message' }] }));
      v.observe('POST', '/v1/responses', named([{ ...delta, name: 'response.output_text.done' }]));
      v.observe('POST', '/v1/responses', named([{ ...delta, item_id: undefined }]));
      v.observe('POST', '/v1/responses', new Response(`event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response })}\n\ndata: [DONE]\n\n`,
        { headers: { 'content-type': 'text/event-stream' } }));
    });
    assert.equal(errs.filter((e) => /^  [A-Z]/.test(e)).length, 4, errs.join('\n'));
  });

  it('reports responses the spec has no schema for', async () => {
    const v = new ResponseValidator();
    v.observe('POST', '/api/embeddings', json({ embedding: [0.5] }));
    v.observe('GET', '/', new Response('Ollama is running', { headers: { 'content-type': 'text/plain' } }));
    await v.check();
    assert.match(v.report(), /POST \/api\/embeddings 200/);
    assert.match(v.report(), /GET \/ 200/);
  });
});
