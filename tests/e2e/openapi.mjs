// Validates every response the e2e suite sees: Ollama routes against ../shared/spec/ollama-openapi.yaml
// (OpenAPI 3.1 = JSON Schema 2020-12, compiled with Ajv2020), /v1 routes against small hand schemas of
// OpenAI's shapes. Responses the spec has no schema for are counted and reported, never silently passed.
//
// What the spec does not describe (reported by report(), checked here with hand schemas instead):
//   GET|HEAD /            text "Ollama is running"
//   HEAD|POST /api/blobs/:digest   no body (201/200) or an error
//   POST /api/embeddings  legacy {embedding:[...]}
//   GET /api/health, GET /metrics   corral extras
//   any non-2xx status    the spec lists only 200s: checked against components.schemas.ErrorResponse
//                         with `error` required
//   POST /api/copy, DELETE /api/delete 200   the spec gives no content: the body must be empty
import fs from 'node:fs';
import assert from 'node:assert/strict';
import { Ajv2020, addFormats, YAML } from './deps.mjs';
import { specPath } from './harness.mjs';

const SPEC_ID = 'https://corral.invalid/ollama-openapi.json';

// Rewrites OpenAPI component refs to the $defs of the schema registered under SPEC_ID.
function rewriteRefs(node) {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
      out[k] = `${SPEC_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`;
    } else {
      out[k] = rewriteRefs(v);
    }
  }
  return out;
}

const ERROR_STRICT = {
  allOf: [{ $ref: `${SPEC_ID}#/$defs/ErrorResponse` }],
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string', minLength: 1 } },
};

const OPENAI_ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type'],
      properties: { message: { type: 'string', minLength: 1 }, type: { type: 'string' } },
    },
  },
};
const USAGE = {
  type: 'object',
  required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
  properties: {
    prompt_tokens: { type: 'integer', minimum: 0 },
    completion_tokens: { type: 'integer', minimum: 0 },
    total_tokens: { type: 'integer', minimum: 0 },
  },
};
const FINISH = { enum: ['stop', 'length', 'tool_calls', null] };
const OPENAI_MODEL = {
  type: 'object',
  required: ['id', 'object', 'created', 'owned_by'],
  properties: {
    id: { type: 'string' },
    object: { const: 'model' },
    created: { type: 'integer' },
    owned_by: { type: 'string' },
  },
};
function envelope(object, choice, extra = {}) {
  return {
    type: 'object',
    required: ['id', 'object', 'created', 'model', 'choices', ...(extra.required ?? [])],
    properties: {
      id: { type: 'string', minLength: 1 },
      object: { const: object },
      created: { type: 'integer' },
      model: { type: 'string' },
      choices: { type: 'array', items: choice },
      ...(extra.properties ?? {}),
    },
  };
}
// A tool call as OpenAI sends it: arguments are a JSON string.
const TOOL_CALL = {
  type: 'object',
  required: ['id', 'type', 'function'],
  properties: {
    id: { type: 'string', pattern: '^call_' },
    index: { type: 'integer', minimum: 0 },
    type: { const: 'function' },
    function: {
      type: 'object', required: ['name', 'arguments'],
      properties: { name: { type: 'string', minLength: 1 }, arguments: { type: 'string' } },
    },
  },
};
const TOP_LOGPROB = {
  type: 'object',
  required: ['token', 'logprob'],
  properties: {
    token: { type: 'string' },
    logprob: { type: 'number', maximum: 0 },
    bytes: { oneOf: [{ type: 'null' }, { type: 'array', items: { type: 'integer', minimum: 0, maximum: 255 } }] },
  },
};
const TOKEN_LOGPROB = {
  ...TOP_LOGPROB,
  properties: { ...TOP_LOGPROB.properties, top_logprobs: { type: 'array', items: TOP_LOGPROB } },
};
// choices[].logprobs: {content: [...]} (absent or null when not asked for).
const CHOICE_LOGPROBS = {
  oneOf: [{ type: 'null' }, {
    type: 'object', required: ['content'], properties: { content: { type: 'array', items: TOKEN_LOGPROB } },
  }],
};
const CHAT_MESSAGE = {
  type: 'object',
  required: ['role', 'content'],
  properties: {
    role: { const: 'assistant' },
    content: { type: ['string', 'null'] },
    reasoning: { type: 'string' },
    tool_calls: { type: 'array', minItems: 1, items: TOOL_CALL },
  },
};
const CHAT_DELTA = {
  type: 'object',
  properties: {
    role: { const: 'assistant' },
    content: { type: ['string', 'null'] },
    reasoning: { type: 'string' },
    tool_calls: { type: 'array', minItems: 1, items: { ...TOOL_CALL, required: ['index', 'id', 'type', 'function'] } },
  },
};
// The Responses API (/v1/responses): the response object and its output items, as OpenAI types them.
const OUTPUT_TEXT = {
  type: 'object', required: ['type', 'text', 'annotations'],
  properties: { type: { const: 'output_text' }, text: { type: 'string' }, annotations: { type: 'array' } },
};
const OUTPUT_ITEM = {
  type: 'object',
  required: ['id', 'type'],
  properties: { id: { type: 'string' }, type: { type: 'string' } },
  oneOf: [
    {
      required: ['id', 'type', 'role', 'content', 'status'],
      properties: {
        id: { type: 'string', pattern: '^msg_' }, type: { const: 'message' }, role: { const: 'assistant' },
        status: { enum: ['in_progress', 'completed', 'incomplete'] }, content: { type: 'array', items: OUTPUT_TEXT },
      },
    },
    {
      required: ['id', 'type', 'call_id', 'name', 'arguments'],
      properties: {
        id: { type: 'string', pattern: '^fc_' }, type: { const: 'function_call' }, call_id: { type: 'string', pattern: '^call_' },
        name: { type: 'string', minLength: 1 }, arguments: { type: 'string' },
        status: { enum: ['in_progress', 'completed', 'incomplete'] },
      },
    },
    {
      required: ['id', 'type', 'summary'],
      properties: {
        id: { type: 'string', pattern: '^rs_' }, type: { const: 'reasoning' },
        summary: {
          type: 'array',
          items: { type: 'object', required: ['type', 'text'], properties: { type: { const: 'summary_text' }, text: { type: 'string' } } },
        },
      },
    },
  ],
};
const RESPONSE = {
  type: 'object',
  required: ['id', 'object', 'created_at', 'status', 'model', 'output', 'tools', 'tool_choice', 'parallel_tool_calls'],
  properties: {
    id: { type: 'string', pattern: '^resp_' },
    object: { const: 'response' },
    created_at: { type: 'integer' },
    status: { enum: ['completed', 'in_progress', 'incomplete', 'failed'] },
    error: { type: 'null' },
    incomplete_details: { oneOf: [{ type: 'null' }, { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } }] },
    model: { type: 'string' },
    output: { type: 'array', items: OUTPUT_ITEM },
    tools: { type: 'array' },
    tool_choice: {},
    parallel_tool_calls: { type: 'boolean' },
    usage: {
      oneOf: [{ type: 'null' }, {
        type: 'object', required: ['input_tokens', 'output_tokens', 'total_tokens', 'input_tokens_details', 'output_tokens_details'],
        properties: {
          input_tokens: { type: 'integer', minimum: 0 }, output_tokens: { type: 'integer', minimum: 0 },
          total_tokens: { type: 'integer', minimum: 0 }, input_tokens_details: { type: 'object' },
          output_tokens_details: { type: 'object' },
        },
      }],
    },
  },
};
const EVENT_FIELDS = {
  item_id: { type: 'string', minLength: 1 },
  output_index: { type: 'integer', minimum: 0 },
  content_index: { type: 'integer', minimum: 0 },
  summary_index: { type: 'integer', minimum: 0 },
  delta: { type: 'string' },
  text: { type: 'string' },
  arguments: { type: 'string' },
};
// One typed event per `event:`; the data repeats the type and carries a sequence number.
function responseEvent(type, required, properties = {}) {
  return {
    if: { properties: { type: { const: type } }, required: ['type'] },
    then: {
      required: ['sequence_number', ...required],
      properties: {
        sequence_number: {},
        ...Object.fromEntries(required.map((k) => [k, EVENT_FIELDS[k] ?? {}])),
        ...properties,
      },
    },
  };
}
const RESPONSE_EVENT = {
  type: 'object',
  required: ['type', 'sequence_number'],
  properties: {
    type: {
      enum: [
        'response.created', 'response.in_progress', 'response.completed', 'response.incomplete', 'response.failed',
        'response.output_item.added', 'response.output_item.done', 'response.content_part.added',
        'response.content_part.done', 'response.output_text.delta', 'response.output_text.done',
        'response.function_call_arguments.delta', 'response.function_call_arguments.done',
        'response.reasoning_summary_part.added', 'response.reasoning_summary_part.done',
        'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.done', 'error',
      ],
    },
    sequence_number: { type: 'integer', minimum: 0 },
    ...EVENT_FIELDS,
  },
  allOf: [
    ...['response.created', 'response.in_progress', 'response.completed', 'response.incomplete'].map((t) =>
      responseEvent(t, ['response'], { response: RESPONSE })),
    ...['response.output_item.added', 'response.output_item.done'].map((t) =>
      responseEvent(t, ['output_index', 'item'], { item: OUTPUT_ITEM })),
    ...['response.content_part.added', 'response.content_part.done'].map((t) =>
      responseEvent(t, ['item_id', 'output_index', 'content_index', 'part'], { part: OUTPUT_TEXT })),
    responseEvent('response.output_text.delta', ['item_id', 'output_index', 'content_index', 'delta']),
    responseEvent('response.output_text.done', ['item_id', 'output_index', 'content_index', 'text']),
    responseEvent('response.function_call_arguments.delta', ['item_id', 'output_index', 'delta']),
    responseEvent('response.function_call_arguments.done', ['item_id', 'output_index', 'arguments']),
    ...['response.reasoning_summary_part.added', 'response.reasoning_summary_part.done'].map((t) =>
      responseEvent(t, ['item_id', 'output_index', 'summary_index', 'part'])),
    responseEvent('response.reasoning_summary_text.delta', ['item_id', 'output_index', 'summary_index', 'delta']),
    responseEvent('response.reasoning_summary_text.done', ['item_id', 'output_index', 'summary_index', 'text']),
  ],
};
// Hand schemas for the OpenAI-compatible routes: [method, path regex, kind, schema, {done, named}]
// (done: the SSE stream ends with data: [DONE]; named: every event has an `event:` line equal to its type).
const OPENAI_SCHEMAS = [
  ['POST', /^\/v1\/chat\/completions$/, 'json',
    envelope('chat.completion', {
      type: 'object', required: ['index', 'message', 'finish_reason'],
      properties: { index: { type: 'integer' }, message: CHAT_MESSAGE, finish_reason: FINISH, logprobs: CHOICE_LOGPROBS },
    }, { required: ['usage'], properties: { usage: USAGE } })],
  ['POST', /^\/v1\/chat\/completions$/, 'sse',
    envelope('chat.completion.chunk', {
      type: 'object', required: ['index', 'delta'],
      properties: { index: { type: 'integer' }, delta: CHAT_DELTA, finish_reason: FINISH, logprobs: CHOICE_LOGPROBS },
    }, { properties: { usage: { oneOf: [{ type: 'null' }, USAGE] } } })],
  ['POST', /^\/v1\/completions$/, 'json',
    envelope('text_completion', {
      type: 'object', required: ['index', 'text', 'finish_reason'],
      properties: { index: { type: 'integer' }, text: { type: 'string' }, finish_reason: FINISH, logprobs: CHOICE_LOGPROBS },
    }, { required: ['usage'], properties: { usage: USAGE } })],
  ['POST', /^\/v1\/completions$/, 'sse',
    envelope('text_completion', {
      type: 'object', required: ['index', 'text'],
      properties: { index: { type: 'integer' }, text: { type: 'string' }, finish_reason: FINISH, logprobs: CHOICE_LOGPROBS },
    }, { properties: { usage: { oneOf: [{ type: 'null' }, USAGE] } } })],
  ['POST', /^\/v1\/responses$/, 'json', RESPONSE],
  ['POST', /^\/v1\/responses$/, 'sse', RESPONSE_EVENT, { done: false, named: true }],
  ['POST', /^\/v1\/embeddings$/, 'json', {
    type: 'object', required: ['object', 'data', 'model', 'usage'],
    properties: {
      object: { const: 'list' },
      model: { type: 'string' },
      data: {
        type: 'array',
        items: {
          type: 'object', required: ['object', 'embedding', 'index'],
          properties: {
            object: { const: 'embedding' },
            embedding: { oneOf: [{ type: 'array', items: { type: 'number' } }, { type: 'string' }] },
            index: { type: 'integer' },
          },
        },
      },
      usage: {
        type: 'object', required: ['prompt_tokens', 'total_tokens'],
        properties: { prompt_tokens: { type: 'integer', minimum: 0 }, total_tokens: { type: 'integer', minimum: 0 } },
      },
    },
  }],
  ['GET', /^\/v1\/models$/, 'json', {
    type: 'object', required: ['object', 'data'],
    properties: { object: { const: 'list' }, data: { type: 'array', items: OPENAI_MODEL } },
  }],
  ['GET', /^\/v1\/models\/.+$/, 'json', OPENAI_MODEL],
];
// Ollama routes outside the spec, checked with hand schemas (and reported).
const EXTRA_SCHEMAS = [
  ['POST', /^\/api\/embeddings$/, 'json', {
    type: 'object', required: ['embedding'],
    properties: { embedding: { type: 'array', items: { type: 'number' } } },
  }],
  ['GET', /^\/api\/health$/, 'json', { type: 'object' }],
];

function mediaType(res) {
  return (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

// Compiled once per process (compiling the spec takes a while on a busy machine).
let compiled = null;
function compile() {
  const spec = YAML.parse(fs.readFileSync(specPath, 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  for (const f of ['float', 'double', 'int32', 'int64']) ajv.addFormat(f, true);
  ajv.addVocabulary(['example']);
  ajv.addSchema({ $id: SPEC_ID, $defs: rewriteRefs(spec.components.schemas) });
  const routes = []; // {method, regex, status, media: {content type → validate}}
  for (const [path, ops] of Object.entries(spec.paths)) {
    const regex = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, resp] of Object.entries(op.responses ?? {})) {
        const media = {};
        for (const [type, content] of Object.entries(resp.content ?? {})) {
          if (content.schema) media[type] = ajv.compile(rewriteRefs(content.schema));
        }
        routes.push({ method: method.toUpperCase(), regex, status: Number(status), media });
      }
    }
  }
  const hand = [...OPENAI_SCHEMAS, ...EXTRA_SCHEMAS].map(([method, regex, kind, schema, sse = {}]) => ({
    method, regex, kind, validate: ajv.compile(schema), done: sse.done ?? true, named: sse.named ?? false,
  }));
  return { ajv, routes, hand, errorSchema: ajv.compile(ERROR_STRICT), openaiError: ajv.compile(OPENAI_ERROR) };
}

export class ResponseValidator {
  constructor() {
    this.errors = [];
    this.unspecified = new Map(); // "METHOD path status" → count
    this.pending = new Set();
    this.count = 0;
    this.enabled = fs.existsSync(specPath);
    if (!this.enabled) {
      console.log(`# OpenAPI validation SKIPPED: ${specPath} is absent`);
      return;
    }
    Object.assign(this, compiled ??= compile());
  }

  // Starts validating a response (pass a clone: the caller keeps reading the original).
  observe(method, path, response) {
    if (!this.enabled) return;
    const p = this.#validate(method.toUpperCase(), path, response).catch((e) => {
      // A body the client aborted on purpose cannot be read to the end: not a validation failure.
      if (e?.name !== 'AbortError' && !/terminated|aborted/i.test(String(e?.message))) {
        this.errors.push(`${method} ${path}: reading the body failed: ${e?.message ?? e}`);
      }
    });
    this.pending.add(p);
    p.finally(() => this.pending.delete(p));
  }

  #fail(where, validate, value) {
    const detail = this.ajv.errorsText(validate.errors, { separator: '; ' });
    this.errors.push(`${where}: ${detail}\n    body: ${JSON.stringify(value).slice(0, 400)}`);
  }

  #check(where, validate, value) {
    this.count += 1;
    if (!validate(value)) this.#fail(where, validate, value);
  }

  #note(key) {
    this.unspecified.set(key, (this.unspecified.get(key) ?? 0) + 1);
  }

  async #validate(method, path, res) {
    const where = `${method} ${path} ${res.status}`;
    const type = mediaType(res);
    const text = method === 'HEAD' ? '' : await res.text();
    const isOpenAI = path.startsWith('/v1/');
    if (res.status >= 400) {
      if (method === 'HEAD') return this.#note(`${method} ${path.replace(/sha256[:-][0-9a-f]+/, ':digest')} ${res.status} (no body)`);
      let body;
      try { body = JSON.parse(text); } catch { return this.errors.push(`${where}: error body is not JSON: ${text.slice(0, 200)}`); }
      if (type !== 'application/json') this.errors.push(`${where}: error body has content-type "${type}"`);
      if (isOpenAI) return this.#check(`${where} (OpenAI error)`, this.openaiError, body);
      this.#note(`${method} ${path.split('/').slice(0, 3).join('/')} ${res.status} (ErrorResponse)`);
      return this.#check(`${where} (ErrorResponse)`, this.errorSchema, body);
    }
    if (isOpenAI) return this.#validateOpenAI(method, path, res.status, type, text, where);
    const route = this.routes.find((r) => r.method === method && r.regex.test(path) && r.status === res.status);
    if (!route) return this.#validateExtra(method, path, res.status, type, text, where);
    if (Object.keys(route.media).length === 0) {
      if (text !== '') this.errors.push(`${where}: the spec gives no content but the body is ${text.slice(0, 200)}`);
      return;
    }
    const validate = route.media[type];
    if (!validate) return this.errors.push(`${where}: content-type "${type}" is not one the spec lists (${Object.keys(route.media)})`);
    if (type === 'application/x-ndjson') {
      for (const line of text.split('\n').filter((l) => l !== '')) {
        let event;
        try { event = JSON.parse(line); } catch { this.errors.push(`${where}: NDJSON line is not JSON: ${line.slice(0, 200)}`); continue; }
        if ('error' in event) this.#check(`${where} (stream error line)`, this.errorSchema, event);
        else this.#check(where, validate, event);
      }
      return;
    }
    let body;
    try { body = JSON.parse(text); } catch { return this.errors.push(`${where}: body is not JSON: ${text.slice(0, 200)}`); }
    this.#check(where, validate, body);
  }

  #validateOpenAI(method, path, status, type, text, where) {
    const kind = type === 'text/event-stream' ? 'sse' : 'json';
    const hand = this.hand.find((h) => h.method === method && h.regex.test(path) && h.kind === kind);
    if (!hand) return this.errors.push(`${where}: no hand schema for a ${kind} response (content-type "${type}")`);
    if (kind === 'json') {
      let body;
      try { body = JSON.parse(text); } catch { return this.errors.push(`${where}: body is not JSON: ${text.slice(0, 200)}`); }
      return this.#check(where, hand.validate, body);
    }
    const events = text.split(/\r?\n\r?\n/).filter((e) => e.trim() !== '');
    let done = false;
    for (const event of events) {
      const lines = event.split(/\r?\n/);
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
      const name = lines.filter((l) => l.startsWith('event:')).map((l) => l.slice(6).trim())[0];
      if (data === '[DONE]') { done = true; continue; }
      if (done) this.errors.push(`${where}: SSE event after [DONE]: ${data.slice(0, 200)}`);
      let chunk;
      try { chunk = JSON.parse(data); } catch { this.errors.push(`${where}: SSE data is not JSON: ${data.slice(0, 200)}`); continue; }
      if (hand.named && name !== chunk.type) this.errors.push(`${where}: SSE event "${name}" carries type "${chunk.type}"`);
      if ('error' in chunk && !hand.named) this.#check(`${where} (stream error)`, this.openaiError, chunk);
      else this.#check(where, hand.validate, chunk);
    }
    if (hand.done && !done) this.errors.push(`${where}: SSE stream did not end with data: [DONE]`);
    if (!hand.done && done) this.errors.push(`${where}: SSE stream sent data: [DONE]`);
  }

  #validateExtra(method, path, status, type, text, where) {
    const key = `${method} ${path.replace(/sha256[:-][0-9a-f]+/, ':digest')} ${status}`;
    this.#note(key);
    const hand = this.hand.find((h) => h.method === method && h.regex.test(path));
    if (hand && type === 'application/json') {
      let body;
      try { body = JSON.parse(text); } catch { return this.errors.push(`${where}: body is not JSON: ${text.slice(0, 200)}`); }
      this.#check(`${where} (hand schema)`, hand.validate, body);
    } else if (type === 'application/json' && text !== '') {
      try { JSON.parse(text); } catch { this.errors.push(`${where}: body is not JSON: ${text.slice(0, 200)}`); }
    }
  }

  // Waits for the validations in flight and fails (once) if any response did not validate.
  async check() {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    const errors = this.errors.splice(0);
    assert.deepEqual(errors, [], `responses that do not validate:\n  ${errors.join('\n  ')}`);
  }

  report() {
    if (!this.enabled) return 'OpenAPI validation skipped (spec absent)';
    const lines = [...this.unspecified].map(([k, n]) => `  ${k} ×${n}`).sort();
    return `validated ${this.count} JSON documents; responses the OpenAPI spec has no schema for:\n${lines.join('\n') || '  (none)'}`;
  }
}

// A fetch for the clients: every response is teed to the validator.
export function validatingFetch(validator) {
  return async (input, init = {}) => {
    const res = await fetch(input, init);
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const method = init.method ?? (input instanceof Request ? input.method : 'GET');
    validator.observe(method, url.pathname, res.clone());
    return res;
  };
}
