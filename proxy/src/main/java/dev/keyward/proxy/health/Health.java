package dev.keyward.proxy.health;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Readiness: whether this instance should get traffic. Each check is cheap (it reads state other
 * parts keep current), so probes never wait on Vault or the disk.
 */
public final class Health {

  /**
   * @param failing what the check says when it fails, for whoever reads {@code /readyz}
   * @param gatesTraffic false for a check that is shown but does not make the instance unready:
   *     a failure every replica shares (the budget store), where taking them all out of service
   *     would fail every request instead of the ones it concerns
   */
  public record Check(String name, BooleanSupplier ok, Supplier<String> failing,
      boolean gatesTraffic) {

    public Check(String name, BooleanSupplier ok, String failing) {
      this(name, ok, () -> failing, true);
    }

    /** Shown in {@code /readyz}, without making the instance unready. */
    public static Check shown(String name, BooleanSupplier ok, Supplier<String> failing) {
      return new Check(name, ok, failing, false);
    }
  }

  private final List<Check> checks;

  public Health(List<Check> checks) {
    this.checks = List.copyOf(checks);
  }

  public boolean ready() {
    for (Check check : checks) {
      if (check.gatesTraffic() && !check.ok().getAsBoolean()) {
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
      ready &= ok || !check.gatesTraffic();
      results.put(check.name(), ok ? "ok" : check.failing().get());
    }
    return new JsonObject().put("ready", ready).put("checks", results);
  }
}
