package dev.keyward.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * An LLM request as the proxy needs it: the model (for allowlists, aliases and tiers), whether it
 * streams, its worst-case output and an input estimate (for budgets). Read once from the body
 * bytes; only these values and the bytes are kept, no JSON tree, so holding a request for the
 * length of a call costs little. {@link #rewrite} produces what goes upstream. Immutable.
 */
public final class LlmRequest {

  /** Model names longer than this are refused: they end up in headers, audit records, metrics. */
  public static final int MAX_MODEL_LENGTH = 256;

  private final Endpoint endpoint;
  private final String path;
  private final byte[] body;
  private final String model;
  private final boolean streamed;
  private final boolean usageRequested;
  private final OptionalLong maxOutputTokens;
  private final long inputTokenEstimate;

  private LlmRequest(Endpoint endpoint, String path, byte[] body, ObjectNode root)
      throws LlmFormatException {
    this.endpoint = endpoint;
    this.path = path;
    this.body = body;
    this.model = endpoint.modelInPath() ? modelFromPath(path) : modelFromBody(root, endpoint);
    this.streamed = endpoint == Endpoint.STREAM_GENERATE_CONTENT
        || (endpoint.api() != Api.GEMINI && bool(root, "stream"));
    this.usageRequested = endpoint.api() == Api.OPENAI && usageRequested(root);
    this.maxOutputTokens = OutputCap.of(endpoint, root);
    this.inputTokenEstimate = Tokens.requestEstimate(root);
  }

  /**
   * Reads a request to a metered endpoint.
   *
   * @param path the request path relative to the route's upstream base, as classified by
   *     {@link Api#endpoint}; Gemini's model is read from it
   * @param body the request body; not copied, so the caller must not change it
   * @throws LlmFormatException if the body is not a JSON object of the endpoint's shape, or names
   *     no usable model
   */
  public static LlmRequest parse(Endpoint endpoint, String path, byte[] body)
      throws LlmFormatException {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(body, "body");
    if (!endpoint.metered()) {
      throw new IllegalArgumentException("only metered endpoints are parsed, not " + endpoint);
    }
    JsonNode root = Json.readRequest(body);
    if (!root.isObject()) {
      throw new LlmFormatException(
          "the request body must be a JSON object, not " + Json.typeName(root));
    }
    return new LlmRequest(endpoint, path, body, (ObjectNode) root);
  }

  public Endpoint endpoint() {
    return endpoint;
  }

  public Api api() {
    return endpoint.api();
  }

  /** The model the agent asked for: the body's {@code model}, or Gemini's path segment. */
  public String model() {
    return model;
  }

  /** True for {@code "stream": true} and for Gemini's {@code streamGenerateContent}. */
  public boolean streamed() {
    return streamed;
  }

  /** True when the agent set {@code stream_options.include_usage}, so it expects usage chunks. */
  public boolean usageRequested() {
    return usageRequested;
  }

  /**
   * The most output tokens the request allows, across all choices it asks for: {@code
   * max_completion_tokens} or {@code max_tokens} (the larger if both), {@code max_output_tokens}
   * on {@code /responses}, Gemini's {@code generationConfig.maxOutputTokens}, times {@code n} (or
   * {@code best_of}, Gemini's {@code candidateCount}). Zero for embeddings; empty when the request
   * sets no cap, so a budget falls back to the route's default cap.
   */
  public OptionalLong maxOutputTokens() {
    return maxOutputTokens;
  }

  /**
   * The input estimate: UTF-8 bytes of the body's field names and strings, inline binary data
   * ({@code data} fields, {@code data:} URLs) left out, divided by 4 and rounded up; at least 1.
   */
  public long inputTokenEstimate() {
    return inputTokenEstimate;
  }

  /**
   * What to send upstream: the model replaced (body field, or Gemini's path segment) and, for a
   * streamed OpenAI chat or text completion, {@code stream_options.include_usage} forced on so the
   * stream reports its usage. Every other field keeps its value and order. When nothing changes,
   * the original body array and path are returned and the {@code changed} flags are false.
   *
   * @param newModel the model to send, or null to keep the agent's
   * @param ensureStreamUsage force usage reporting on streams that would not report it
   * @throws IllegalArgumentException if {@code newModel} is not a usable model name (a
   *     configuration error, not the agent's)
   */
  public RewrittenRequest rewrite(String newModel, boolean ensureStreamUsage) {
    String sentModel = newModel == null ? model : newModel;
    if (newModel != null) {
      String problem = modelProblem(newModel);
      if (problem != null) {
        throw new IllegalArgumentException("cannot send model '" + abbreviated(newModel) + "': "
            + problem);
      }
    }
    boolean forceUsage = ensureStreamUsage && streamed && !usageRequested
        && (endpoint == Endpoint.CHAT_COMPLETIONS || endpoint == Endpoint.COMPLETIONS);
    boolean newBodyModel = !endpoint.modelInPath() && !sentModel.equals(model);
    boolean newPathModel = endpoint.modelInPath() && !sentModel.equals(model);
    byte[] sentBody = newBodyModel || forceUsage
        ? BodyRewriter.rewrite(body, newBodyModel ? sentModel : null, forceUsage) : body;
    String sentPath = newPathModel ? GeminiPath.withModel(path, sentModel) : path;
    return new RewrittenRequest(sentBody, sentPath, sentModel, sentBody != body,
        newPathModel, forceUsage);
  }

  /** Why a model name is unusable, or null when it is fine. */
  static String modelProblem(String model) {
    if (model.isEmpty()) {
      return "the model name is empty";
    }
    if (model.length() > MAX_MODEL_LENGTH) {
      return "the model name is longer than " + MAX_MODEL_LENGTH + " characters";
    }
    for (int i = 0; i < model.length(); i++) {
      char c = model.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return "the model name may only hold visible ASCII characters (no spaces)";
      }
    }
    return null;
  }

  private static String modelFromBody(ObjectNode root, Endpoint endpoint)
      throws LlmFormatException {
    JsonNode node = root.get("model");
    if (node == null || node.isNull()) {
      throw new LlmFormatException(
          "the request has no \"model\"; a " + endpoint.wireName() + " request must name one");
    }
    if (!node.isTextual()) {
      throw new LlmFormatException("\"model\" must be a string, not " + Json.typeName(node));
    }
    String problem = modelProblem(node.textValue());
    if (problem != null) {
      throw new LlmFormatException("\"model\" is not usable: " + problem);
    }
    return node.textValue();
  }

  private static String modelFromPath(String path) throws LlmFormatException {
    String model = GeminiPath.model(path);
    String problem = model == null ? "the path names no model" : modelProblem(model);
    if (problem != null) {
      throw new LlmFormatException("the model in the path is not usable: " + problem);
    }
    return model;
  }

  private static boolean bool(ObjectNode root, String field) throws LlmFormatException {
    JsonNode node = root.get(field);
    if (node == null || node.isNull()) {
      return false;
    }
    if (!node.isBoolean()) {
      throw new LlmFormatException(
          "\"" + field + "\" must be true or false, not " + Json.typeName(node));
    }
    return node.booleanValue();
  }

  private static boolean usageRequested(ObjectNode root) throws LlmFormatException {
    JsonNode options = root.get("stream_options");
    if (options == null || options.isNull()) {
      return false;
    }
    if (!options.isObject()) {
      throw new LlmFormatException(
          "\"stream_options\" must be an object, not " + Json.typeName(options));
    }
    return bool((ObjectNode) options, "include_usage");
  }

  private static String abbreviated(String text) {
    String cut = text.length() > 40 ? text.substring(0, 40) + "…" : text;
    return cut.replaceAll("[^\\x21-\\x7e…]", "?");
  }
}
