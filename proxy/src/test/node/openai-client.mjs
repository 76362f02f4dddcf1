// The official OpenAI Node SDK calling Keyward, as an agent would: base URL = the route,
// API key = the platform token. Usage: node openai-client.mjs <scenario>
import OpenAI from 'openai';
import { run, settings } from './common.mjs';

const { baseURL, token, message, model } = settings();
// No retries: each scenario is exactly one request, so the test can count what the upstream got.
const client = new OpenAI({ baseURL, apiKey: token, maxRetries: 0, timeout: 30_000 });
const request = {
  model: model || 'gpt-4o-mini',
  messages: [{ role: 'user', content: message }],
};

await run({
  async chat() {
    const completion = await client.chat.completions.create(request);
    return {
      id: completion.id,
      model: completion.model,
      content: completion.choices[0].message.content,
      finishReason: completion.choices[0].finish_reason,
      usage: completion.usage,
    };
  },

  async 'chat-stream'() {
    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let chunks = 0;
    let finishReason = null;
    let usage = null;
    const ids = new Set();
    for await (const chunk of stream) {
      chunks++;
      ids.add(chunk.id);
      for (const choice of chunk.choices) {
        content += choice.delta?.content ?? '';
        finishReason = choice.finish_reason ?? finishReason;
      }
      usage = chunk.usage ?? usage;
    }
    return { chunks, ids: [...ids], model: request.model, content, finishReason, usage };
  },
});
