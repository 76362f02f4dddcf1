package dev.keyward.llm;

/**
 * What goes upstream after {@link LlmRequest#rewrite}.
 *
 * @param body the body to send; the agent's own array when {@code bodyChanged} is false. When it
 *     changed, the proxy must send a new {@code Content-Length}
 * @param path the path to send (relative to the upstream base); Gemini's carries the model
 * @param model the model sent upstream, for {@code X-Keyward-Model} and the audit record
 * @param bodyChanged whether {@code body} differs from what the agent sent
 * @param pathChanged whether {@code path} differs from what the agent sent
 * @param stripUsageChunk Keyward forced usage reporting that the agent did not ask for: the
 *     response's usage-only chunk must be metered and then removed (see {@link UsageMeter})
 */
public record RewrittenRequest(byte[] body, String path, String model, boolean bodyChanged,
    boolean pathChanged, boolean stripUsageChunk) {

  /** Without the body: it is the agent's prompt, never a log line's business. */
  @Override
  public String toString() {
    return "RewrittenRequest[" + body.length + " bytes, path=" + path + ", model=" + model
        + ", bodyChanged=" + bodyChanged + ", pathChanged=" + pathChanged + ", stripUsageChunk="
        + stripUsageChunk + "]";
  }
}
