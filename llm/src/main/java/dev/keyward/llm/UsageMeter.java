package dev.keyward.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Meters one response. The proxy feeds it the decoded response body chunk by chunk and forwards
 * what {@link #feed} returns; when the call is over, {@link #finish} says what it used.
 *
 * <p>Event streams are read with an {@link SseReader} and never buffered whole. When Keyward forced
 * {@code include_usage} on a stream the agent did not ask usage of ({@link
 * RewrittenRequest#stripUsageChunk()}), the usage-only chunk ({@code "choices": []} with {@code
 * usage}) is metered and left out of what {@code feed} returns; to do that, the bytes of an event
 * are held until the event is complete. The same holds when the output is capped ({@link
 * #capOutput}) or whole events are asked for ({@link #forwardWholeEvents}), so that the stream can
 * be stopped between events. Otherwise {@code feed} returns its argument unchanged, with no delay.
 *
 * <p>Other bodies (JSON, and Gemini's JSON-array stream) are kept up to {@link
 * Limits#maxBodyBytes()} and parsed at the end; a larger body is metered as an estimate. A body
 * without usage, such as an upstream error, is {@link Usage#NONE}: providers do not bill errors.
 *
 * <p>Estimates, when the usage never came (a cut stream, a stream that does not report it, a body
 * too large): input is what the provider reported so far (Anthropic's {@code message_start},
 * Gemini's chunks), else the request's {@link LlmRequest#inputTokenEstimate()}; output is the
 * larger of what was reported so far and one token per four bytes of generated text seen (of the
 * body bytes, for a body that could not be parsed), and at least one once any event (or part of
 * one) arrived. So an answer that was received is never free; with nothing received the estimate
 * is the input estimate and no output.
 *
 * <p>Not thread-safe: one meter per response, used from one thread (the response's event loop).
 */
public final class UsageMeter {

  /** Limits on what a meter holds in memory. */
  public record Limits(int maxEventBytes, int maxBodyBytes) {

    /** 8 MiB per event, 4 MiB per JSON body (an answer of 100k tokens is about 400 KiB). */
    public static final Limits DEFAULT = new Limits(SseReader.DEFAULT_MAX_EVENT_BYTES, 4 << 20);

    public Limits {
      if (maxEventBytes < 1024 || maxBodyBytes < 1024) {
        throw new IllegalArgumentException("meter limits must be at least 1 KiB");
      }
    }
  }

  private static final byte[] NOTHING = new byte[0];

  private final Endpoint endpoint;
  private final long inputEstimate;
  private final ProviderUsage provider;
  private final Limits limits;

  private final SseReader reader;
  private final boolean stripUsageChunk;
  /**
   * Non-null when whole events are forwarded (usage chunks stripped, or output capped): what is
   * sent on for the chunk being fed, when it cannot be said as ranges of the chunk.
   */
  private ByteArrayOutputStream forward;
  /** What {@link #feed(byte[], int, int)} returns, reused. */
  private final ToSend toSend = new ToSend();
  /** The chunk being fed, and the part of an event held from earlier chunks when it started. */
  private byte[] fedArray;
  private int fedOffset;
  private int heldAtFeed;
  private long outputCap = Long.MAX_VALUE;
  private boolean fed;
  private ByteArrayOutputStream body;
  private long bodyBytes;
  /** An event arrived: the upstream started answering, so the answer is not free. */
  private boolean eventsSeen;
  private boolean ended;
  private Usage finished;
  /** Off only for the reference that tests compare the byte path against. */
  private boolean readsBytes = true;

  private UsageMeter(LlmRequest request, boolean stripUsageChunk, boolean eventStream,
      Limits limits) {
    this.endpoint = request.endpoint();
    this.inputEstimate = request.inputTokenEstimate();
    this.provider = ProviderUsage.of(endpoint);
    this.limits = limits;
    this.reader = eventStream ? new SseReader(limits.maxEventBytes(), new Events()) : null;
    this.stripUsageChunk = stripUsageChunk && eventStream;
    this.forward = this.stripUsageChunk ? new ByteArrayOutputStream() : null;
    this.body = eventStream ? null : new ByteArrayOutputStream();
  }

  /** As {@link #forResponse(LlmRequest, boolean, String, Limits)} with default limits. */
  public static UsageMeter forResponse(LlmRequest request, boolean stripUsageChunk,
      String contentType) {
    return forResponse(request, stripUsageChunk, contentType, Limits.DEFAULT);
  }

  /**
   * A meter for the response to {@code request}.
   *
   * @param stripUsageChunk {@link RewrittenRequest#stripUsageChunk()} of what was sent
   * @param contentType the response's {@code Content-Type}: {@code text/event-stream} is read as
   *     events, anything else as one JSON document. The header decides, not the request, because
   *     an upstream answers a streamed request that fails with a JSON error
   */
  public static UsageMeter forResponse(LlmRequest request, boolean stripUsageChunk,
      String contentType, Limits limits) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(limits, "limits");
    return new UsageMeter(request, stripUsageChunk, isEventStream(contentType), limits);
  }

  /** True for {@code text/event-stream}, with or without parameters, in any case. */
  public static boolean isEventStream(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String type = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
    return type.trim().toLowerCase(Locale.ROOT).equals("text/event-stream");
  }

  /** Every event decoded and parsed as a tree: the reference the byte path is tested against. */
  UsageMeter parsingEveryEvent() {
    readsBytes = false;
    return this;
  }

  /** True when the response is read as an event stream (else as one body). */
  public boolean eventStream() {
    return reader != null;
  }

  /**
   * Caps the output of an event stream: from now on {@link #feed} returns whole events only, so a
   * stream can be stopped between two events, and {@link #outputCapPassed()} says when the output
   * metered so far passed {@code maxOutputTokens}. Does nothing for a body that is not an event
   * stream (it arrives whole, and cannot be stopped in a way the agent would notice). Call before
   * the first {@link #feed}.
   */
  public void capOutput(long maxOutputTokens) {
    if (fed) {
      throw new IllegalStateException("cap the output before the body starts");
    }
    if (maxOutputTokens < 0) {
      throw new IllegalArgumentException("the output cap cannot be negative");
    }
    if (reader != null) {
      outputCap = maxOutputTokens;
      if (forward == null) {
        forward = new ByteArrayOutputStream();
      }
    }
  }

  /**
   * Forwards whole events only, from now on, on an event stream: so a stream the upstream breaks
   * mid-event can still be ended between two events, with an error event the agent's SDK reads
   * ({@link StreamError}). Does nothing for a body that is not an event stream. Call before the
   * first {@link #feed}.
   */
  public void forwardWholeEvents() {
    if (fed) {
      throw new IllegalStateException("choose whole events before the body starts");
    }
    if (reader != null && forward == null) {
      forward = new ByteArrayOutputStream();
    }
  }

  /**
   * True when the output metered so far passed the cap of {@link #capOutput} by more than an
   * eighth (the text is counted at four bytes a token, an average that real text runs either
   * side of), while the provider is still generating. The input is billed once the request is
   * sent, so only the output is capped: stopping the stream saves that part, and once the
   * provider said the answer is over (a finish reason, a stop event, the final usage) there is
   * nothing left to save, so a finished answer is never stopped.
   */
  public boolean outputCapPassed() {
    if (outputCap == Long.MAX_VALUE || provider.done) {
      return false;
    }
    return soFar().outputTokens() > outputCap + outputCap / 8;
  }

  /**
   * Meters a chunk and returns the bytes to send on: {@code chunk} itself unless whole events are
   * forwarded (usage chunks stripped, the output capped, or asked for); then the complete events
   * seen so far, less a usage-only one that is stripped (possibly none).
   */
  public byte[] feed(byte[] chunk) {
    ToSend out = feed(chunk, 0, chunk.length);
    if (out.head.length == 0 && out.ranges == 1 && out.from(0) == 0 && out.to(0) == chunk.length) {
      return chunk;
    }
    byte[] joined = Arrays.copyOf(out.head, out.length());
    int at = out.head.length;
    for (int i = 0; i < out.ranges; i++) {
      System.arraycopy(chunk, out.from(i), joined, at, out.to(i) - out.from(i));
      at += out.to(i) - out.from(i);
    }
    return joined;
  }

  /**
   * Meters {@code array[offset..offset+length)}, read where it is, and says what to send on for
   * it: the same as {@link #feed(byte[])}, mostly without a copy. When events are not held that
   * is the whole range; when they are, the complete events: the rest of an event that started in
   * an earlier chunk (its held part as the head), then the ranges of the chunk up to the end of
   * its last complete event, less a stripped usage chunk. The answer is valid until the next
   * call; the array is not kept.
   */
  public ToSend feed(byte[] array, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, array.length);
    if (ended) {
      throw new IllegalStateException("the body has already ended");
    }
    fed = true;
    toSend.head = NOTHING;
    toSend.ranges = 0;
    if (reader == null) {
      keepBody(array, offset, length);
      toSend.add(offset, length);
      return toSend;
    }
    if (forward == null) {
      reader.feed(array, offset, length);
      toSend.add(offset, length);
      return toSend;
    }
    fedArray = array;
    fedOffset = offset;
    heldAtFeed = reader.heldBytes();
    try {
      reader.feed(array, offset, length);
    } finally {
      fedArray = null;
    }
    if (forward.size() > 0) {
      toSend.head = forward.toByteArray();
      forward.reset();
    }
    return toSend;
  }

  /**
   * What to send on for a chunk fed: {@link #head()}, then the ranges of the array fed, in order.
   * Valid until the next feed.
   */
  public static final class ToSend {
    private byte[] head = NOTHING;
    private int[] bounds = new int[4];
    private int ranges;

    private ToSend() {}

    /** Bytes not (or no longer) in the chunk, to send first; often none. Not shared. */
    public byte[] head() {
      return head;
    }

    /** How many ranges of the array fed follow the head: usually one, none, or two. */
    public int ranges() {
      return ranges;
    }

    /** Where the {@code i}th range starts in the array fed. */
    public int from(int i) {
      return bounds[2 * Objects.checkIndex(i, ranges)];
    }

    /** Where the {@code i}th range ends (exclusive). */
    public int to(int i) {
      return bounds[2 * Objects.checkIndex(i, ranges) + 1];
    }

    /** How many bytes to send in all. */
    public int length() {
      int length = head.length;
      for (int i = 0; i < ranges; i++) {
        length += bounds[2 * i + 1] - bounds[2 * i];
      }
      return length;
    }

    /** Adds a range, or extends the last one when it ends where this one starts. */
    private void add(int from, int length) {
      if (ranges > 0 && bounds[2 * ranges - 1] == from) {
        bounds[2 * ranges - 1] = from + length;
        return;
      }
      if (2 * ranges + 2 > bounds.length) {
        bounds = Arrays.copyOf(bounds, bounds.length * 2);
      }
      bounds[2 * ranges] = from;
      bounds[2 * ranges + 1] = from + length;
      ranges++;
    }
  }

  /**
   * The upstream body ended cleanly: returns the bytes still held (a last event without its blank
   * line, when usage chunks are stripped) to send before ending the agent's response. After a cut,
   * do not call this: a partial event must not reach the agent as if it were whole.
   */
  public byte[] flush() {
    if (ended) {
      return NOTHING;
    }
    ended = true;
    if (reader == null) {
      return NOTHING;
    }
    reader.end();
    if (forward == null) {
      return NOTHING;
    }
    byte[] out = forward.toByteArray();
    forward.reset();
    return out;
  }

  /**
   * What the call used. Call once the response is over; later calls return the same answer.
   *
   * @param cut true when the upstream response did not end cleanly (reset, timeout, the agent
   *     went away): unless the final usage already arrived, the result is an estimate
   */
  public Usage finish(boolean cut) {
    if (finished != null) {
      return finished;
    }
    ended = true;
    if (reader == null) {
      finished = finishBody(cut);
    } else {
      boolean exact = provider.complete || (!cut && provider.finalAtCleanEnd());
      finished = exact ? provider.usage(false) : estimate();
    }
    body = null;
    return finished;
  }

  /**
   * The usage so far, as if the response were cut now: the final usage if it arrived, else an
   * estimate. For enforcing a budget on a stream that is still running.
   */
  public Usage soFar() {
    if (finished != null) {
      return finished;
    }
    if (reader == null) {
      return bodyEstimate();
    }
    return provider.complete ? provider.usage(false) : estimate();
  }

  private Usage finishBody(boolean cut) {
    if (body == null) {
      return bodyEstimate();
    }
    JsonNode root = Json.readResponse(body.toByteArray(), body.size());
    if (root == null) {
      return cut ? bodyEstimate() : Usage.NONE;
    }
    if (root.isArray()) {
      for (JsonNode element : root) {
        if (element.isObject()) {
          provider.accept(element);
        }
      }
    } else if (root.isObject()) {
      provider.accept(root);
    }
    if (provider.reported) {
      return provider.usage(false);
    }
    return provider.contentBytes > 0 || cut ? estimate() : Usage.NONE;
  }

  private Usage estimate() {
    long in = provider.reported ? provider.input : inputEstimate;
    long out = 0;
    if (endpoint.producesOutput()) {
      boolean received = eventsSeen || (reader != null && reader.midEvent());
      out = Math.max(provider.output, Tokens.fromBytes(provider.contentBytes));
      out = Math.max(out, received ? 1 : 0);
    }
    long cachedIn = Math.min(provider.cached, in);
    return new Usage(in, out, cachedIn, Math.min(provider.reasoning, out), true, provider.model);
  }

  /** For a body that cannot be parsed: its bytes stand in for its text. */
  private Usage bodyEstimate() {
    long out = endpoint.producesOutput() ? Tokens.fromBytes(bodyBytes) : 0;
    return new Usage(inputEstimate, out, 0, 0, true, "");
  }

  private void keepBody(byte[] array, int offset, int length) {
    bodyBytes += length;
    if (body != null && body.size() + length > limits.maxBodyBytes()) {
      body = null;
    }
    if (body != null) {
      body.write(array, offset, length);
    }
  }

  /**
   * Adds {@code a[from..from+length)} to what is sent on for the chunk being fed: as a range of
   * the chunk when it is in the chunk; an event that started in an earlier chunk (read in the
   * reader's own array: the part held, then the chunk's first bytes) as the held part, the head,
   * and a range from the chunk's start. Anything else (an oversized event's bytes) is copied, with
   * what came before it.
   */
  private void send(byte[] a, int from, int length) {
    if (length == 0) {
      return;
    }
    if (fedArray != null && forward.size() == 0) {
      if (a == fedArray) {
        toSend.add(from, length);
        return;
      }
      if (toSend.ranges == 0 && toSend.head.length == 0 && from == 0 && heldAtFeed > 0
          && length >= heldAtFeed) {
        toSend.head = Arrays.copyOfRange(a, 0, heldAtFeed);
        toSend.add(fedOffset, length - heldAtFeed);
        return;
      }
      forward.write(toSend.head, 0, toSend.head.length);
      for (int i = 0; i < toSend.ranges; i++) {
        forward.write(fedArray, toSend.from(i), toSend.to(i) - toSend.from(i));
      }
      toSend.head = NOTHING;
      toSend.ranges = 0;
    }
    forward.write(a, from, length);
  }

  /** Meters each event and, when stripping, collects what is forwarded. */
  private final class Events implements SseReader.Handler {

    @Override
    public void onEvent(SseEvent event) {
      eventsSeen = true;
      boolean usageOnly = readData(event.data());
      if (forward != null && !(usageOnly && stripUsageChunk)) {
        byte[] raw = event.raw();
        send(raw, 0, raw.length);
      }
    }

    /**
     * A one-line JSON event is offered to the provider as bytes first: a content chunk is read
     * there without a String or a tree. Anything else is decoded and parsed.
     */
    @Override
    public void onEvent(SseReader.Bytes event) {
      eventsSeen = true;
      byte[] bytes = event.array();
      boolean usageOnly = false;
      boolean read = readsBytes && event.dataLines() == 1 && event.dataLength(0) > 0
          && bytes[event.dataOffset(0)] == '{'
          && provider.accept(bytes, event.dataOffset(0), event.dataLength(0));
      if (!read) {
        usageOnly = readData(event.data());
      }
      if (forward != null && !(usageOnly && stripUsageChunk)) {
        send(bytes, event.rawOffset(), event.rawLength());
      }
    }

    /** Meters one event's data; true when it is a usage-only chunk. */
    private boolean readData(String data) {
      JsonNode message = data.startsWith("{") ? Json.readResponse(data) : null;
      if (message != null && message.isObject()) {
        provider.accept(message);
        return isUsageOnlyChunk(message);
      }
      return false;
    }

    @Override
    public void onBytes(byte[] raw) {
      onBytes(raw, 0, raw.length);
    }

    @Override
    public void onBytes(byte[] array, int offset, int length) {
      if (forward != null) {
        send(array, offset, length);
      }
    }
  }

  private static boolean isUsageOnlyChunk(JsonNode message) {
    JsonNode choices = message.get("choices");
    JsonNode usage = message.get("usage");
    return choices != null && choices.isArray() && choices.isEmpty()
        && usage != null && usage.isObject();
  }
}
