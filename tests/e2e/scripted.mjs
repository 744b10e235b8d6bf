// Scripted test models for the e2e suites: `corral debug scripted` builds, at test time, a llama
// GGUF with a fixture's real vocabulary and chat template whose greedy (and temperature-1) answers
// are a script's, so tool calls, thinking and the client libraries can be checked against known
// answers that come out of a real forward pass, template, server and runner.
import fs from 'node:fs';
import path from 'node:path';
import { createModel, fixtureModel, makeTempDir, runCorral } from './harness.mjs';

export const QWEN3_VOCAB = fixtureModel('qwen3-tiny-qwen3v4k-f32');
export const LLAMA3_VOCAB = fixtureModel('llama-tiny-llama3v4k-f32');

// Writes the model for `script` (an object) and creates NAME from it in the store, with optional
// Modelfile lines (a TEMPLATE, PARAMETERs). `template`: a Jinja file stored as the GGUF's template.
export function createScripted(store, name, { vocab, script, template, modelfile = '' }) {
  const dir = makeTempDir('corral-e2e-scripted-');
  try {
    const scriptPath = path.join(dir, 'script.json');
    fs.writeFileSync(scriptPath, JSON.stringify(script));
    const out = path.join(dir, `${name}.gguf`);
    const args = ['debug', 'scripted', '--vocab', vocab, '--script', scriptPath, '-o', out];
    if (template) args.push('--template', template);
    runCorral(args);
    createModel(store, name, out, modelfile);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// A Modelfile TEMPLATE block (Go template text, quoted for the Modelfile).
export function templateLine(goTemplate) {
  return `TEMPLATE """${goTemplate}"""\n`;
}
