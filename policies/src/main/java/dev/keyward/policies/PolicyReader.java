package dev.keyward.policies;

import dev.keyward.llm.Api;
import dev.keyward.llm.LlmRequest;
import dev.keyward.llm.Spelling;
import dev.keyward.policies.YamlTree.Field;
import dev.keyward.policies.YamlTree.Kind;
import dev.keyward.policies.YamlTree.ListNode;
import dev.keyward.policies.YamlTree.Location;
import dev.keyward.policies.YamlTree.MapNode;
import dev.keyward.policies.YamlTree.Node;
import dev.keyward.policies.YamlTree.ScalarNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads a located YAML tree into policy rules, collecting every problem with its location and the
 * fix. Nothing here runs on the request path.
 */
final class PolicyReader {

  private static final Set<String> TOP_FIELDS =
      Set.of("version", "mode", "credentials", "routes", "grants", "plans", "budgets", "egress");
  private static final Set<String> CREDENTIAL_FIELDS = Set.of("id", "allowed_domains",
      "allowed_ports", "allow_insecure_http", "allow_addresses", "models", "mode");
  private static final Set<String> ROUTE_FIELDS = Set.of("name", "upstream", "credential",
      "max_request_body", "api", "tiers", "models", "aliases", "max_output_tokens", "targets",
      "strategy", "preset", "weights", "breaker", "first_byte_timeout");
  private static final Set<String> GRANT_FIELDS = Set.of("name", "agents", "tenants", "groups",
      "credentials", "methods", "paths", "mode");
  private static final Set<String> EGRESS_FIELDS = Set.of("allow", "deny", "ports",
      "allow_addresses");
  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  private final String source;
  private final List<PolicyProblem> problems = new ArrayList<>();

  PolicyReader(String source) {
    this.source = source;
  }

  List<PolicyProblem> problems() {
    return problems;
  }

  void problem(Location at, String message) {
    problems.add(new PolicyProblem(source, at.line(), at.column(), message));
  }

  /** Returns the policy, or null when problems were found. */
  PolicySet read(Node root, String version) {
    MapNode doc = map(root, "the policy document");
    if (doc == null) {
      return null;
    }
    checkFields(doc, TOP_FIELDS);
    Field versionField = doc.fields().get("version");
    if (versionField != null) {
      ScalarNode v = scalar(versionField.value(), "version");
      if (v != null && !v.text().equals("1")) {
        problem(v.location(), "unsupported policy version '" + v.text() + "'; this Keyward reads 1");
      }
    }
    Mode defaultMode = mode(doc.fields().get("mode"), Mode.ENFORCE);

    Map<String, CredentialRule> credentials = new HashMap<>();
    for (Node item : items(doc, "credentials")) {
      CredentialRule rule = credential(item, defaultMode);
      if (rule != null && credentials.putIfAbsent(rule.id(), rule) != null) {
        problem(item.location(), "duplicate credential id '" + rule.id() + "'");
      }
    }
    Map<String, Route> routes = new LinkedHashMap<>(); // in the policy's order
    for (Node item : items(doc, "routes")) {
      Route route = route(item, credentials);
      if (route != null && routes.putIfAbsent(route.name(), route) != null) {
        problem(item.location(), "duplicate route name '" + route.name() + "'");
      }
    }
    List<Grant> grants = new ArrayList<>();
    Set<String> grantNames = new LinkedHashSet<>();
    for (Node item : items(doc, "grants")) {
      Grant grant = grant(item, grants.size() + 1, credentials, defaultMode);
      if (grant != null) {
        if (!grantNames.add(grant.name())) {
          problem(item.location(), "duplicate grant name '" + grant.name() + "'");
        }
        grants.add(grant);
      }
    }
    List<Budget> budgets = new BudgetReader(this).read(doc, credentials.keySet());
    List<EgressRule> egress = new ArrayList<>();
    for (Node item : items(doc, "egress")) {
      EgressRule rule = egressRule(item);
      if (rule != null) {
        egress.add(rule);
      }
    }
    if (!problems.isEmpty()) {
      return null;
    }
    return new PolicySet(version, defaultMode, List.copyOf(credentials.values()),
        List.copyOf(routes.values()), grants, budgets, egress);
  }

  private CredentialRule credential(Node node, Mode defaultMode) {
    MapNode map = map(node, "a credential");
    if (map == null) {
      return null;
    }
    checkFields(map, CREDENTIAL_FIELDS);
    String id = name(map, "id", "credential");
    List<DomainPattern> domains = new ArrayList<>();
    for (ScalarNode item : strings(map, "allowed_domains")) {
      try {
        domains.add(DomainPattern.parse(item.text()));
      } catch (IllegalArgumentException e) {
        problem(item.location(), e.getMessage());
      }
    }
    if (domains.isEmpty() && !map.fields().containsKey("allowed_domains")) {
      problem(map.location(), "credential needs 'allowed_domains', e.g. [\"*.openrouter.ai\"]");
    }
    Set<Integer> ports = new LinkedHashSet<>();
    for (ScalarNode item : scalars(map, "allowed_ports", "a port number")) {
      Integer port = port(item);
      if (port != null) {
        ports.add(port);
      }
    }
    if (ports.isEmpty()) {
      ports.add(CredentialRule.DEFAULT_PORT);
    }
    boolean insecure = bool(map, "allow_insecure_http");
    List<AddressRange> addresses = new ArrayList<>();
    for (ScalarNode item : strings(map, "allow_addresses")) {
      try {
        addresses.add(AddressRange.parse(item.text()));
      } catch (IllegalArgumentException e) {
        problem(item.location(), e.getMessage());
      }
    }
    Set<String> models = modelNames(map, "models");
    Mode mode = mode(map.fields().get("mode"), defaultMode);
    if (id == null) {
      return null;
    }
    return new CredentialRule(id, domains, ports, insecure, addresses, models, mode);
  }

  /** {@code - allow: PATTERN} (with optional ports and allow_addresses) or {@code - deny: PATTERN}. */
  private EgressRule egressRule(Node node) {
    MapNode map = map(node, "an egress rule");
    if (map == null) {
      return null;
    }
    checkFields(map, EGRESS_FIELDS);
    boolean allow = map.fields().containsKey("allow");
    if (allow == map.fields().containsKey("deny")) {
      problem(map.location(), "an egress rule needs exactly one of 'allow' or 'deny', e.g."
          + " '- allow: \"*.pypi.org\"'");
      return null;
    }
    ScalarNode patternNode = scalar(map.fields().get(allow ? "allow" : "deny").value(),
        allow ? "allow" : "deny");
    DomainPattern pattern = null;
    if (patternNode != null) {
      try {
        pattern = DomainPattern.parse(patternNode.text());
      } catch (IllegalArgumentException e) {
        problem(patternNode.location(), e.getMessage());
      }
    }
    if (!allow) {
      for (String field : List.of("ports", "allow_addresses")) {
        Field set = map.fields().get(field);
        if (set != null) {
          problem(set.keyLocation(), "'" + field + "' belongs to allow rules; a deny rule refuses"
              + " the host on every port and address");
        }
      }
    }
    Set<Integer> ports = new LinkedHashSet<>();
    for (ScalarNode item : scalars(map, "ports", "a port number")) {
      Integer port = port(item);
      if (port != null) {
        ports.add(port);
      }
    }
    if (allow && ports.isEmpty()) {
      ports.add(CredentialRule.DEFAULT_PORT);
    }
    List<AddressRange> addresses = new ArrayList<>();
    for (ScalarNode item : strings(map, "allow_addresses")) {
      try {
        addresses.add(AddressRange.parse(item.text()));
      } catch (IllegalArgumentException e) {
        problem(item.location(), e.getMessage());
      }
    }
    return pattern == null ? null : new EgressRule(allow, pattern, ports, addresses);
  }

  private Route route(Node node, Map<String, CredentialRule> credentials) {
    MapNode map = map(node, "a route");
    if (map == null) {
      return null;
    }
    checkFields(map, ROUTE_FIELDS);
    String name = name(map, "name", "route");
    String label = name == null ? "route" : "route '" + name + "'";
    // Every problem of the route is reported, not the first: nothing below returns early.
    OptionalLong maxBody = OptionalLong.empty();
    Field limit = map.fields().get("max_request_body");
    if (limit != null) {
      ScalarNode value = scalar(limit.value(), "max_request_body");
      if (value != null) {
        try {
          maxBody = OptionalLong.of(Sizes.parse(value.text()));
        } catch (IllegalArgumentException e) {
          problem(value.location(), label + ": " + e.getMessage());
        }
      }
    }
    LlmRoute llm = llmRoute(map, label);
    RoutingReader routingReader = new RoutingReader(this);
    if (map.fields().containsKey("targets")) {
      for (String field : List.of("upstream", "credential")) {
        Field set = map.fields().get(field);
        if (set != null) {
          problem(set.keyLocation(), label + ": a route has either 'upstream' and 'credential'"
              + " (one upstream) or 'targets'; move '" + field + "' into a target");
        }
      }
      Routing routing = routingReader.read(map, label, credentials, llm);
      if (name == null || routing == null) {
        return null;
      }
      RouteTarget first = routing.targets().get(0);
      return new Route(name, first.upstream(), first.credentialId(), maxBody, llm, routing);
    }
    routingReader.refuseWithoutTargets(map, label);
    String credentialId = reference(map, "credential", credentials);
    CredentialRule credential = credentialId == null ? null : credentials.get(credentialId);
    Target upstream = upstream(map, label, credential);
    checkModelsReadable(map, label, credential, llm);
    if (name == null || credentialId == null || upstream == null) {
      return null;
    }
    return new Route(name, upstream, credentialId, maxBody, llm);
  }

  /**
   * The {@code upstream} of a route or target, parsed and checked against the credential it is
   * sent with (when that is known); null when it has problems.
   */
  Target upstream(MapNode map, String label, CredentialRule credential) {
    ScalarNode upstreamNode = requiredString(map, "upstream", "the upstream base URL");
    if (upstreamNode == null) {
      return null;
    }
    Target upstream;
    try {
      upstream = Targets.parseBaseUrl(upstreamNode.text());
    } catch (BadTargetException e) {
      problem(upstreamNode.location(), label + ": " + e.getMessage());
      return null;
    }
    String writtenHost = hostAsWritten(upstreamNode.text());
    if (writtenHost != null && !writtenHost.equals(upstream.host())) {
      problem(upstreamNode.location(), label + ": host '" + writtenHost
          + "' is not in normalised form; use '" + upstream.host() + "'");
    }
    if (credential != null) {
      checkUpstreamAgainst(credential, upstream, upstreamNode.location(), label);
    }
    return upstream;
  }

  /** A credential with a model allowlist is sent only where Keyward reads the model. */
  void checkModelsReadable(MapNode map, String label, CredentialRule credential, LlmRoute llm) {
    if (credential != null && !credential.models().isEmpty() && !llm.understood()) {
      problem(map.location(), label + " sends credential '" + credential.id() + "', which has a"
          + " model allowlist: set the route's 'api' (openai, anthropic or gemini) so Keyward can"
          + " read the model and enforce it");
    }
  }

  /** The route's LLM settings; tiers, models and aliases need an {@code api}. */
  private LlmRoute llmRoute(MapNode map, String label) {
    Api api = Api.NONE;
    ScalarNode apiNode = optionalString(map, "api");
    if (apiNode != null) {
      try {
        api = Api.parse(apiNode.text());
      } catch (IllegalArgumentException e) {
        problem(apiNode.location(), label + ": " + e.getMessage());
      }
    }
    Map<String, String> tiers = modelMap(map, "tiers", label);
    for (Map.Entry<String, String> tier : tiers.entrySet()) {
      if (!LlmRoute.PURPOSES.contains(tier.getKey())) {
        problem(map.fields().get("tiers").value().location(), label + ": unknown purpose '"
            + tier.getKey() + "' in tiers; use " + String.join(", ", sorted(LlmRoute.PURPOSES)));
      }
    }
    Set<String> models = modelNames(map, "models");
    Map<String, String> aliases = modelMap(map, "aliases", label);
    long maxOutput = maxOutputTokens(map, label);
    for (String field : List.of("tiers", "models", "aliases", "max_output_tokens")) {
      Field set = map.fields().get(field);
      if (set != null && api == Api.NONE) {
        problem(set.keyLocation(), label + ": '" + field + "' needs the route's 'api' (openai,"
            + " anthropic or gemini): Keyward reads the model only on routes that say their API");
      }
    }
    return new LlmRoute(api, tiers, models, aliases, maxOutput);
  }

  /** The route's default output cap for budgets: a whole number of tokens. */
  private long maxOutputTokens(MapNode map, String label) {
    Field field = map.fields().get("max_output_tokens");
    if (field == null) {
      return LlmRoute.DEFAULT_MAX_OUTPUT_TOKENS;
    }
    ScalarNode value = scalar(field.value(), "max_output_tokens");
    if (value != null && value.kind() == Kind.NUMBER && value.text().matches("\\d{1,8}")) {
      long tokens = Long.parseLong(value.text());
      if (tokens >= 1 && tokens <= LlmRoute.MAX_OUTPUT_TOKENS_LIMIT) {
        return tokens;
      }
    }
    if (value != null) {
      problem(value.location(), label + ": 'max_output_tokens' must be a whole number of tokens,"
          + " 1 to " + LlmRoute.MAX_OUTPUT_TOKENS_LIMIT);
    }
    return LlmRoute.DEFAULT_MAX_OUTPUT_TOKENS;
  }

  /** A list of model names: visible ASCII, at most {@link LlmRequest#MAX_MODEL_LENGTH}. */
  private Set<String> modelNames(MapNode map, String field) {
    Set<String> names = new LinkedHashSet<>();
    for (ScalarNode item : strings(map, field)) {
      if (checkModelName(item)) {
        names.add(item.text());
      }
    }
    return names;
  }

  /** A mapping of names to model names (tiers, aliases). */
  Map<String, String> modelMap(MapNode map, String field, String label) {
    Field f = map.fields().get(field);
    if (f == null) {
      return Map.of();
    }
    return modelEntries(f.value(), field);
  }

  /** A mapping of names to model names, written as the value of {@code field}. */
  Map<String, String> modelEntries(Node node, String field) {
    MapNode entries = map(node, "'" + field + "'");
    if (entries == null) {
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Field entry : entries.fields().values()) {
      ScalarNode value = scalar(entry.value(), field + "." + entry.name());
      if (value != null && checkModelName(value)) {
        out.put(entry.name(), value.text());
      }
    }
    return out;
  }

  boolean checkModelName(ScalarNode item) {
    String text = item.text();
    if (text.isBlank() || text.length() > LlmRequest.MAX_MODEL_LENGTH
        || !text.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      problem(item.location(), "invalid model name '" + text + "': use 1 to "
          + LlmRequest.MAX_MODEL_LENGTH + " visible ASCII characters");
      return false;
    }
    return true;
  }

  /** The route's upstream must be in the credential's domains, ports and schemes: each checked. */
  private void checkUpstreamAgainst(CredentialRule credential, Target upstream, Location at,
      String label) {
    String id = credential.id();
    if (!credential.allowsHost(upstream.host())) {
      problem(at, label + ": host " + upstream.host() + " is outside the allowed domains of"
          + " credential '" + id + "'; add it to allowed_domains or fix the URL");
    }
    if (!credential.allowedPorts().contains(upstream.port())) {
      problem(at, label + ": port " + upstream.port() + " is not in allowed_ports of credential '"
          + id + "'");
    }
    if (!upstream.isHttps() && !credential.allowInsecureHttp()) {
      problem(at, label + ": http:// upstreams need 'allow_insecure_http: true' on credential '"
          + id + "'; prefer https");
    }
  }

  private Grant grant(Node node, int index, Map<String, CredentialRule> credentials,
      Mode defaultMode) {
    MapNode map = map(node, "a grant");
    if (map == null) {
      return null;
    }
    checkFields(map, GRANT_FIELDS);
    String name = map.fields().containsKey("name") ? name(map, "name", "grant") : "grant-" + index;
    Set<String> agents = names(map, "agents", "agent");
    Set<String> tenants = names(map, "tenants", "tenant");
    Set<String> groups = names(map, "groups", "group");
    if (agents.isEmpty() && tenants.isEmpty() && groups.isEmpty()) {
      problem(map.location(), "grant '" + name + "' names no subject; add agents, tenants or groups");
    }
    Set<String> grantCredentials = new LinkedHashSet<>();
    for (ScalarNode item : strings(map, "credentials")) {
      if (!credentials.containsKey(item.text())) {
        problem(item.location(), "grant '" + name + "' names unknown credential '" + item.text()
            + "'; define it under 'credentials'");
      } else {
        grantCredentials.add(item.text());
      }
    }
    if (!map.fields().containsKey("credentials")) {
      problem(map.location(), "grant '" + name + "' needs 'credentials'");
    }
    Set<String> methods = new LinkedHashSet<>();
    for (ScalarNode item : strings(map, "methods")) {
      String method = item.text();
      if (!METHODS.contains(method)) {
        String upper = method.toUpperCase(Locale.ROOT);
        problem(item.location(), METHODS.contains(upper)
            ? "write method '" + method + "' as '" + upper + "'"
            : "unknown method '" + method + "'; use one of " + String.join(", ", sorted(METHODS)));
      } else {
        methods.add(method);
      }
    }
    List<String> paths = new ArrayList<>();
    for (ScalarNode item : strings(map, "paths")) {
      try {
        String normalized = Targets.normalizePath(item.text());
        if (!normalized.equals(item.text())) {
          problem(item.location(), "path prefix '" + item.text() + "' is not in normalised form;"
              + " use '" + normalized + "'");
        } else {
          paths.add(normalized);
        }
      } catch (BadTargetException e) {
        problem(item.location(), "path prefix '" + item.text() + "': " + e.getMessage());
      }
    }
    Mode mode = mode(map.fields().get("mode"), defaultMode);
    if (name == null) {
      return null;
    }
    return new Grant(name, agents, tenants, groups, grantCredentials, methods, paths, mode);
  }

  // ---- typed field access; each reports its own problems ----

  void checkFields(MapNode map, Set<String> known) {
    for (Field field : map.fields().values()) {
      if (!known.contains(field.name())) {
        String suggestion = Spelling.closest(field.name(), known);
        problem(field.keyLocation(), "unknown field '" + field.name() + "'"
            + (suggestion == null ? "; known fields: " + String.join(", ", sorted(known))
                : "; did you mean '" + suggestion + "'?"));
      }
    }
  }

  MapNode map(Node node, String what) {
    if (node instanceof MapNode map) {
      return map;
    }
    problem(node.location(), what + " must be a mapping of fields");
    return null;
  }

  ScalarNode scalar(Node node, String what) {
    if (node instanceof ScalarNode scalar && scalar.kind() != Kind.NULL) {
      return scalar;
    }
    problem(node.location(), "'" + what + "' must be a single value");
    return null;
  }

  List<Node> items(MapNode map, String field) {
    Field f = map.fields().get(field);
    if (f == null || (f.value() instanceof ScalarNode s && s.kind() == Kind.NULL)) {
      return List.of();
    }
    if (f.value() instanceof ListNode list) {
      return list.items();
    }
    problem(f.value().location(), "'" + field + "' must be a list");
    return List.of();
  }

  private List<ScalarNode> scalars(MapNode map, String field, String what) {
    List<ScalarNode> out = new ArrayList<>();
    for (Node item : items(map, field)) {
      if (item instanceof ScalarNode scalar && scalar.kind() != Kind.NULL) {
        out.add(scalar);
      } else {
        problem(item.location(), "each entry of '" + field + "' must be " + what);
      }
    }
    return out;
  }

  private List<ScalarNode> strings(MapNode map, String field) {
    return scalars(map, field, "a string");
  }

  ScalarNode requiredString(MapNode map, String field, String what) {
    Field f = map.fields().get(field);
    if (f == null) {
      problem(map.location(), "missing '" + field + "' (" + what + ")");
      return null;
    }
    return scalar(f.value(), field);
  }

  ScalarNode optionalString(MapNode map, String field) {
    Field f = map.fields().get(field);
    return f == null ? null : scalar(f.value(), field);
  }

  String name(MapNode map, String field, String what) {
    ScalarNode node = requiredString(map, field, "the " + what + " name");
    if (node == null) {
      return null;
    }
    if (!Names.isValid(node.text())) {
      problem(node.location(), "invalid " + what + " name '" + node.text() + "': use " + Names.RULE);
      return null;
    }
    return node.text();
  }

  private Set<String> names(MapNode map, String field, String what) {
    Set<String> out = new LinkedHashSet<>();
    for (ScalarNode item : strings(map, field)) {
      if (Names.isValid(item.text())) {
        out.add(item.text());
      } else {
        problem(item.location(), "invalid " + what + " name '" + item.text() + "': use " + Names.RULE);
      }
    }
    return out;
  }

  String reference(MapNode map, String field, Map<String, CredentialRule> credentials) {
    ScalarNode node = requiredString(map, field, "a credential id");
    if (node == null) {
      return null;
    }
    if (!credentials.containsKey(node.text())) {
      problem(node.location(), "unknown credential '" + node.text() + "'; define it under"
          + " 'credentials'");
      return null;
    }
    return node.text();
  }

  private boolean bool(MapNode map, String field) {
    Field f = map.fields().get(field);
    if (f == null) {
      return false;
    }
    if (f.value() instanceof ScalarNode s && s.kind() == Kind.BOOLEAN) {
      return Boolean.parseBoolean(s.text());
    }
    problem(f.value().location(), "'" + field + "' must be true or false");
    return false;
  }

  private Integer port(ScalarNode node) {
    if (node.kind() == Kind.NUMBER) {
      try {
        int port = Integer.parseInt(node.text());
        if (port >= 1 && port <= 65535) {
          return port;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    problem(node.location(), "'" + node.text() + "' is not a port number (1-65535)");
    return null;
  }

  private Mode mode(Field field, Mode fallback) {
    if (field == null) {
      return fallback;
    }
    ScalarNode node = scalar(field.value(), "mode");
    if (node == null) {
      return fallback;
    }
    return switch (node.text()) {
      case "enforce" -> Mode.ENFORCE;
      case "report" -> Mode.REPORT;
      default -> {
        problem(node.location(), "unknown mode '" + node.text() + "'; use 'enforce' or 'report'");
        yield fallback;
      }
    };
  }

  private static String hostAsWritten(String url) {
    int start = url.indexOf("://");
    if (start < 0) {
      return null;
    }
    String rest = url.substring(start + 3);
    int end = rest.length();
    for (char c : new char[] {'/', '?', '#'}) {
      int i = rest.indexOf(c);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    String authority = rest.substring(0, end);
    int colon = authority.lastIndexOf(':');
    return colon > authority.lastIndexOf(']') ? authority.substring(0, colon) : authority;
  }

  static List<String> sorted(Set<String> set) {
    return set.stream().sorted().toList();
  }
}
