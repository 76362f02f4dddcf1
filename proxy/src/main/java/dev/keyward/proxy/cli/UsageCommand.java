package dev.keyward.proxy.cli;

import static dev.keyward.proxy.cli.CredentialCommand.objects;
import static dev.keyward.proxy.cli.CredentialCommand.print;

import dev.keyward.llm.budget.Usd;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code keyward usage}: spend and rates against each budget's limits, per subject. */
@Command(name = "usage", mixinStandardHelpOptions = true,
    description = {"Show, per budget of the policy in force, its limits and when its period"
        + " resets, and per subject (tenant, agent, credential) with use in the current period:"
        + " spend settled, spend held by calls still running and what is left, and this minute's"
        + " requests and tokens.",
        "The counters are in the running Keyward's memory or in Redis: this needs --admin-url."})
final class UsageCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  Target target;

  @Option(names = "--budget", paramLabel = "NAME", description = "Only this budget.")
  String budget;

  @Option(names = "--json", description = "Print the usage as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    JsonObject usage = target.run(ops -> ops.budgetUsage(Optional.ofNullable(budget)));
    print(KeywardCommand.io(spec), json, usage, text(usage));
    return ExitCodes.OK;
  }

  static String text(JsonObject usage) {
    StringBuilder text = new StringBuilder("Budget usage at " + usage.getString("at"));
    List<JsonObject> budgets = objects(usage.getJsonArray("budgets"));
    if (budgets.isEmpty()) {
      text.append("\n\nThe policy has no budgets.");
    }
    for (JsonObject b : budgets) {
      text.append("\n\n").append(b.getString("budget")).append(" (")
          .append(b.getString("scope"))
          .append(b.containsKey("plan") ? ", plan " + b.getString("plan") : "").append("): ")
          .append(String.join(", ", limits(b)));
      List<JsonObject> subjects = objects(b.getJsonArray("subjects"));
      if (subjects.isEmpty()) {
        text.append("\n  no use this period");
      }
      for (JsonObject s : subjects) {
        text.append("\n  ").append(s.getString("subject")).append("  ")
            .append(String.join(", ", used(b, s)))
            .append(s.getBoolean("at_limit") ? "  AT LIMIT" : "");
      }
    }
    return text.toString();
  }

  private static List<String> limits(JsonObject b) {
    List<String> out = new ArrayList<>();
    if (b.containsKey("limit_usd")) {
      out.add(usd(b.getDouble("limit_usd")) + " " + b.getString("period") + ", resets at "
          + b.getString("resets_at"));
    }
    if (b.containsKey("requests_per_minute")) {
      out.add(b.getLong("requests_per_minute") + " requests/min");
    }
    if (b.containsKey("tokens_per_minute")) {
      out.add(b.getLong("tokens_per_minute") + " tokens/min");
    }
    return out;
  }

  private static List<String> used(JsonObject b, JsonObject s) {
    List<String> out = new ArrayList<>();
    if (s.containsKey("spent_usd")) {
      out.add("spent " + usd(s.getDouble("spent_usd")));
      out.add("held " + usd(s.getDouble("held_usd")));
      out.add("left " + usd(s.getDouble("remaining_usd")));
    }
    if (s.containsKey("requests_this_minute")) {
      out.add("requests " + s.getLong("requests_this_minute") + "/"
          + b.getLong("requests_per_minute") + " this minute");
    }
    if (s.containsKey("tokens_this_minute")) {
      out.add("tokens " + s.getLong("tokens_this_minute") + "/"
          + b.getLong("tokens_per_minute") + " this minute");
    }
    return out;
  }

  private static String usd(double amount) {
    return Usd.format(Math.round(amount * 1e9));
  }
}
