// The official Anthropic Node SDK calling Keyward, as an agent would: base URL = the route,
// API key (x-api-key) = the platform token. Usage: node anthropic-client.mjs <scenario>
import Anthropic from '@anthropic-ai/sdk';
import { run, settings } from './common.mjs';

const { baseURL, token, message, model } = settings();
// authToken: null, so an ANTHROPIC_AUTH_TOKEN in the environment cannot add a second credential.
const client = new Anthropic({ baseURL, apiKey: token, authToken: null, maxRetries: 0,
  timeout: 30_000 });
const request = {
  model: model || 'claude-haiku-4-5',
  max_tokens: 256,
  messages: [{ role: 'user', content: message }],
};

function text(content) {
  return content.filter((block) => block.type === 'text').map((block) => block.text).join('');
}

await run({
  async messages() {
    const reply = await client.messages.create(request);
    return {
      id: reply.id,
      model: reply.model,
      content: text(reply.content),
      stopReason: reply.stop_reason,
      usage: reply.usage,
    };
  },

  async 'messages-stream'() {
    const stream = client.messages.stream(request);
    const events = [];
    for await (const event of stream) {
      events.push(event.type);
    }
    const reply = await stream.finalMessage();
    return {
      events,
      id: reply.id,
      model: reply.model,
      content: text(reply.content),
      stopReason: reply.stop_reason,
      usage: reply.usage,
    };
  },
});
