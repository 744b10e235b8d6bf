// The official clients pointed at a test server, with every response teed to the validator.
import { Ollama, OpenAI } from './deps.mjs';
import { validatingFetch } from './openapi.mjs';

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
