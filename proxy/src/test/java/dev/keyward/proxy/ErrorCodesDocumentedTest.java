package dev.keyward.proxy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.policies.DenyCode;
import dev.keyward.proxy.admin.OperationError;
import dev.keyward.proxy.error.ErrorCode;
import dev.keyward.proxy.routing.AttemptCode;
import dev.keyward.token.ExchangeError;
import dev.keyward.token.TokenError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/errors.md is the agents' reference: every code the proxy can send must be in it. */
class ErrorCodesDocumentedTest {

  @Test
  void everyErrorCodeIsDocumentedWithItsStatus() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "errors.md"));
    List<String> missing = new ArrayList<>();
    for (TokenError e : TokenError.values()) {
      if (!doc.contains("`" + e.code() + "`")) {
        missing.add(e.code());
      }
    }
    for (DenyCode e : DenyCode.values()) {
      if (!doc.contains("`" + e.code() + "`")) {
        missing.add(e.code());
      }
    }
    for (ExchangeError e : ExchangeError.values()) {
      if (!doc.contains("| " + e.status() + " | `" + e.code() + "` |")) {
        missing.add(e.status() + " " + e.code());
      }
    }
    for (ErrorCode e : ErrorCode.values()) {
      boolean inTable = doc.contains("| " + e.status() + " | `" + e.code() + "` |")
          || (e.status() == 403 && doc.contains("| `" + e.code() + "` |"));
      if (!inTable) {
        missing.add(e.status() + " " + e.code());
      }
    }
    for (AttemptCode e : AttemptCode.values()) {
      if (!doc.contains("| `" + e.code() + "` |")) {
        missing.add(e.code());
      }
    }
    for (OperationError e : OperationError.values()) {
      if (!doc.contains("| " + e.status() + " | `" + e.code() + "` |")) {
        missing.add(e.status() + " " + e.code());
      }
    }
    assertTrue(missing.isEmpty(), "not in docs/errors.md: " + missing);
  }
}
