// The application frameworks the e2e suite drives corral with (LangChain's Ollama chat model, the
// Vercel AI SDK with its OpenAI-compatible provider, zod for their schemas), loaded from
// tests/npm/node_modules (pinned in tests/npm/package.json, installed by scripts/setup.sh).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const npmDir = fileURLToPath(new URL('../npm/', import.meta.url));
for (const pkg of ['@langchain/ollama', '@langchain/core', 'ai', '@ai-sdk/openai-compatible', 'zod']) {
  if (!fs.existsSync(`${npmDir}node_modules/${pkg}`)) {
    throw new Error(`the e2e suite needs ${pkg} in ${npmDir}node_modules (missing): run scripts/setup.sh ` +
      '(or: cd tests/npm && npm install)');
  }
}
const require = createRequire(`${npmDir}package.json`);

export const { ChatOllama } = require('@langchain/ollama');
export const { tool: langchainTool } = require('@langchain/core/tools');
export const { HumanMessage } = require('@langchain/core/messages');
export const ai = require('ai');
export const { createOpenAICompatible } = require('@ai-sdk/openai-compatible');
export const { z } = require('zod');
