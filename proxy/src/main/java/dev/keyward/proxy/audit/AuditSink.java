package dev.keyward.proxy.audit;

/** Where audit records go. Called on the event loop: implementations must not block it. */
public interface AuditSink {

  void record(AuditRecord record);
}
