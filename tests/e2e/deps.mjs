// The npm packages the e2e suite uses, loaded from tests/npm/node_modules (installed and pinned by
// scripts/setup.sh); a missing install is a failure with a message that says how to fix it.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const npmDir = fileURLToPath(new URL('../npm/', import.meta.url));
if (!fs.existsSync(`${npmDir}node_modules/ollama`) || !fs.existsSync(`${npmDir}node_modules/openai`)) {
  throw new Error(
    `the e2e suite needs the npm clients in ${npmDir}node_modules (missing): run scripts/setup.sh ` +
      `(or: cd tests/npm && npm install)`,
  );
}
const require = createRequire(`${npmDir}package.json`);

export const { Ollama } = require('ollama');
const openaiModule = require('openai');
export const OpenAI = openaiModule.OpenAI ?? openaiModule.default ?? openaiModule;
export const Ajv2020 = require('ajv/dist/2020').default;
export const AjvDraft7 = require('ajv').default;
export const addFormats = require('ajv-formats').default;
export const YAML = require('yaml');
