package dev.keyward.policies;

import dev.keyward.llm.Spelling;
import dev.keyward.llm.budget.BudgetLimits;
import dev.keyward.llm.budget.BudgetPeriod;
import dev.keyward.llm.budget.Period;
import dev.keyward.llm.budget.Usd;
import dev.keyward.policies.YamlTree.Field;
import dev.keyward.policies.YamlTree.Kind;
import dev.keyward.policies.YamlTree.ListNode;
import dev.keyward.policies.YamlTree.Location;
import dev.keyward.policies.YamlTree.MapNode;
import dev.keyward.policies.YamlTree.Node;
import dev.keyward.policies.YamlTree.ScalarNode;
import java.time.DayOfWeek;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads the {@code plans} and {@code budgets} sections of a policy document, reporting every
 * problem to the {@link PolicyReader} with its location and the fix. Nothing here runs on the
 * request path.
 */
final class BudgetReader {

  private static final List<String> PLAN_AMOUNTS =
      List.of("usd_per_month", "usd_per_week", "usd_per_day");
  private static final Set<String> PLAN_FIELDS = Set.of("usd_per_month", "usd_per_week",
      "usd_per_day", "requests_per_minute", "tokens_per_minute");
  private static final Set<String> BUDGET_FIELDS = Set.of("name", "scope", "agents", "tenants",
      "groups", "credentials", "plan", "usd", "period", "reset_day", "timezone",
      "requests_per_minute", "tokens_per_minute", "on_store_failure");
  private static final List<String> SCOPES =
      List.of("tenant", "agent", "credential", "tenant_credential");

  /** A named, reusable money limit (and optionally rate limits). */
  private record Plan(long nanoUsd, Period period, OptionalLong requestsPerMinute,
      OptionalLong tokensPerMinute) {}

  private final PolicyReader reader;

  BudgetReader(PolicyReader reader) {
    this.reader = reader;
  }

  List<Budget> read(MapNode doc, Set<String> credentialIds) {
    Map<String, Plan> plans = plans(doc.fields().get("plans"));
    List<Budget> budgets = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    List<Node> items = items(doc.fields().get("budgets"), "budgets");
    for (int i = 0; i < items.size(); i++) {
      Node item = items.get(i);
      Budget budget = budget(item, i + 1, plans, credentialIds);
      if (budget != null) {
        if (!names.add(budget.name())) {
          problem(item.location(), "duplicate budget name '" + budget.name() + "'; budget names"
              + " key their counters, so each must be unique");
        } else {
          budgets.add(budget);
        }
      }
    }
    return budgets;
  }

  private Map<String, Plan> plans(Field field) {
    Map<String, Plan> plans = new LinkedHashMap<>();
    if (field == null || isNull(field.value())) {
      return plans;
    }
    if (!(field.value() instanceof MapNode map)) {
      problem(field.value().location(), "'plans' must be a mapping of plan names to limits, e.g."
          + " {lite: {usd_per_month: 8}}");
      return plans;
    }
    for (Field entry : map.fields().values()) {
      String name = entry.name();
      if (!Names.isValid(name)) {
        problem(entry.keyLocation(), "invalid plan name '" + name + "': use " + Names.RULE);
        continue;
      }
      Plan plan = plan(name, entry.value());
      if (plan != null) {
        plans.put(name, plan);
      }
    }
    return plans;
  }

  private Plan plan(String name, Node node) {
    if (!(node instanceof MapNode map)) {
      problem(node.location(), "plan '" + name + "' must be a mapping, e.g. {usd_per_month: 8}");
      return null;
    }
    checkFields(map, PLAN_FIELDS);
    List<Field> amounts = PLAN_AMOUNTS.stream().map(map.fields()::get)
        .filter(f -> f != null).toList();
    OptionalLong rpm = rate(map, "requests_per_minute");
    OptionalLong tpm = rate(map, "tokens_per_minute");
    if (amounts.size() != 1) {
      problem(amounts.isEmpty() ? map.location() : amounts.get(1).keyLocation(), "plan '" + name
          + "' needs exactly one of usd_per_month, usd_per_week or usd_per_day");
      return null;
    }
    Field amount = amounts.get(0);
    OptionalLong nanoUsd = usd(amount);
    if (nanoUsd.isEmpty()) {
      return null;
    }
    Period period = switch (amount.name()) {
      case "usd_per_month" -> Period.MONTHLY;
      case "usd_per_week" -> Period.WEEKLY;
      default -> Period.DAILY;
    };
    return new Plan(nanoUsd.getAsLong(), period, rpm, tpm);
  }

  private Budget budget(Node node, int index, Map<String, Plan> plans, Set<String> credentialIds) {
    if (!(node instanceof MapNode map)) {
      problem(node.location(), "a budget must be a mapping of fields");
      return null;
    }
    checkFields(map, BUDGET_FIELDS);
    String name = name(map);
    String label = label(map, index);
    BudgetScope scope = scope(map, label);
    Set<String> agents = names(map, "agents", "agent");
    Set<String> tenants = names(map, "tenants", "tenant");
    Set<String> groups = names(map, "groups", "group");
    Set<String> credentials = new LinkedHashSet<>();
    for (ScalarNode item : strings(map, "credentials")) {
      if (credentialIds.contains(item.text())) {
        credentials.add(item.text());
      } else {
        problem(item.location(), label + " names unknown credential '" + item.text()
            + "'; define it under 'credentials'");
      }
    }

    Money money = money(map, label, plans);
    OptionalLong rpm = rate(map, "requests_per_minute");
    OptionalLong tpm = rate(map, "tokens_per_minute");
    if (money.plan() != null) {
      Plan plan = money.plan();
      rpm = fromPlan(map, "requests_per_minute", rpm, plan.requestsPerMinute(), label,
          money.planName());
      tpm = fromPlan(map, "tokens_per_minute", tpm, plan.tokensPerMinute(), label,
          money.planName());
    }
    OnStoreFailure onStoreFailure = onStoreFailure(map, label);

    if (!money.written() && rpm.isEmpty() && tpm.isEmpty()
        && !map.fields().containsKey("requests_per_minute")
        && !map.fields().containsKey("tokens_per_minute")) {
      problem(map.location(), label + " sets no limit; add a plan, usd with period,"
          + " requests_per_minute or tokens_per_minute");
      return null;
    }
    if (name == null || scope == null || money.written() && money.period().isEmpty()) {
      return null;
    }
    BudgetLimits limits;
    try {
      limits = new BudgetLimits(money.nanoUsd(), money.period(), rpm, tpm);
    } catch (IllegalArgumentException e) {
      return null; // every way to get here was reported above
    }
    return new Budget(name, scope, agents, tenants, groups, credentials,
        Optional.ofNullable(money.plan() == null ? null : money.planName()), limits,
        onStoreFailure);
  }

  /**
   * A budget's money limit as written: from a plan, or usd and period; with its reset day and
   * time zone.
   *
   * @param written some money field is set (plan, usd or period)
   * @param period present when the money limit is complete and valid
   */
  private record Money(boolean written, OptionalLong nanoUsd, Optional<BudgetPeriod> period,
      Plan plan, String planName) {}

  private Money money(MapNode map, String label, Map<String, Plan> plans) {
    Field planField = map.fields().get("plan");
    Field usdField = map.fields().get("usd");
    Field periodField = map.fields().get("period");
    Plan plan = null;
    String planName = null;
    OptionalLong nanoUsd = OptionalLong.empty();
    Period period = null;
    boolean moneyOk = true;
    if (planField != null) {
      ScalarNode value = scalar(planField.value(), "plan");
      planName = value == null ? null : value.text();
      plan = planName == null ? null : plans.get(planName);
      if (value != null && plan == null) {
        String suggestion = Spelling.closest(planName, plans.keySet());
        problem(value.location(), label + " names unknown plan '" + planName + "'; "
            + (suggestion != null ? "did you mean '" + suggestion + "'?"
                : plans.isEmpty() ? "define it under 'plans', e.g. plans: {" + planName
                    + ": {usd_per_month: 8}}"
                    : "define it under 'plans' (defined: " + String.join(", ", plans.keySet())
                        + ")"));
      }
      moneyOk = plan != null;
      for (Field both : new Field[] {usdField, periodField}) {
        if (both != null) {
          problem(both.keyLocation(), label + " sets both 'plan' and '" + both.name() + "'; the"
              + " plan sets the amount and period: remove '" + both.name() + "' or the plan");
          moneyOk = false;
        }
      }
      if (plan != null) {
        nanoUsd = OptionalLong.of(plan.nanoUsd());
        period = plan.period();
      }
    } else if (usdField != null || periodField != null) {
      if (usdField != null) {
        nanoUsd = usd(usdField);
        moneyOk = nanoUsd.isPresent();
      }
      if (periodField != null) {
        ScalarNode value = scalar(periodField.value(), "period");
        if (value != null) {
          try {
            period = Period.parse(value.text());
          } catch (IllegalArgumentException e) {
            problem(value.location(), label + ": " + e.getMessage());
          }
        }
        moneyOk &= period != null;
      }
      if (usdField == null) {
        problem(periodField.keyLocation(), label + " sets a period but no amount; add usd: (e.g."
            + " usd: 25.00) or remove period");
        moneyOk = false;
      } else if (periodField == null) {
        problem(usdField.keyLocation(), label + " sets usd but no period; add period: monthly,"
            + " weekly or daily");
        moneyOk = false;
      }
    }
    boolean anyMoney = planField != null || usdField != null || periodField != null;
    Optional<ZoneId> zone = anyMoney ? zone(map, label) : Optional.empty();
    Optional<BudgetPeriod> budgetPeriod = Optional.empty();
    if (!anyMoney) {
      for (String f : new String[] {"reset_day", "timezone"}) {
        Field field = map.fields().get(f);
        if (field != null) {
          problem(field.keyLocation(), label + ": '" + f + "' applies to a money period; remove"
              + " it, or add usd and period (or a plan)");
        }
      }
    } else if (moneyOk && period != null && zone.isPresent()) {
      Integer resetDay = resetDay(map, period, label);
      if (resetDay != null) {
        budgetPeriod = Optional.of(new BudgetPeriod(period, resetDay, zone.get()));
      }
      moneyOk = budgetPeriod.isPresent();
    } else {
      moneyOk = false;
    }

    return new Money(anyMoney, moneyOk ? nanoUsd : OptionalLong.empty(), budgetPeriod, plan,
        planName);
  }

  /** How problems name a budget: by its name as written, else by its position. */
  private static String label(MapNode map, int index) {
    Field field = map.fields().get("name");
    if (field != null && field.value() instanceof ScalarNode value && value.kind() != Kind.NULL) {
      return "budget '" + value.text() + "'";
    }
    return "budget #" + index;
  }

  /** The budget's time zone (UTC when unset); empty when it names none that exists. */
  private Optional<ZoneId> zone(MapNode map, String label) {
    Field field = map.fields().get("timezone");
    if (field == null) {
      return Optional.of(BudgetPeriod.DEFAULT_ZONE);
    }
    ScalarNode value = scalar(field.value(), "timezone");
    if (value == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(BudgetPeriod.zone(value.text()));
    } catch (IllegalArgumentException e) {
      problem(value.location(), label + ": " + e.getMessage());
      return Optional.empty();
    }
  }

  /** The reset day for {@code period} (1 when unset: the 1st, or Monday); null when wrong. */
  private Integer resetDay(MapNode map, Period period, String label) {
    Field field = map.fields().get("reset_day");
    if (field == null) {
      return 1;
    }
    ScalarNode value = scalar(field.value(), "reset_day");
    return value == null ? null : resetDay(value, period, label);
  }

  private Integer resetDay(ScalarNode value, Period period, String label) {
    switch (period) {
      case DAILY -> {
        problem(value.location(), label + ": a daily budget starts over every midnight; remove"
            + " reset_day");
        return null;
      }
      case WEEKLY -> {
        try {
          DayOfWeek day = BudgetPeriod.weekday(value.text());
          return day.getValue();
        } catch (IllegalArgumentException e) {
          problem(value.location(), label + ": " + e.getMessage());
          return null;
        }
      }
      default -> {
        if (value.kind() == Kind.NUMBER && value.text().matches("\\d{1,2}")) {
          int day = Integer.parseInt(value.text());
          if (day >= 1 && day <= 31) {
            return day;
          }
        }
        problem(value.location(), label + ": reset_day " + value.text() + " is out of range for"
            + " a monthly budget; use a day of the month, 1-31 (29-31 fall on the last day of"
            + " shorter months)");
        return null;
      }
    }
  }

  private OptionalLong fromPlan(MapNode map, String field, OptionalLong own, OptionalLong planned,
      String label, String planName) {
    if (own.isPresent() && planned.isPresent()) {
      problem(map.fields().get(field).keyLocation(), label + " sets " + field + ", and so does"
          + " plan '" + planName + "'; set it in one place");
      return own;
    }
    return own.isPresent() ? own : planned;
  }

  private BudgetScope scope(MapNode map, String label) {
    Field field = map.fields().get("scope");
    if (field == null) {
      problem(map.location(), label + " needs 'scope': tenant, agent, credential or"
          + " tenant_credential");
      return null;
    }
    ScalarNode value = scalar(field.value(), "scope");
    if (value == null) {
      return null;
    }
    BudgetScope scope = BudgetScope.parse(value.text());
    if (scope == null) {
      String suggestion = Spelling.closest(value.text(), SCOPES);
      problem(value.location(), label + ": unknown scope '" + value.text() + "'; "
          + (suggestion == null ? "" : "did you mean '" + suggestion + "'? ")
          + "use tenant, agent, credential or tenant_credential");
    }
    return scope;
  }

  private OnStoreFailure onStoreFailure(MapNode map, String label) {
    Field field = map.fields().get("on_store_failure");
    if (field == null) {
      return OnStoreFailure.DENY;
    }
    ScalarNode value = scalar(field.value(), "on_store_failure");
    if (value == null) {
      return OnStoreFailure.DENY;
    }
    for (OnStoreFailure choice : OnStoreFailure.values()) {
      if (choice.wireName().equals(value.text())) {
        return choice;
      }
    }
    problem(value.location(), label + ": unknown on_store_failure '" + value.text() + "'; use"
        + " deny (the default: 503 budget_unavailable) or allow (requests go through uncounted)");
    return OnStoreFailure.DENY;
  }

  private String name(MapNode map) {
    Field field = map.fields().get("name");
    if (field == null) {
      problem(map.location(), "a budget needs a 'name': it keys the budget's counters");
      return null;
    }
    ScalarNode value = scalar(field.value(), "name");
    if (value == null) {
      return null;
    }
    if (!Names.isValid(value.text())) {
      problem(value.location(), "invalid budget name '" + value.text() + "': use " + Names.RULE);
      return null;
    }
    return value.text();
  }

  /** A USD amount: a number, not negative, at most nine decimals. */
  private OptionalLong usd(Field field) {
    ScalarNode value = scalar(field.value(), field.name());
    if (value == null) {
      return OptionalLong.empty();
    }
    if (value.kind() != Kind.NUMBER) {
      boolean numeric = value.text().trim().matches("-?\\d+(\\.\\d+)?");
      problem(value.location(), "'" + field.name() + "' must be a number of USD"
          + (numeric ? "; remove the quotes" : ", e.g. " + field.name() + ": 25.00"));
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Usd.parse(value.text()));
    } catch (IllegalArgumentException e) {
      problem(value.location(), "'" + field.name() + "': " + e.getMessage());
      return OptionalLong.empty();
    }
  }

  /** A rate limit: a whole number, 1 or more. */
  private OptionalLong rate(MapNode map, String name) {
    Field field = map.fields().get(name);
    if (field == null) {
      return OptionalLong.empty();
    }
    ScalarNode value = scalar(field.value(), name);
    if (value == null) {
      return OptionalLong.empty();
    }
    if (value.kind() == Kind.NUMBER && value.text().matches("\\d{1,15}")) {
      long limit = Long.parseLong(value.text());
      if (limit >= 1) {
        return OptionalLong.of(limit);
      }
    }
    problem(value.location(), "'" + name + "' must be a whole number, 1 or more (to stop a"
        + " subject, remove its grant)");
    return OptionalLong.empty();
  }

  // ---- YAML access; each reports its own problems ----

  private void checkFields(MapNode map, Set<String> known) {
    for (Field field : map.fields().values()) {
      if (!known.contains(field.name())) {
        String suggestion = Spelling.closest(field.name(), known);
        problem(field.keyLocation(), "unknown field '" + field.name() + "'"
            + (suggestion == null
                ? "; known fields: " + String.join(", ", known.stream().sorted().toList())
                : "; did you mean '" + suggestion + "'?"));
      }
    }
  }

  private ScalarNode scalar(Node node, String what) {
    if (node instanceof ScalarNode scalar && scalar.kind() != Kind.NULL) {
      return scalar;
    }
    problem(node.location(), "'" + what + "' must be a single value");
    return null;
  }

  private List<Node> items(Field field, String what) {
    if (field == null || isNull(field.value())) {
      return List.of();
    }
    if (field.value() instanceof ListNode list) {
      return list.items();
    }
    problem(field.value().location(), "'" + what + "' must be a list");
    return List.of();
  }

  private List<ScalarNode> strings(MapNode map, String field) {
    List<ScalarNode> out = new ArrayList<>();
    for (Node item : items(map.fields().get(field), field)) {
      if (item instanceof ScalarNode scalar && scalar.kind() != Kind.NULL) {
        out.add(scalar);
      } else {
        problem(item.location(), "each entry of '" + field + "' must be a string");
      }
    }
    return out;
  }

  private Set<String> names(MapNode map, String field, String what) {
    Set<String> out = new LinkedHashSet<>();
    for (ScalarNode item : strings(map, field)) {
      if (Names.isValid(item.text())) {
        out.add(item.text());
      } else {
        problem(item.location(), "invalid " + what + " name '" + item.text() + "': use "
            + Names.RULE);
      }
    }
    return out;
  }

  private static boolean isNull(Node node) {
    return node instanceof ScalarNode s && s.kind() == Kind.NULL;
  }

  private void problem(Location at, String message) {
    reader.problem(at, message);
  }
}
