package dev.keyward.proxy.dev;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.zip.CRC32;

/** OpenAI's API as the fake provider speaks it: chat completions, responses, embeddings, models. */
final class FakeOpenAi {

  static final List<String> MODELS = List.of("gpt-4o-mini", "gpt-4.1-mini", "gpt-5-mini",
      "o4-mini", "text-embedding-3-small");
  static final int DEFAULT_EMBEDDING_DIMENSIONS = 1536;
  static final int MAX_EMBEDDING_DIMENSIONS = 3072;
  static final int MAX_EMBEDDING_INPUTS = 2048;

  private final FakeIds ids;

  FakeOpenAi(FakeIds ids) {
    this.ids = ids;
  }

  /** The error body OpenAI sends, e.g. for a wrong key or a malformed request. */
  static FakeAnswer error(int status, String message, String type, String code) {
    return FakeAnswer.json(status, new JsonObject().put("error", new JsonObject()
        .put("message", message).put("type", type).putNull("param").put("code", code)));
  }

  static FakeAnswer badRequest(String message) {
    return error(400, message, "invalid_request_error", null);
  }

  FakeAnswer chatCompletions(JsonObject request) {
    String model = request.getValue("model") instanceof String m ? m : null;
    if (model == null || model.isEmpty()) {
      return badRequest("you must provide a model parameter");
    }
    if (!(request.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
      return badRequest("Missing required parameter: 'messages'.");
    }
    List<String> texts = new ArrayList<>();
    String lastUser = "";
    for (Object each : messages) {
      if (each instanceof JsonObject message) {
        String text = FakeText.of(message.getValue("content"));
        texts.add(text);
        if ("user".equals(message.getValue("role"))) {
          lastUser = text;
        }
      }
    }
    int cap = FakeText.positiveInt(request, "max_completion_tokens");
    FakeCompletion completion = FakeCompletion.of(model, texts, lastUser,
        cap > 0 ? cap : FakeText.positiveInt(request, "max_tokens"));
    String id = ids.prefixed("chatcmpl-", 29);
    long created = ids.epochSecond();
    String finish = completion.truncated() ? "length" : "stop";
    if (!Boolean.TRUE.equals(request.getValue("stream"))) {
      return FakeAnswer.json(chunkBase(id, "chat.completion", created, model)
          .put("choices", new JsonArray().add(new JsonObject().put("index", 0)
              .put("message", new JsonObject().put("role", "assistant")
                  .put("content", completion.reply()).putNull("refusal")
                  .put("annotations", new JsonArray()))
              .putNull("logprobs").put("finish_reason", finish)))
          .put("usage", usage(completion)));
    }
    boolean includeUsage = request.getValue("stream_options") instanceof JsonObject options
        && Boolean.TRUE.equals(options.getValue("include_usage"));
    FakeAnswer.Events events = new FakeAnswer.Events();
    List<JsonObject> deltas = new ArrayList<>();
    deltas.add(new JsonObject().put("role", "assistant").put("content", "").putNull("refusal"));
    for (String piece : completion.pieces()) {
      deltas.add(new JsonObject().put("content", piece));
    }
    for (JsonObject delta : deltas) {
      events.data(streamChunk(id, created, model, includeUsage, new JsonObject()
          .put("index", 0).put("delta", delta).putNull("logprobs").putNull("finish_reason")));
    }
    events.data(streamChunk(id, created, model, includeUsage, new JsonObject().put("index", 0)
        .put("delta", new JsonObject()).putNull("logprobs").put("finish_reason", finish)));
    if (includeUsage) {
      events.data(chunkBase(id, "chat.completion.chunk", created, model)
          .put("choices", new JsonArray()).put("usage", usage(completion)));
    }
    return events.data("[DONE]").answer();
  }

  private static JsonObject chunkBase(String id, String object, long created, String model) {
    return new JsonObject().put("id", id).put("object", object).put("created", created)
        .put("model", model).put("service_tier", "default")
        .put("system_fingerprint", "fp_keyward_fake");
  }

  private static JsonObject streamChunk(String id, long created, String model,
      boolean includeUsage, JsonObject choice) {
    JsonObject chunk = chunkBase(id, "chat.completion.chunk", created, model)
        .put("choices", new JsonArray().add(choice));
    return includeUsage ? chunk.putNull("usage") : chunk;
  }

  static JsonObject usage(FakeCompletion completion) {
    return new JsonObject()
        .put("prompt_tokens", completion.inputTokens())
        .put("completion_tokens", completion.outputTokens())
        .put("total_tokens", completion.inputTokens() + completion.outputTokens())
        .put("prompt_tokens_details", new JsonObject()
            .put("cached_tokens", completion.cachedTokens()).put("audio_tokens", 0))
        .put("completion_tokens_details", new JsonObject()
            .put("reasoning_tokens", completion.reasoningTokens()).put("audio_tokens", 0)
            .put("accepted_prediction_tokens", 0).put("rejected_prediction_tokens", 0));
  }

  FakeAnswer responses(JsonObject request) {
    String model = request.getValue("model") instanceof String m ? m : null;
    if (model == null || model.isEmpty()) {
      return badRequest("Missing required parameter: 'model'.");
    }
    List<String> texts = new ArrayList<>();
    String lastUser = "";
    if (request.getValue("instructions") instanceof String instructions) {
      texts.add(instructions);
    }
    Object input = request.getValue("input");
    if (input instanceof String text) {
      texts.add(text);
      lastUser = text;
    } else if (input instanceof JsonArray items) {
      for (Object each : items) {
        if (each instanceof JsonObject item) {
          String text = FakeText.of(item.getValue("content"));
          texts.add(text);
          if ("user".equals(item.getValue("role"))) {
            lastUser = text;
          }
        }
      }
    } else {
      return badRequest("Missing required parameter: 'input'.");
    }
    FakeCompletion completion = FakeCompletion.of(model, texts, lastUser,
        FakeText.positiveInt(request, "max_output_tokens"));
    String messageId = ids.prefixed("msg_", 48);
    JsonObject done = response(ids.prefixed("resp_", 48), model, completion,
        completion.truncated() ? "incomplete" : "completed")
        .put("output", new JsonArray().add(new JsonObject().put("type", "message")
            .put("id", messageId).put("status", "completed").put("role", "assistant")
            .put("content", new JsonArray().add(outputText(completion.reply())))))
        .put("usage", new JsonObject()
            .put("input_tokens", completion.inputTokens())
            .put("input_tokens_details",
                new JsonObject().put("cached_tokens", completion.cachedTokens()))
            .put("output_tokens", completion.outputTokens())
            .put("output_tokens_details",
                new JsonObject().put("reasoning_tokens", completion.reasoningTokens()))
            .put("total_tokens", completion.inputTokens() + completion.outputTokens()));
    if (completion.truncated()) {
      done.put("incomplete_details", new JsonObject().put("reason", "max_output_tokens"));
    }
    if (!Boolean.TRUE.equals(request.getValue("stream"))) {
      return FakeAnswer.json(done);
    }
    FakeAnswer.Events events = new FakeAnswer.Events();
    int sequence = 0;
    JsonObject started = done.copy().put("status", "in_progress")
        .put("output", new JsonArray()).putNull("usage");
    events.event("response.created", new JsonObject().put("type", "response.created")
        .put("sequence_number", sequence++).put("response", started));
    events.event("response.output_item.added", new JsonObject()
        .put("type", "response.output_item.added").put("sequence_number", sequence++)
        .put("output_index", 0).put("item", new JsonObject().put("type", "message")
            .put("id", messageId).put("status", "in_progress").put("role", "assistant")
            .put("content", new JsonArray())));
    for (String piece : completion.pieces()) {
      events.event("response.output_text.delta", new JsonObject()
          .put("type", "response.output_text.delta").put("sequence_number", sequence++)
          .put("item_id", messageId).put("output_index", 0).put("content_index", 0)
          .put("delta", piece));
    }
    events.event("response.output_text.done", new JsonObject()
        .put("type", "response.output_text.done").put("sequence_number", sequence++)
        .put("item_id", messageId).put("output_index", 0).put("content_index", 0)
        .put("text", completion.reply()));
    String finished = completion.truncated() ? "response.incomplete" : "response.completed";
    return events.event(finished, new JsonObject().put("type", finished)
        .put("sequence_number", sequence).put("response", done)).answer();
  }

  private JsonObject response(String id, String model, FakeCompletion completion, String status) {
    return new JsonObject().put("id", id).put("object", "response")
        .put("created_at", ids.epochSecond()).put("status", status).putNull("error")
        .putNull("incomplete_details").put("model", model)
        .put("parallel_tool_calls", true).put("tools", new JsonArray());
  }

  private static JsonObject outputText(String text) {
    return new JsonObject().put("type", "output_text").put("text", text)
        .put("annotations", new JsonArray());
  }

  FakeAnswer embeddings(JsonObject request) {
    String model = request.getValue("model") instanceof String m ? m : null;
    if (model == null || model.isEmpty()) {
      return badRequest("you must provide a model parameter");
    }
    List<String> inputs = new ArrayList<>();
    Object input = request.getValue("input");
    if (input instanceof String text) {
      inputs.add(text);
    } else if (input instanceof JsonArray array && !array.isEmpty()) {
      for (Object each : array) {
        inputs.add(String.valueOf(each));
      }
    } else {
      return badRequest("'input' is a required property");
    }
    if (inputs.size() > MAX_EMBEDDING_INPUTS) {
      return badRequest("'input' may hold at most " + MAX_EMBEDDING_INPUTS + " items");
    }
    int dimensions = FakeText.positiveInt(request, "dimensions");
    if (dimensions > MAX_EMBEDDING_DIMENSIONS) {
      return badRequest("'dimensions' may be at most " + MAX_EMBEDDING_DIMENSIONS);
    }
    dimensions = dimensions > 0 ? dimensions : DEFAULT_EMBEDDING_DIMENSIONS;
    boolean base64 = "base64".equals(request.getValue("encoding_format"));
    JsonArray data = new JsonArray();
    int tokens = 0;
    for (int i = 0; i < inputs.size(); i++) {
      float[] vector = vector(inputs.get(i), dimensions);
      tokens += FakeCompletion.tokens(inputs.get(i));
      data.add(new JsonObject().put("object", "embedding").put("index", i)
          .put("embedding", base64 ? base64(vector) : floats(vector)));
    }
    return FakeAnswer.json(new JsonObject().put("object", "list").put("data", data)
        .put("model", model)
        .put("usage", new JsonObject().put("prompt_tokens", tokens).put("total_tokens", tokens)));
  }

  /** A unit vector that depends only on the text, so equal texts embed equally. */
  static float[] vector(String text, int dimensions) {
    CRC32 crc = new CRC32();
    crc.update(text.getBytes(StandardCharsets.UTF_8));
    long state = crc.getValue() | 1;
    float[] vector = new float[dimensions];
    double norm = 0;
    for (int i = 0; i < dimensions; i++) {
      state ^= state << 13;
      state ^= state >>> 7;
      state ^= state << 17;
      vector[i] = (float) ((state >>> 11) / (double) (1L << 53) * 2 - 1);
      norm += vector[i] * vector[i];
    }
    float scale = (float) (1 / Math.sqrt(norm));
    for (int i = 0; i < dimensions; i++) {
      vector[i] *= scale;
    }
    return vector;
  }

  private static JsonArray floats(float[] vector) {
    JsonArray array = new JsonArray();
    for (float value : vector) {
      array.add(value);
    }
    return array;
  }

  private static String base64(float[] vector) {
    ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float value : vector) {
      bytes.putFloat(value);
    }
    return Base64.getEncoder().encodeToString(bytes.array());
  }

  FakeAnswer models() {
    JsonArray data = new JsonArray();
    for (String model : MODELS) {
      data.add(new JsonObject().put("id", model).put("object", "model")
          .put("created", 1_700_000_000L).put("owned_by", "keyward-fake"));
    }
    return FakeAnswer.json(new JsonObject().put("object", "list").put("data", data));
  }
}
