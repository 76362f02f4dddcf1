package dev.keyward.llm;

/**
 * One dispatched server-sent event.
 *
 * @param type the {@code event:} field, {@code message} when the event names none
 * @param data the {@code data:} lines joined with {@code \n}
 * @param id the last event ID in effect (it carries over from earlier events); empty when none
 * @param retry the reconnection time in milliseconds last set by {@code retry:}; -1 when never set
 * @param raw the exact bytes of the event on the wire, up to and including the blank line that
 *     ended it, so a filter can re-emit the stream unchanged except for what it drops. Not copied:
 *     do not change it
 */
public record SseEvent(String type, String data, String id, long retry, byte[] raw) {

  /** Without the data: a response may echo anything, a key included, until it is redacted. */
  @Override
  public String toString() {
    return "SseEvent[type=" + type + ", " + raw.length + " bytes]";
  }
}
