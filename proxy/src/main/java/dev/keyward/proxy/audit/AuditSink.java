package dev.keyward.proxy.audit;

/** Where audit entries go. Called on event loops: implementations must not block. */
public interface AuditSink {

  void record(AuditEntry entry);

  /**
   * False while entries cannot be written and the sink fails closed: the proxy then refuses new
   * requests with 503 audit_unavailable rather than serve them unaudited.
   */
  default boolean accepting() {
    return true;
  }
}
