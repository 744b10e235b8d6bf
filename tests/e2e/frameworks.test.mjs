// corral as the backend of application frameworks: LangChain's ChatOllama (bindTools, a tool's
// result sent back, thinking, withStructuredOutput) and the Vercel AI SDK through its
// OpenAI-compatible provider (generateText running a tool to a final answer, streamText,
// generateObject), on the scripted models of models.mjs. Every response is validated (openapi.mjs).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { suiteServer } from './clients.mjs';
import { ChatOllama, HumanMessage, ai, createOpenAICompatible, langchainTool, z } from './framework_deps.mjs';
import { LLAMA3_VOCAB, createScripted } from './scripted.mjs';
import { HELLO, HELLO_THOUGHT, HOT, createPlain, createWeather, skipReason } from './models.mjs';

const REPORT = { city: 'Paris', temperature: 22 };
// "reporter" (Llama 3's vocabulary and template): answers with one JSON object.
const REPORTER_SCRIPT = {
  rules: [{ after: '<|start_header_id|>assistant<|end_header_id|>\n\n', say: `${JSON.stringify(REPORT)}<|eot_id|>` }],
};
const REPORT_SCHEMA = () => z.object({ city: z.string(), temperature: z.number() });

describe('LangChain and the AI SDK against corral', { skip: skipReason }, () => {
  const s = suiteServer((store) => {
    createWeather(store);
    createPlain(store);
    createScripted(store, 'reporter', { vocab: LLAMA3_VOCAB, script: REPORTER_SCRIPT });
  });
  let c;
  let noStructuredOutputs = false;
  before(async () => {
    c = s.c;
    // Structured outputs (format / response_format) come from the grammar work; until the server
    // serves them these cases are skipped, naming what is missing.
    const probe = await c.request('POST', '/api/chat', {
      model: 'reporter', messages: [{ role: 'user', content: 'x' }], format: 'json', stream: false, options: { num_predict: 1 },
    });
    if (probe.status !== 200) {
      noStructuredOutputs = `needs structured outputs (format / response_format); the server answered ${probe.status}: ${probe.body.error}`;
    }
  });

  const chatOllama = (fields) => new ChatOllama({ baseUrl: s.server.url, fetch: c.vfetch, ...fields });
  const weatherTool = () => langchainTool(async ({ city }) => (city === 'Paris' ? '22' : '0'), {
    name: 'get_weather', description: 'The weather in a city', schema: z.object({ city: z.string() }),
  });

  it('LangChain bindTools: the call comes back parsed, its result goes back, the answer uses it', async () => {
    const tool = weatherTool();
    const llm = chatOllama({ model: 'weather' }).bindTools([tool]);
    const question = new HumanMessage('What is the weather in Paris?');
    const reply = await llm.invoke([question]);
    assert.equal(reply.tool_calls.length, 1);
    assert.equal(reply.tool_calls[0].name, 'get_weather');
    assert.deepEqual(reply.tool_calls[0].args, { city: 'Paris' });
    const result = await tool.invoke(reply.tool_calls[0]);
    const answer = await llm.invoke([question, reply, result]);
    assert.equal(answer.content, HOT);
  });

  it('LangChain think: the reasoning apart from the content', async () => {
    const reply = await chatOllama({ model: 'weather', think: true }).invoke('Hi');
    assert.equal(reply.content, HELLO);
    assert.equal(reply.additional_kwargs.reasoning_content, HELLO_THOUGHT);
    const plain = await chatOllama({ model: 'weather', think: false }).invoke('Hi');
    assert.equal(plain.content, HELLO);
  });

  it('LangChain withStructuredOutput through a tool call (functionCalling)', async () => {
    const llm = chatOllama({ model: 'weather' }).withStructuredOutput(z.object({ city: z.string() }), {
      method: 'functionCalling', name: 'get_weather',
    });
    assert.deepEqual(await llm.invoke('What is the weather in Paris?'), { city: 'Paris' });
  });

  it('LangChain withStructuredOutput with a JSON schema (format)', async (t) => {
    if (noStructuredOutputs) return t.skip(noStructuredOutputs);
    const llm = chatOllama({ model: 'reporter' }).withStructuredOutput(REPORT_SCHEMA());
    assert.deepEqual(await llm.invoke('Report the weather.'), REPORT);
  });

  const provider = () => createOpenAICompatible({ name: 'corral', baseURL: `${s.server.url}/v1`, fetch: c.vfetch });

  it('AI SDK generateText runs the tool and answers with its result', async () => {
    const calls = [];
    const result = await ai.generateText({
      model: provider()('weather'),
      prompt: 'What is the weather in Paris?',
      tools: {
        get_weather: ai.tool({
          description: 'The weather in a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            calls.push(city);
            return 22;
          },
        }),
      },
      stopWhen: ai.stepCountIs(3),
    });
    assert.deepEqual(calls, ['Paris']);
    assert.equal(result.steps[0].toolCalls[0].toolName, 'get_weather');
    assert.deepEqual(result.steps[0].toolCalls[0].input, { city: 'Paris' });
    assert.equal(result.steps[0].finishReason, 'tool-calls');
    assert.equal(result.text, HOT);
    assert.equal(result.finishReason, 'stop');
  });

  it('AI SDK streamText streams the text and the reasoning', async () => {
    const plain = ai.streamText({ model: provider()('plain'), prompt: 'Hi' });
    let text = '';
    for await (const delta of plain.textStream) text += delta;
    assert.equal(text, HELLO);
    const thinking = ai.streamText({ model: provider()('weather'), prompt: 'Hi' });
    assert.equal(await thinking.text, HELLO);
    assert.equal(await thinking.reasoningText, HELLO_THOUGHT);
  });

  it('AI SDK generateObject with a zod schema (response_format json_schema)', async (t) => {
    if (noStructuredOutputs) return t.skip(noStructuredOutputs);
    const result = await ai.generateObject({ model: provider()('reporter'), schema: REPORT_SCHEMA(), prompt: 'Report.' });
    assert.deepEqual(result.object, REPORT);
  });
});
