package dev.keyward.proxy.health;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Readiness: whether this instance should get traffic. Each check is cheap (it reads state other
 * parts keep current), so probes never wait on Vault or the disk.
 */
public final class Health {

  /**
   * @param failing what the check says when it fails, for whoever reads {@code /readyz}
   */
  public record Check(String name, BooleanSupplier ok, String failing) {}

  private final List<Check> checks;

  public Health(List<Check> checks) {
    this.checks = List.copyOf(checks);
  }

  public boolean ready() {
    for (Check check : checks) {
      if (!check.ok().getAsBoolean()) {
        return false;
      }
    }
    return true;
  }

  /** {@code {"ready": …, "checks": {"audit": "ok", "store": "…why not…"}}}. */
  public JsonObject readiness() {
    JsonObject results = new JsonObject();
    boolean ready = true;
    for (Check check : checks) {
      boolean ok = check.ok().getAsBoolean();
      ready &= ok;
      results.put(check.name(), ok ? "ok" : check.failing());
    }
    return new JsonObject().put("ready", ready).put("checks", results);
  }
}
