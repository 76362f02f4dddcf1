package dev.keyward.policies;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A compiled, immutable policy: the only place where the proxy's allow/deny decisions are made.
 * Built by {@link PolicyLoader} after validation, so every route names a known credential and every
 * pattern is well formed. Safe to share between threads; a reload swaps in a new instance.
 */
public final class PolicySet {

  private final String version;
  private final Mode defaultMode;
  private final Map<String, CredentialRule> credentials;
  private final Map<String, Route> routes;
  private final List<Route> routesInOrder;
  private final Map<String, List<Grant>> grantsByCredential;
  private final int grantCount;
  /** Credential ids by exact allowed host, and by wildcard suffix (".example.com"). */
  private final Map<String, List<String>> credentialsByHost;
  private final Map<String, List<String>> credentialsBySuffix;
  private final List<Budget> budgets;
  private final List<EgressRule> egress;

  PolicySet(String version, Mode defaultMode, List<CredentialRule> credentials, List<Route> routes,
      List<Grant> grants, List<Budget> budgets, List<EgressRule> egress) {
    this.version = version;
    this.defaultMode = defaultMode;
    Map<String, CredentialRule> byId = new HashMap<>();
    credentials.forEach(c -> byId.put(c.id(), c));
    this.credentials = Map.copyOf(byId);
    Map<String, Route> byName = new HashMap<>();
    routes.forEach(r -> byName.put(r.name(), r));
    this.routes = Map.copyOf(byName);
    this.routesInOrder = List.copyOf(routes);
    Map<String, List<Grant>> index = new HashMap<>();
    for (Grant grant : grants) {
      for (String credential : grant.credentials()) {
        index.computeIfAbsent(credential, k -> new ArrayList<>()).add(grant);
      }
    }
    index.replaceAll((k, v) -> List.copyOf(v));
    this.grantsByCredential = Map.copyOf(index);
    this.grantCount = grants.size();
    Map<String, List<String>> byHost = new HashMap<>();
    Map<String, List<String>> bySuffix = new HashMap<>();
    for (CredentialRule credential : credentials) {
      for (DomainPattern pattern : credential.allowedDomains()) {
        String text = pattern.toString();
        if (pattern.isWildcard()) {
          bySuffix.computeIfAbsent(text.substring(1), k -> new ArrayList<>()).add(credential.id());
        } else {
          byHost.computeIfAbsent(text, k -> new ArrayList<>()).add(credential.id());
        }
      }
    }
    byHost.replaceAll((k, v) -> List.copyOf(v));
    bySuffix.replaceAll((k, v) -> List.copyOf(v));
    this.credentialsByHost = Map.copyOf(byHost);
    this.credentialsBySuffix = Map.copyOf(bySuffix);
    this.budgets = List.copyOf(budgets);
    this.egress = List.copyOf(egress);
  }

  /** Short digest of the policy document, recorded in audit records and reload logs. */
  public String version() {
    return version;
  }

  public Mode defaultMode() {
    return defaultMode;
  }

  public Optional<Route> route(String name) {
    return Optional.ofNullable(routes.get(name));
  }

  public Optional<CredentialRule> credential(String id) {
    return Optional.ofNullable(credentials.get(id));
  }

  /** Every route, by name. */
  public List<Route> routes() {
    return routes.values().stream().sorted(java.util.Comparator.comparing(Route::name)).toList();
  }

  /** The routes that list targets, by name: what the admin API shows circuits and latency of. */
  public List<Route> chainedRoutes() {
    return routes.values().stream().filter(r -> r.routing().chained())
        .sorted(java.util.Comparator.comparing(Route::name)).toList();
  }

  public int credentialCount() {
    return credentials.size();
  }

  public int routeCount() {
    return routes.size();
  }

  public int grantCount() {
    return grantCount;
  }

  /** Every budget, in the order the policy lists them. */
  public List<Budget> budgets() {
    return budgets;
  }

  /**
   * The budgets that count a request, each with the subject whose counters it uses, in policy
   * order. A request must fit all of them.
   */
  public List<ApplicableBudget> budgetsFor(String agent, String tenant, Set<String> groups,
      String credentialId) {
    List<ApplicableBudget> applicable = new ArrayList<>(2);
    for (Budget budget : budgets) {
      if (budget.appliesTo(agent, tenant, groups, credentialId)) {
        applicable.add(new ApplicableBudget(budget,
            budget.scope().subject(agent, tenant, credentialId)));
      }
    }
    return List.copyOf(applicable);
  }

  /**
   * The credentials an agent could use for {@code normalizedHost}: those some grant gives it and
   * whose allowed domains include the host. Used for explicit targets that name no credential.
   */
  public CredentialChoice credentialsFor(String agent, String tenant, Set<String> groups,
      String normalizedHost) {
    TreeSet<String> candidates = new TreeSet<>();
    addGranted(credentialsByHost.get(normalizedHost), agent, tenant, groups, candidates);
    for (int dot = normalizedHost.indexOf('.'); dot >= 0;
        dot = normalizedHost.indexOf('.', dot + 1)) {
      addGranted(credentialsBySuffix.get(normalizedHost.substring(dot)), agent, tenant, groups,
          candidates);
    }
    return new CredentialChoice(List.copyOf(candidates));
  }

  private void addGranted(List<String> ids, String agent, String tenant, Set<String> groups,
      Set<String> out) {
    if (ids == null) {
      return;
    }
    for (String id : ids) {
      for (Grant grant : grantsByCredential.getOrDefault(id, List.of())) {
        if (grant.appliesTo(agent, tenant, groups)) {
          out.add(id);
          break;
        }
      }
    }
  }

  /**
   * Decides whether the agent may use the credential against the target with the method. An
   * enforced rule that denies wins; otherwise a report-mode rule that would deny makes the decision
   * {@code WOULD_DENY}; otherwise the request is allowed.
   */
  public Decision decide(DecisionRequest request) {
    String id = request.credentialId();
    CredentialRule credential = credentials.get(id);
    if (credential == null) {
      return Decision.deny(DenyCode.UNKNOWN_CREDENTIAL, Mode.ENFORCE, id, "",
          "the policy has no credential '" + id + "'");
    }
    Target target = request.target();
    Decision reported = null;
    Decision credentialCheck = checkCredential(credential, target);
    if (credentialCheck != null) {
      if (!credentialCheck.allowed()) {
        return credentialCheck;
      }
      reported = credentialCheck;
    }
    Decision grantCheck = checkGrants(request, target.path());
    if (!grantCheck.allowed()) {
      return grantCheck;
    }
    if (reported != null) {
      return reported;
    }
    return grantCheck;
  }

  /**
   * Decides whether the credential may be sent to {@code address}, the resolved upstream address
   * the proxy is about to connect to. Report mode never relaxes this guard.
   */
  public Decision decideAddress(String credentialId, InetAddress address) {
    CredentialRule credential = credentials.get(credentialId);
    return decideAddress(credentialId, credentialId,
        credential == null ? List.of() : credential.allowAddresses(), address);
  }

  /**
   * The SSRF guard for what the forward proxy sends without a key: a tunnel an egress rule allows
   * (its {@code allow_addresses}), or a request without a placeholder to an intercepted host (the
   * {@code allow_addresses} of the credentials that apply to it).
   */
  public Decision decideForwardAddress(ForwardPlan plan, InetAddress address) {
    if (plan.egress().isPresent()) {
      EgressRule rule = plan.egress().get();
      return decideAddress("", rule.name(), rule.allowAddresses(), address);
    }
    List<AddressRange> ranges = new ArrayList<>();
    for (String id : plan.credentials()) {
      ranges.addAll(credentials.get(id).allowAddresses());
    }
    return decideAddress("", String.join(",", plan.credentials()), ranges, address);
  }

  private static Decision decideAddress(String credentialId, String rule,
      List<AddressRange> allowed, InetAddress address) {
    AddressClass addressClass = AddressClass.classify(address);
    if (addressClass == AddressClass.PUBLIC) {
      return Decision.allow(credentialId, "", "public address");
    }
    for (AddressRange range : allowed) {
      if (range.contains(address)) {
        return Decision.allow(credentialId, rule,
            addressClass.label() + " address allowed by allow_addresses " + range);
      }
    }
    return Decision.deny(DenyCode.ADDRESS_NOT_ALLOWED, Mode.ENFORCE, credentialId, rule,
        "the upstream resolves to a " + addressClass.label() + " address, which is not allowed");
  }

  /** Every credential some grant gives the agent, sorted. */
  public List<String> grantedCredentials(String agent, String tenant, Set<String> groups) {
    TreeSet<String> granted = new TreeSet<>();
    addGranted(List.copyOf(grantsByCredential.keySet()), agent, tenant, groups, granted);
    return List.copyOf(granted);
  }

  /**
   * The route that sends {@code credentialId} to where {@code target} points (same scheme, host
   * and port, the path under the base path), so that a forward-proxy request to an LLM API is
   * read, metered and budgeted as that route's calls are. On a route with targets each target is
   * matched with its own credential and upstream, and the match names it. The longest base path
   * wins; of equal ones, the first route in the policy and its first target. Empty path segments
   * ({@code //}) are merged first, as most servers merge them: a doubled slash takes no request
   * out of its route, nor into another.
   */
  public Optional<RouteMatch> routeFor(String credentialId, Target target) {
    String path = mergeSlashes(target.path());
    RouteMatch best = null;
    int bestLength = -1;
    for (Route route : routesInOrder) {
      if (!route.routing().chained()) {
        int length = baseLength(route.credentialId(), route.upstream(), credentialId, target, path);
        if (length > bestLength) {
          best = new RouteMatch(route, Optional.empty());
          bestLength = length;
        }
      }
      for (RouteTarget each : route.routing().targets()) {
        int length = baseLength(each.credentialId(), each.upstream(), credentialId, target, path);
        if (length > bestLength) {
          best = new RouteMatch(route, Optional.of(each));
          bestLength = length;
        }
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * The length of {@code base}'s path when {@code credential} sent to {@code base} serves a
   * request with {@code credentialId} to {@code target} (its path merged), else -1.
   */
  private static int baseLength(String credential, Target base, String credentialId,
      Target target, String path) {
    String prefix = base.path();
    boolean under = prefix.equals("/") || path.equals(prefix) || path.startsWith(prefix + "/");
    return credential.equals(credentialId) && base.scheme().equals(target.scheme())
        && base.host().equals(target.host()) && base.port() == target.port() && under
        ? prefix.length() : -1;
  }

  private static String mergeSlashes(String path) {
    return path.indexOf("//") < 0 ? path : path.replaceAll("/{2,}", "/");
  }

  /** The egress rules, in the order the policy lists them. */
  public List<EgressRule> egress() {
    return egress;
  }

  /**
   * What the forward proxy does with a connection the agent asks for to {@code host:port} over
   * {@code scheme}: intercept it when credentials granted to the agent may be sent there (their
   * domains, ports and scheme allow it); else tunnel it when an egress rule allows the host and
   * port and no deny rule names it; else refuse it ({@code egress_denied}: egress is deny by
   * default).
   */
  public ForwardPlan forwardPlan(String agent, String tenant, Set<String> groups, String scheme,
      String normalizedHost, int port) {
    List<String> applicable = new ArrayList<>();
    for (String id : credentialsFor(agent, tenant, groups, normalizedHost).candidates()) {
      CredentialRule credential = credentials.get(id);
      if (credential.allowedPorts().contains(port)
          && (scheme.equals("https") || credential.allowInsecureHttp())) {
        applicable.add(id);
      }
    }
    String where = normalizedHost + ":" + port;
    if (!applicable.isEmpty()) {
      return new ForwardPlan(ForwardPlan.Kind.INTERCEPT, Decision.allow("", "",
          "credentials " + applicable + " apply to " + where + ": intercepted"), applicable,
          Optional.empty());
    }
    for (EgressRule rule : egress) {
      if (!rule.allow() && rule.matches(normalizedHost)) {
        return refuseEgress(rule.name(), where + " is refused by " + rule.name());
      }
    }
    EgressRule hostOnly = null;
    for (EgressRule rule : egress) {
      if (rule.allow() && rule.matches(normalizedHost)) {
        if (rule.ports().contains(port)) {
          return new ForwardPlan(ForwardPlan.Kind.TUNNEL, Decision.allow("", rule.name(),
              where + " is allowed by " + rule.name() + "; tunnelled without a key"), List.of(),
              Optional.of(rule));
        }
        hostOnly = hostOnly == null ? rule : hostOnly;
      }
    }
    if (hostOnly != null) {
      return refuseEgress(hostOnly.name(), "port " + port + " is not in the ports of "
          + hostOnly.name());
    }
    return refuseEgress("", "no credential granted to agent '" + agent + "' of tenant '" + tenant
        + "' applies to " + where + " and no egress rule allows it (egress is deny by default)");
  }

  private static ForwardPlan refuseEgress(String rule, String reason) {
    return new ForwardPlan(ForwardPlan.Kind.REFUSE,
        Decision.deny(DenyCode.EGRESS_DENIED, Mode.ENFORCE, "", rule, reason), List.of(),
        Optional.empty());
  }

  /**
   * Decides a forward-proxy request that carries no placeholder: it goes without a key, where the
   * forward plan for its target lets it go at all. On a host intercepted because credentials
   * granted to the agent apply to it, the grants of those credentials still bound the request:
   * some grant must allow its method and path, as it would with the key (a grant's report mode
   * applies as there). An egress host has no grant to bound it.
   */
  public Decision decideWithoutKey(String agent, String tenant, Set<String> groups,
      Target target, String method) {
    ForwardPlan plan = forwardPlan(agent, tenant, groups, target.scheme(), target.host(),
        target.port());
    return switch (plan.kind()) {
      case INTERCEPT -> withoutKeyWhereGranted(agent, tenant, groups, target, method, plan);
      case TUNNEL -> plan.decision();
      case REFUSE -> plan.decision();
    };
  }

  private Decision withoutKeyWhereGranted(String agent, String tenant, Set<String> groups,
      Target target, String method, ForwardPlan plan) {
    Decision relaxed = null;
    Decision denial = null;
    for (String id : plan.credentials()) {
      Decision check = checkGrants(new DecisionRequest(agent, tenant, groups, id, target, method),
          target.path());
      if (check.effect() == Decision.Effect.ALLOW) {
        return Decision.allow("", check.rule(), "no placeholder: sent to " + target.host()
            + " without a key; " + check.reason());
      }
      if (check.allowed() && relaxed == null) {
        relaxed = check;
      } else if (!check.allowed() && denial == null) {
        denial = check;
      }
    }
    Decision chosen = relaxed != null ? relaxed : denial;
    return new Decision(chosen.effect(), chosen.code(), "no placeholder: " + chosen.reason(), "",
        chosen.rule());
  }

  /**
   * The refusal of a request that carries the placeholder of {@code credentialId} to a host the
   * credential may not be sent to (or the placeholder of no credential granted to the agent):
   * what exfiltration looks like. Never relaxed by report mode.
   */
  public Decision placeholderWrongHost(String credentialId, String normalizedHost, String why) {
    return Decision.deny(DenyCode.PLACEHOLDER_WRONG_HOST, Mode.ENFORCE, credentialId,
        credentialId, why + "; it is not swapped for " + normalizedHost);
  }

  /** True when the credential, or the route, limits the models a request may use. */
  public boolean limitsModels(String credentialId, Optional<Route> route) {
    CredentialRule credential = credentials.get(credentialId);
    return (credential != null && !credential.models().isEmpty())
        || route.map(r -> !r.llm().models().isEmpty()).orElse(false);
  }

  /**
   * Decides the models of an LLM request: the one the agent asked for and the one sent upstream
   * (after tiers and aliases) must each be allowed by the credential's {@code models} and the
   * route's, where set. Report mode never relaxes it.
   */
  public Decision decideModel(String credentialId, Optional<Route> route, String requested,
      String sent) {
    CredentialRule credential = credentials.get(credentialId);
    Set<String> byCredential = credential == null ? Set.of() : credential.models();
    Set<String> byRoute = route.map(r -> r.llm().models()).orElse(Set.of());
    for (String model : requested.equals(sent) ? List.of(sent) : List.of(requested, sent)) {
      String which = model.equals(requested) ? "requested" : "sent upstream";
      if (!byCredential.isEmpty() && !byCredential.contains(model)) {
        return Decision.deny(DenyCode.MODEL_NOT_ALLOWED, Mode.ENFORCE, credentialId, credentialId,
            "model '" + model + "' (" + which + ") is not in the models of credential '"
                + credentialId + "'");
      }
      if (!byRoute.isEmpty() && !byRoute.contains(model)) {
        String name = route.get().name();
        return Decision.deny(DenyCode.MODEL_NOT_ALLOWED, Mode.ENFORCE, credentialId, name,
            "model '" + model + "' (" + which + ") is not in the models of route '" + name + "'");
      }
    }
    return Decision.allow(credentialId, "", "model '" + sent + "' allowed");
  }

  /**
   * Decides the model {@code target} of a route with targets sends for a call that asked for
   * {@code requested}, which the route turned into {@code routeModel} (tier, then alias): the
   * target must map it (a target with an alias map serves only the models it names), and the
   * model asked for and the model sent must be allowed by the target's credential and the route.
   *
   * @param sent what the target sends ({@link ModelMapping#toSend}); empty when it does not map
   *     the model
   */
  public Decision decideTargetModel(Route route, RouteTarget target, String requested,
      String routeModel, Optional<String> sent) {
    if (sent.isEmpty()) {
      return Decision.deny(DenyCode.MODEL_NOT_ALLOWED, Mode.ENFORCE, target.credentialId(),
          route.name(), "target '" + target.name() + "' of route '" + route.name()
              + "' serves only the models its model map names, not '" + routeModel + "'");
    }
    return decideModel(target.credentialId(), Optional.of(route), requested, sent.get());
  }

  /**
   * The denial of a request whose model a model allowlist would need but Keyward cannot read: an
   * explicit target, or a write to an endpoint that is not a metered one.
   */
  public Decision modelUnreadable(String credentialId, String why) {
    return Decision.deny(DenyCode.MODEL_NOT_ALLOWED, Mode.ENFORCE, credentialId, credentialId,
        "credential '" + credentialId + "' has a model allowlist, which cannot be enforced on "
            + why + "; use a route with an api and one of its model endpoints");
  }

  /** The denial of an explicit target that no credential granted to the agent may be sent to. */
  public Decision noCredentialFor(String agent, String tenant, String normalizedHost) {
    return Decision.deny(DenyCode.DOMAIN_NOT_ALLOWED, Mode.ENFORCE, "", "",
        "no credential granted to agent '" + agent + "' of tenant '" + tenant
            + "' may be sent to " + normalizedHost);
  }

  /**
   * Decides whether the key as stored may be used for {@code target}: it must be enabled, and
   * its own allowed domains (set by whoever stored it, checked besides the policy's) must include
   * the host. Report mode never relaxes either.
   *
   * @param storedDomains the stored key's allowed domains
   */
  public Decision decideStoredKey(String credentialId, int version, boolean disabled,
      List<DomainPattern> storedDomains, Target target) {
    if (disabled) {
      return Decision.deny(DenyCode.CREDENTIAL_DISABLED, Mode.ENFORCE, credentialId, "",
          "the stored credential '" + credentialId + "' (version " + version + ") is disabled");
    }
    for (DomainPattern pattern : storedDomains) {
      if (pattern.matches(target.host())) {
        return Decision.allow(credentialId, "", "the stored credential allows " + target.host());
      }
    }
    return Decision.deny(DenyCode.CREDENTIAL_DOMAIN_MISMATCH, Mode.ENFORCE, credentialId, "",
        "the stored credential '" + credentialId + "' (version " + version + ") may only be sent"
            + " to " + storedDomains + ", not " + target.host());
  }

  private static Decision checkCredential(CredentialRule credential, Target target) {
    String id = credential.id();
    if (!target.isHttps() && !credential.allowInsecureHttp()) {
      return Decision.deny(DenyCode.SCHEME_NOT_ALLOWED, credential.mode(), id, id,
          "credential '" + id + "' may only be sent over https");
    }
    if (!credential.allowsHost(target.host())) {
      return Decision.deny(DenyCode.DOMAIN_NOT_ALLOWED, credential.mode(), id, id,
          "host " + target.host() + " is not in the allowed domains of credential '" + id + "'");
    }
    if (!credential.allowedPorts().contains(target.port())) {
      return Decision.deny(DenyCode.PORT_NOT_ALLOWED, credential.mode(), id, id,
          "port " + target.port() + " is not allowed for credential '" + id + "'");
    }
    return null;
  }

  private Decision checkGrants(DecisionRequest request, String path) {
    String id = request.credentialId();
    Decision reportDenial = null;
    Decision enforceDenial = null;
    for (Grant grant : grantsByCredential.getOrDefault(id, List.of())) {
      if (!grant.appliesTo(request.agent(), request.tenant(), request.groups())) {
        continue;
      }
      Decision denial;
      if (!grant.allowsMethod(request.method())) {
        denial = Decision.deny(DenyCode.METHOD_NOT_ALLOWED, grant.mode(), id, grant.name(),
            "method " + request.method() + " is not allowed by grant '" + grant.name() + "'");
      } else if (!grant.allowsPath(path)) {
        denial = Decision.deny(DenyCode.PATH_NOT_ALLOWED, grant.mode(), id, grant.name(),
            "path " + path + " is not allowed by grant '" + grant.name() + "'");
      } else {
        return Decision.allow(id, grant.name(), "allowed by grant '" + grant.name() + "'");
      }
      if (grant.mode() == Mode.REPORT && reportDenial == null) {
        reportDenial = denial;
      } else if (grant.mode() == Mode.ENFORCE && enforceDenial == null) {
        enforceDenial = denial;
      }
    }
    if (reportDenial != null) {
      return reportDenial;
    }
    if (enforceDenial != null) {
      return enforceDenial;
    }
    return Decision.deny(DenyCode.NO_GRANT, Mode.ENFORCE, id, "",
        "no grant lets agent '" + request.agent() + "' of tenant '" + request.tenant()
            + "' use credential '" + id + "'");
  }
}
