// The official clients pointed at a test server, with every response teed to the validator.
import { after, afterEach, before } from 'node:test';
import fs from 'node:fs';
import { Ollama, OpenAI } from './deps.mjs';
import { Server, makeTempDir } from './harness.mjs';
import { ResponseValidator, validatingFetch } from './openapi.mjs';

export function makeClients(server, validator) {
  const vfetch = validatingFetch(validator);
  return {
    vfetch,
    ollama: new Ollama({ host: server.url, fetch: vfetch }),
    openai: new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'corral', fetch: vfetch, maxRetries: 0, timeout: 60_000 }),
    // Plain JSON request through the validating fetch: returns {status, headers, body (parsed or text)}.
    async request(method, path, body) {
      const init = { method, headers: {} };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        init.headers['content-type'] = 'application/json';
      }
      const res = await vfetch(`${server.url}${path}`, init);
      const text = method === 'HEAD' ? '' : await res.text();
      let parsed = text;
      try { parsed = text === '' ? '' : JSON.parse(text); } catch { /* text body */ }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
    // A streamed request read line by line (NDJSON), with every parsed line.
    async ndjson(path, body, { signal } = {}) {
      const res = await vfetch(`${server.url}${path}`, {
        method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal,
      });
      const text = await res.text();
      return { status: res.status, lines: text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) };
    },
  };
}

// One `corral serve` for the suite that calls this (inside its describe): a temporary store that
// `fill(store)` fills, the validating clients, every response checked after each test, and at the
// end the server stopped and the store removed. Returns {store, server, v, c}, set once before() ran.
export function suiteServer(fill, { env } = {}) {
  const s = {};
  before(async () => {
    s.store = makeTempDir();
    fill(s.store);
    s.server = await Server.start({ storeDir: s.store, env });
    s.v = new ResponseValidator();
    s.c = makeClients(s.server, s.v);
  });
  afterEach(async () => s.v.check());
  after(async () => {
    if (s.v) console.log(`# ${s.v.report().replaceAll('\n', '\n# ')}`);
    if (s.server) await s.server.stop();
    if (s.store) fs.rmSync(s.store, { recursive: true, force: true });
  });
  return s;
}
