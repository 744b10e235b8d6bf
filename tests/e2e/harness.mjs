// The e2e harness: a temporary model store filled with `corral create`, a `corral serve` child on a
// free loopback port (parsed from its "listening on" log line), process helpers (runner pids from
// /proc), and the corral CLI references (`corral debug tokenize/generate`) the API must agree with.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = process.env.CORRAL_REPO_ROOT ?? path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const corralBin = process.env.CORRAL_BIN ?? path.join(repoRoot, 'build/release/corral');
export const sharedDir = path.resolve(repoRoot, '../shared');
export const specPath = path.join(sharedDir, 'spec/ollama-openapi.yaml');
export const fixtureModelsDir = path.join(sharedDir, 'fixtures/models');

// Path of a fixture GGUF, or null when ../shared/fixtures is absent (tests then skip).
export function fixtureModel(name) {
  const p = path.join(fixtureModelsDir, `${name}.gguf`);
  return fs.existsSync(p) ? p : null;
}

// Runs the corral CLI synchronously; throws with its stderr on a non-zero exit.
export function runCorral(args, { env = {}, cwd, allowFail = false } = {}) {
  const r = spawnSync(corralBin, args, { env: { ...process.env, ...env }, cwd, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) {
    throw new Error(`corral ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  }
  return r;
}

export function makeTempDir(prefix = 'corral-e2e-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Creates NAME in the store from a GGUF file (plus optional Modelfile lines) with `corral create`.
export function createModel(storeDir, name, ggufPath, extraModelfile = '') {
  const dir = makeTempDir('corral-e2e-mf-');
  try {
    fs.writeFileSync(path.join(dir, 'Modelfile'), `FROM ${ggufPath}\n${extraModelfile}`);
    // A closed CORRAL_HOST: create runs its in-process server on storeDir, never a server that happens
    // to answer at the default address.
    runCorral(['create', name, '-f', path.join(dir, 'Modelfile')], {
      env: { CORRAL_MODELS: storeDir, CORRAL_HOST: '127.0.0.1:1' },
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// `corral debug tokenize` with special-token parsing and BOS, as the runner tokenizes a prompt.
export function tokenize(ggufPath, text) {
  const r = runCorral(['debug', 'tokenize', ggufPath, '--text', text, '--parse-special']);
  return r.stdout.trim().split(/\s+/).filter(Boolean).map(Number);
}

// `corral debug generate`: the greedy continuation (ids; ends with the EOG id when one was produced).
export function greedyIds(ggufPath, promptIds, n) {
  const r = runCorral(['debug', 'generate', ggufPath, '--tokens', promptIds.join(' '), '-n', String(n), '--threads', '1']);
  return r.stdout.trim().split(/\s+/).filter(Boolean).map(Number);
}

export function detokenize(ggufPath, ids) {
  if (ids.length === 0) return '';
  return runCorral(['debug', 'detokenize', ggufPath, '--tokens', ids.join(' ')]).stdout;
}

// Parent pid of a process, from /proc/<pid>/stat (the field after the parenthesised command).
function parentPid(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

export function childPids(pid) {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => parentPid(p) === pid);
}

export function processAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, predicate, timeoutMs = 10_000, stepMs = 25) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

// A running `corral serve`. Start with Server.start({storeDir, env}); stop() checks it exits.
export class Server {
  static async start({ storeDir, env = {}, timeoutMs = 20_000 } = {}) {
    const s = new Server();
    s.proc = spawn(corralBin, ['serve'], {
      env: {
        ...process.env,
        CORRAL_HOST: '127.0.0.1:0',
        CORRAL_MODELS: storeDir,
        CORRAL_NUM_PARALLEL: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    s.log = '';
    s.exit = new Promise((resolve) => s.proc.on('exit', (code, signal) => resolve({ code, signal })));
    const onData = (d) => { s.log += d.toString(); };
    s.proc.stdout.on('data', onData);
    s.proc.stderr.on('data', onData);
    s.pid = s.proc.pid;
    let exited = null;
    s.exit.then((e) => { exited = e; });
    const port = await waitFor('"listening on 127.0.0.1:<port>" in the server log', () => {
      if (exited) throw new Error(`corral serve exited early (${JSON.stringify(exited)}):\n${s.log}`);
      const m = /listening on (?:http:\/\/)?127\.0\.0\.1:(\d+)/.exec(s.log);
      return m ? Number(m[1]) : null;
    }, timeoutMs);
    s.port = port;
    s.url = `http://127.0.0.1:${port}`;
    await waitFor('GET / to answer 200', async () => {
      try {
        return (await fetch(s.url + '/')).status === 200;
      } catch {
        return false;
      }
    }, timeoutMs);
    return s;
  }

  // Runner children of the server (each loaded model runs as `corral runner ...`).
  runnerPids() {
    return childPids(this.pid).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes('runner');
      } catch {
        return false;
      }
    });
  }

  // SIGTERM; the server must exit within the timeout, and its runners must be gone afterwards.
  async stop(timeoutMs = 10_000) {
    if (!this.proc) return null;
    const runners = this.runnerPids();
    this.proc.kill('SIGTERM');
    const timer = sleep(timeoutMs).then(() => 'timeout');
    const r = await Promise.race([this.exit, timer]);
    if (r === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exit;
      throw new Error(`corral serve did not exit within ${timeoutMs} ms of SIGTERM; log:\n${this.log.slice(-4000)}`);
    }
    await waitFor(`runner processes ${runners} to exit with the server`, () => runners.every((p) => !processAlive(p)), 5_000);
    this.proc = null;
    return r;
  }
}

// The greedy reply corral should give to a chat on a fixture model with a GGUF (Jinja) chat
// template: `corral debug render` with the server's variables (messages, add_generation_prompt,
// bos_token, eos_token), the leading BOS text dropped (the tokenizer adds BOS), then tokenize and
// `corral debug generate`. Returns {promptIds, ids, text} (text without a final end-of-turn piece).
export function chatReference(ggufPath, messages, n) {
  const facts = JSON.parse(fs.readFileSync(ggufPath.replace(/\.gguf$/, '.json'), 'utf8')).tokenizer;
  const special = (id) => runCorral(['debug', 'detokenize', ggufPath, '--tokens', String(id), '--render-special']).stdout;
  const bos = special(facts.bos_token_id);
  const eos = special(facts.eos_token_id);
  const dir = makeTempDir('corral-e2e-render-');
  let prompt;
  try {
    const input = path.join(dir, 'input.json');
    fs.writeFileSync(input, JSON.stringify({ messages, add_generation_prompt: true, bos_token: bos, eos_token: eos }));
    prompt = runCorral(['debug', 'render', '--template', ggufPath, '--input', input]).stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (prompt.startsWith(bos)) prompt = prompt.slice(bos.length);
  const promptIds = tokenize(ggufPath, prompt);
  const ids = greedyIds(ggufPath, promptIds, n);
  const full = detokenize(ggufPath, [...promptIds, ...ids]);
  const head = detokenize(ggufPath, promptIds);
  return { prompt, promptIds, ids, text: full.slice(head.length) };
}
