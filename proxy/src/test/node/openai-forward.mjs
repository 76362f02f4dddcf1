// The official OpenAI Node SDK behind Keyward's forward proxy, as a tool in an agent's sandbox
// runs: its base URL is the provider's own, its API key is a placeholder (kw_ph_...), and its
// requests go through HTTPS_PROXY (undici's EnvHttpProxyAgent reads it, with the platform token
// in the proxy URL). Keyward's CA is trusted through NODE_EXTRA_CA_CERTS.
// Usage: node openai-forward.mjs <scenario>
import OpenAI from 'openai';
import { EnvHttpProxyAgent, fetch } from 'undici';
import { run, settings } from './common.mjs';

const { baseURL, token: placeholder, message, model } = settings();
const client = new OpenAI({
  baseURL,
  apiKey: placeholder,
  maxRetries: 0,
  timeout: 30_000,
  fetch,
  fetchOptions: { dispatcher: new EnvHttpProxyAgent() },
});

await run({
  async chat() {
    const completion = await client.chat.completions.create({
      model: model || 'gpt-4o-mini',
      messages: [{ role: 'user', content: message }],
    });
    return {
      id: completion.id,
      model: completion.model,
      content: completion.choices[0].message.content,
      usage: completion.usage,
    };
  },
});
