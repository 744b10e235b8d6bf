// Decode speed through `corral serve` with the official `ollama` npm client, beside `corral bench`'s
// tg on the same GGUF file in the same window: one greedy stream, one stream with Ollama's default
// sampling (temperature 0.8, top_k 40, top_p 0.9), and N parallel greedy streams.
//
//   flock /tmp/corral-bench.lock node bench/serve_bench.mjs --model FILE.gguf [--parallel 4]
//       [--prompt 512] [--predict 128] [--rounds 3] [--threads 0] [--json]
//
// The server gets a temporary store holding FILE and CORRAL_NUM_PARALLEL=N (Ollama's default
// NUM_PARALLEL is 1: without it parallel requests queue and take turns). Each stream's prompt is
// --prompt tokens (a raw prompt; BOS included), as corral bench decodes after its -p prompt, so
// attention reads the same number of cached cells. Warm-up requests put each prompt into its own
// slot's cache; the measured requests then reuse it (one token re-evaluated), so prompt processing
// stays out of the decode figures. Rounds alternate bench, greedy, sampled and parallel runs.
//
// Figures, per run: `eval` = eval_count / eval_duration of the final response (the runner's
// clock, first sampled token to the last), `wall` = streamed chunks after the first / client time
// from the first chunk to the last (a chunk is a token unless the text holds back part of a
// character or a stop string). Parallel: `eval` = sum of the streams' eval_count over the
// span from the first stream's first token to the last stream's done (server clocks: each
// stream's start is its done time minus its eval_duration), `wall` = all chunks after each
// stream's first / client span. Medians over the rounds; ratios against bench's tg median.
import { execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const repoRoot = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const corralBin = process.env.CORRAL_BIN ?? path.join(repoRoot, 'build/release/corral');
const require = createRequire(path.join(repoRoot, 'tests/npm/package.json'));
const { Ollama } = require('ollama');
const execFileAsync = promisify(execFile);

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    parallel: { type: 'string', default: '4' },
    prompt: { type: 'string', default: '512' },
    predict: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
if (!args.model || !fs.existsSync(args.model)) {
  console.error('usage: node bench/serve_bench.mjs --model FILE.gguf [--parallel 4] [--prompt 512] [--predict 128] ' +
    '[--rounds 3] [--threads 0] [--json]\n(the file must carry a tokenizer: corral debug synth --vocab ...)');
  process.exit(2);
}
const modelFile = path.resolve(args.model);
const parallel = Number(args.parallel);
const promptTokens = Number(args.prompt);
const predict = Number(args.predict);
const rounds = Number(args.rounds);
const threads = Number(args.threads);

const log = (...a) => { if (!args.json) console.error(...a); };
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function corral(argv, env = {}) {
  const r = spawnSync(corralBin, argv, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`corral ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

// A raw prompt of about `n` tokens (BOS included) that differs from stream to stream in its
// first word, so every stream has its own cached prefix.
function makePrompt(stream, n) {
  const words = [];
  for (let i = 0; words.length < n; ++i) words.push(`s${stream}w${i}`);
  let text = words.join(' ');
  const count = (t) => corral(['debug', 'tokenize', modelFile, '--text', t, '--parse-special']).trim().split(/\s+/).length;
  while (count(text) > n) text = text.slice(0, Math.floor(text.length * 0.97));
  return text;
}

async function startServer(store) {
  const proc = spawn(corralBin, ['serve'], {
    env: {
      ...process.env, CORRAL_HOST: '127.0.0.1:0', CORRAL_MODELS: store,
      CORRAL_NUM_PARALLEL: String(parallel), CORRAL_KEEP_ALIVE: '-1', CORRAL_DEBUG: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (d) => { output += d.toString(); };
  proc.stdout.on('data', collect);
  proc.stderr.on('data', collect);
  for (let i = 0; i < 400; ++i) {
    const m = /listening on (?:http:\/\/)?127\.0\.0\.1:(\d+)/.exec(output);
    if (m) return { proc, url: `http://127.0.0.1:${m[1]}`, output: () => output };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGKILL');
  throw new Error(`corral serve did not start:\n${output}`);
}

// One streamed /api/generate; returns the final response and the client's chunk times (ms).
async function stream(client, prompt, options) {
  const times = [];
  let final = null;
  const parts = await client.generate({
    model: 'bench', prompt, raw: true, stream: true, options: { num_predict: predict, seed: 42, ...options },
  });
  for await (const part of parts) {
    if (part.done) final = part;
    else if (part.response !== '') times.push(performance.now());
  }
  return { final, times };
}

const evalRate = (f) => f.eval_count / (f.eval_duration / 1e9);
const wallRate = (times) => (times.length > 1 ? (times.length - 1) / ((times.at(-1) - times[0]) / 1e3) : NaN);

async function oneStream(client, prompt, options) {
  const { final, times } = await stream(client, prompt, options);
  return { eval: evalRate(final), wall: wallRate(times), tokens: final.eval_count };
}

async function parallelStreams(client, prompts) {
  const runs = await Promise.all(prompts.map(async (p) => {
    const r = await stream(client, p, { temperature: 0 });
    return { ...r, end: performance.now() };
  }));
  // Server clocks: a stream decoded from (done - eval_duration) to done; the client sees done at `end`.
  const starts = runs.map((r) => r.end - r.final.eval_duration / 1e6);
  const span = (Math.max(...runs.map((r) => r.end)) - Math.min(...starts)) / 1e3;
  const tokens = runs.reduce((s, r) => s + r.final.eval_count, 0);
  const chunks = runs.reduce((s, r) => s + Math.max(r.times.length - 1, 0), 0);
  const wallSpan = (Math.max(...runs.map((r) => r.times.at(-1))) - Math.min(...runs.map((r) => r.times[0]))) / 1e3;
  return { eval: tokens / span, wall: chunks / wallSpan, tokens, each: runs.map((r) => evalRate(r.final)) };
}

// Asynchronous: a blocked event loop would miss the server closing idle keep-alive connections,
// and the next request would go out on a closed socket.
async function bench() {
  const { stdout } = await execFileAsync(corralBin, ['bench', modelFile, '-p', String(promptTokens), '-n',
    String(predict), '-r', '1', '-t', String(threads), '--json'], { maxBuffer: 1 << 26 });
  return JSON.parse(stdout)[`tg${predict}`].median;
}

async function main() {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-serve-bench-'));
  const mfDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corral-serve-bench-mf-'));
  let server = null;
  try {
    fs.writeFileSync(path.join(mfDir, 'Modelfile'),
      `FROM ${modelFile}\n${threads > 0 ? `PARAMETER num_thread ${threads}\n` : ''}`);
    log(`creating the model from ${modelFile} ...`);
    corral(['create', 'bench', '-f', path.join(mfDir, 'Modelfile')], { CORRAL_MODELS: store, CORRAL_HOST: '127.0.0.1:1' });
    const prompts = [];
    for (let s = 0; s < parallel; ++s) prompts.push(makePrompt(s, promptTokens));
    server = await startServer(store);
    const client = new Ollama({ host: server.url });
    log(`server at ${server.url}, NUM_PARALLEL=${parallel}; warming up (each prompt into its own slot) ...`);
    await Promise.all(prompts.map((p) => client.generate({ model: 'bench', prompt: p, raw: true, stream: false,
      options: { num_predict: 1, temperature: 0 } })));
    const results = { bench: [], greedy: [], sampled: [], parallel: [] };
    for (let r = 0; r < rounds; ++r) {
      results.bench.push({ eval: await bench() });
      results.greedy.push(await oneStream(client, prompts[0], { temperature: 0 }));
      results.sampled.push(await oneStream(client, prompts[0], { temperature: 0.8, top_k: 40, top_p: 0.9 }));
      if (parallel > 1) results.parallel.push(await parallelStreams(client, prompts));
      log(`round ${r + 1}: bench tg ${results.bench[r].eval.toFixed(2)}, greedy ${results.greedy[r].eval.toFixed(2)} ` +
        `(wall ${results.greedy[r].wall.toFixed(2)}), sampled ${results.sampled[r].eval.toFixed(2)} ` +
        `(wall ${results.sampled[r].wall.toFixed(2)})` +
        (parallel > 1 ? `, ${parallel} parallel ${results.parallel[r].eval.toFixed(2)} (wall ` +
          `${results.parallel[r].wall.toFixed(2)}; streams ${results.parallel[r].each.map((x) => x.toFixed(1)).join('/')})` : ''));
    }
    const tg = median(results.bench.map((x) => x.eval));
    const summary = { model: modelFile, prompt_tokens: promptTokens, predict, parallel, rounds, bench_tg: tg };
    for (const k of ['greedy', 'sampled', 'parallel']) {
      if (results[k].length === 0) continue;
      const e = median(results[k].map((x) => x.eval));
      const w = median(results[k].map((x) => x.wall));
      summary[k] = { eval: e, wall: w, eval_vs_bench: e / tg };
    }
    if (summary.parallel) summary.parallel.vs_greedy = summary.parallel.eval / summary.greedy.eval;
    summary.rounds_detail = results;
    if (args.json) {
      console.log(JSON.stringify(summary, null, 2));
    } else {
      const row = (name, x) => `${name.padEnd(22)} ${x.eval.toFixed(2).padStart(8)} ${x.wall.toFixed(2).padStart(8)}` +
        `${(100 * x.eval_vs_bench).toFixed(1).padStart(9)}%`;
      console.log(`corral bench tg${predict} (after pp${promptTokens}): ${tg.toFixed(2)} tok/s (median of ${rounds})`);
      console.log(`${'through corral serve'.padEnd(22)} ${'eval'.padStart(8)} ${'wall'.padStart(8)} ${'of bench'.padStart(10)}`);
      console.log(row('1 stream, greedy', summary.greedy));
      console.log(row('1 stream, sampled', summary.sampled));
      if (summary.parallel) {
        console.log(row(`${parallel} streams, greedy`, summary.parallel) +
          `   ${summary.parallel.vs_greedy.toFixed(2)}x one stream`);
      }
    }
  } catch (e) {
    if (server) console.error(`server log (last 4000 bytes):\n${server.output().slice(-4000)}`);
    throw e;
  } finally {
    if (server) {
      server.proc.kill('SIGTERM');
      await new Promise((r) => server.proc.once('exit', r));
    }
    fs.rmSync(store, { recursive: true, force: true });
    fs.rmSync(mfDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e.stack ?? String(e));
  if (e.cause) console.error('cause:', e.cause);
  process.exit(1);
});
