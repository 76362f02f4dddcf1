package dev.keyward.policies;

import dev.keyward.llm.Api;
import dev.keyward.llm.Spelling;
import dev.keyward.llm.routing.BreakerSettings;
import dev.keyward.llm.routing.ScoreWeights;
import dev.keyward.llm.routing.Strategy;
import dev.keyward.policies.YamlTree.Field;
import dev.keyward.policies.YamlTree.Kind;
import dev.keyward.policies.YamlTree.MapNode;
import dev.keyward.policies.YamlTree.Node;
import dev.keyward.policies.YamlTree.ScalarNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a route's {@code targets} and how calls are spread over them ({@code strategy}, {@code
 * preset} or {@code weights}, {@code breaker}, {@code first_byte_timeout}), reporting every
 * problem to the {@link PolicyReader} with its location and the fix.
 */
final class RoutingReader {

  /** The most targets a route may list. */
  static final int MAX_TARGETS = 16;

  private static final List<String> ROUTING_FIELDS =
      List.of("strategy", "preset", "weights", "breaker", "first_byte_timeout");
  private static final Set<String> TARGET_FIELDS = Set.of("name", "credential", "upstream",
      "model", "weight", "first_byte_timeout", "api");
  private static final Set<String> BREAKER_FIELDS =
      Set.of("failures", "failure_ratio", "min_calls", "window", "open_for");
  private static final Set<String> WEIGHT_FIELDS = Set.of("cost", "quality", "latency");

  private final PolicyReader reader;

  RoutingReader(PolicyReader reader) {
    this.reader = reader;
  }

  /** A route without {@code targets} may not set what only targets use. */
  void refuseWithoutTargets(MapNode route, String label) {
    for (String field : ROUTING_FIELDS) {
      Field set = route.fields().get(field);
      if (set != null) {
        reader.problem(set.keyLocation(), label + ": '" + field + "' needs 'targets': a route"
            + " with one upstream has nothing to choose between");
      }
    }
  }

  /** The route's routing; null when it has problems (they are reported). */
  Routing read(MapNode route, String label, Map<String, CredentialRule> credentials,
      LlmRoute llm) {
    int before = reader.problems().size();
    Strategy strategy = strategy(route, label);
    ScoreWeights weights = weights(route, label, strategy, llm);
    BreakerSettings breaker = breaker(route, label);
    Duration timeout = timeout(route.fields().get("first_byte_timeout"), label,
        RouteTarget.DEFAULT_FIRST_BYTE_TIMEOUT);
    List<RouteTarget> targets = targets(route, label, credentials, llm, strategy, timeout);
    if (reader.problems().size() > before || targets.isEmpty()) {
      return null;
    }
    return new Routing(strategy, weights, breaker, targets);
  }

  private Strategy strategy(MapNode route, String label) {
    ScalarNode value = reader.optionalString(route, "strategy");
    if (value == null) {
      return Strategy.FALLBACK;
    }
    try {
      return Strategy.parse(value.text());
    } catch (IllegalArgumentException e) {
      reader.problem(value.location(), label + ": " + e.getMessage());
      return Strategy.FALLBACK;
    }
  }

  /** {@code preset} or {@code weights}, with {@code strategy: score} only; default economy. */
  private ScoreWeights weights(MapNode route, String label, Strategy strategy, LlmRoute llm) {
    Field preset = route.fields().get("preset");
    Field custom = route.fields().get("weights");
    for (Field set : new Field[] {preset, custom}) {
      if (set != null && strategy != Strategy.SCORE) {
        reader.problem(set.keyLocation(), label + ": '" + set.name() + "' is for strategy:"
            + " score; remove it or set the strategy");
      }
    }
    if (strategy == Strategy.SCORE && !llm.understood()) {
      reader.problem(route.location(), label + ": strategy: score ranks targets by their"
          + " model's price and quality; set the route's 'api' (openai, anthropic or gemini)");
    }
    if (preset != null && custom != null) {
      reader.problem(custom.keyLocation(), label + ": set 'preset' or 'weights', not both");
      return ScoreWeights.ECONOMY;
    }
    if (preset != null) {
      ScalarNode value = reader.scalar(preset.value(), "preset");
      if (value == null) {
        return ScoreWeights.ECONOMY;
      }
      ScoreWeights named = ScoreWeights.PRESETS.get(value.text());
      if (named == null) {
        String suggestion = Spelling.closest(value.text(), ScoreWeights.PRESETS.keySet());
        reader.problem(value.location(), label + ": unknown preset '" + value.text() + "'; "
            + (suggestion == null ? "use economy, quality or fast, or weights: {cost, quality,"
                + " latency}" : "did you mean '" + suggestion + "'?"));
        return ScoreWeights.ECONOMY;
      }
      return named;
    }
    if (custom != null) {
      MapNode map = reader.map(custom.value(), "'weights'");
      if (map == null) {
        return ScoreWeights.ECONOMY;
      }
      reader.checkFields(map, WEIGHT_FIELDS);
      double[] values = new double[3];
      int i = 0;
      for (String name : List.of("cost", "quality", "latency")) {
        Field f = map.fields().get(name);
        values[i++] = f == null ? 0 : number(f, label, 0, 1000);
      }
      try {
        return new ScoreWeights(values[0], values[1], values[2]);
      } catch (IllegalArgumentException e) {
        reader.problem(map.location(), label + ": weights: " + e.getMessage());
      }
    }
    return ScoreWeights.ECONOMY;
  }

  private BreakerSettings breaker(MapNode route, String label) {
    Field field = route.fields().get("breaker");
    if (field == null) {
      return BreakerSettings.DEFAULT;
    }
    MapNode map = reader.map(field.value(), "'breaker'");
    if (map == null) {
      return BreakerSettings.DEFAULT;
    }
    reader.checkFields(map, BREAKER_FIELDS);
    BreakerSettings d = BreakerSettings.DEFAULT;
    Map<String, Field> f = map.fields();
    int failures = f.containsKey("failures") ? (int) whole(f.get("failures"), label, 0,
        BreakerSettings.MAX_FAILURES) : d.failures();
    double ratio = f.containsKey("failure_ratio") ? number(f.get("failure_ratio"), label, 0, 1)
        : d.failureRatio();
    int minCalls = f.containsKey("min_calls") ? (int) whole(f.get("min_calls"), label, 1,
        BreakerSettings.MAX_FAILURES) : d.minCalls();
    Duration window = timeout(f.get("window"), label, d.window());
    Duration openFor = timeout(f.get("open_for"), label, d.openFor());
    try {
      return new BreakerSettings(failures, ratio, minCalls, window, openFor);
    } catch (IllegalArgumentException e) {
      reader.problem(map.location(), label + ": breaker: " + e.getMessage());
      return d;
    }
  }

  private List<RouteTarget> targets(MapNode route, String label,
      Map<String, CredentialRule> credentials, LlmRoute llm, Strategy strategy,
      Duration defaultTimeout) {
    List<Node> items = reader.items(route, "targets");
    if (items.isEmpty()) {
      reader.problem(route.fields().get("targets").value().location(), label + ": 'targets'"
          + " lists no target; list at least one, or use 'upstream' and 'credential'");
      return List.of();
    }
    if (items.size() > MAX_TARGETS) {
      reader.problem(items.get(MAX_TARGETS).location(), label + ": at most " + MAX_TARGETS
          + " targets");
    }
    List<RouteTarget> targets = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    for (Node item : items) {
      RouteTarget target = target(item, label, credentials, llm, strategy, defaultTimeout);
      if (target == null) {
        continue;
      }
      if (!names.add(target.name())) {
        reader.problem(item.location(), label + ": duplicate target name '" + target.name()
            + "'; each names the target in X-Keyward-Target, the audit and metrics");
      }
      targets.add(target);
    }
    if (strategy == Strategy.WEIGHTED && !targets.isEmpty()
        && targets.stream().allMatch(t -> t.weight() == 0)) {
      reader.problem(route.location(), label + ": strategy: weighted needs a target with a"
          + " weight above 0");
    }
    return targets;
  }

  private RouteTarget target(Node node, String route, Map<String, CredentialRule> credentials,
      LlmRoute llm, Strategy strategy, Duration defaultTimeout) {
    MapNode map = reader.map(node, "a target");
    if (map == null) {
      return null;
    }
    reader.checkFields(map, TARGET_FIELDS);
    String name = reader.name(map, "name", "target");
    String label = route + ", target " + (name == null ? "" : "'" + name + "'");
    String credentialId = reader.reference(map, "credential", credentials);
    CredentialRule credential = credentialId == null ? null : credentials.get(credentialId);
    Target upstream = reader.upstream(map, label, credential);
    reader.checkModelsReadable(map, label, credential, llm);
    ScalarNode api = reader.optionalString(map, "api");
    if (api != null && !api.text().equals(llm.api().configName())) {
      reader.problem(api.location(), label + " speaks '" + api.text() + "' but the route speaks '"
          + llm.api().configName() + "': every target must speak the route's api (Keyward does not"
          + " translate between API formats)");
    }
    ModelMapping model = model(map.fields().get("model"), label, llm);
    int weight = 1;
    Field weightField = map.fields().get("weight");
    if (weightField != null) {
      weight = (int) whole(weightField, label, 0, RouteTarget.MAX_WEIGHT);
      if (strategy != Strategy.WEIGHTED) {
        reader.problem(weightField.keyLocation(), label + ": 'weight' is for strategy: weighted;"
            + " remove it or set the strategy");
      }
    }
    Duration timeout = timeout(map.fields().get("first_byte_timeout"), label, defaultTimeout);
    if (name == null || credentialId == null || upstream == null) {
      return null;
    }
    return new RouteTarget(name, credentialId, upstream, model, weight, timeout);
  }

  /** One model ({@code model: name}) or an alias map ({@code model: {asked: sent}}). */
  private ModelMapping model(Field field, String label, LlmRoute llm) {
    if (field == null) {
      return ModelMapping.NONE;
    }
    if (!llm.understood()) {
      reader.problem(field.keyLocation(), label + ": 'model' needs the route's 'api' (openai,"
          + " anthropic or gemini): Keyward reads the model only on routes that say their API");
      return ModelMapping.NONE;
    }
    if (field.value() instanceof MapNode) {
      return ModelMapping.aliases(reader.modelEntries(field.value(), "model"));
    }
    ScalarNode value = reader.scalar(field.value(), "model");
    return value != null && reader.checkModelName(value) ? ModelMapping.fixed(value.text())
        : ModelMapping.NONE;
  }

  /** A duration from 1 ms to an hour; {@code fallback} when the field is absent or wrong. */
  private Duration timeout(Field field, String label, Duration fallback) {
    if (field == null) {
      return fallback;
    }
    ScalarNode value = reader.scalar(field.value(), field.name());
    if (value == null) {
      return fallback;
    }
    try {
      Duration d = Durations.parse(value.text());
      if (!d.isZero() && d.compareTo(BreakerSettings.MAX_DURATION) <= 0) {
        return d;
      }
      reader.problem(value.location(), label + ": '" + field.name() + "' must be longer than"
          + " zero and at most 1h");
    } catch (IllegalArgumentException e) {
      reader.problem(value.location(), label + ": '" + field.name() + "': " + e.getMessage());
    }
    return fallback;
  }

  private long whole(Field field, String label, long min, long max) {
    ScalarNode value = reader.scalar(field.value(), field.name());
    if (value != null && value.kind() == Kind.NUMBER && value.text().matches("\\d{1,9}")) {
      long n = Long.parseLong(value.text());
      if (n >= min && n <= max) {
        return n;
      }
    }
    if (value != null) {
      reader.problem(value.location(), label + ": '" + field.name() + "' must be a whole number, "
          + min + " to " + max);
    }
    return min;
  }

  private double number(Field field, String label, double min, double max) {
    ScalarNode value = reader.scalar(field.value(), field.name());
    if (value != null && value.kind() == Kind.NUMBER) {
      try {
        double n = Double.parseDouble(value.text());
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    if (value != null) {
      reader.problem(value.location(), label + ": '" + field.name() + "' must be a number, "
          + plain(min) + " to " + plain(max));
    }
    return min;
  }

  private static String plain(double n) {
    return n == Math.rint(n) ? Long.toString((long) n) : Double.toString(n);
  }
}
