package dev.keyward.vault;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Vault's ACL policies as the double evaluates them, ported from OpenBao's {@code
 * internal/vault/policy/acl.go} and {@code policy.go}: {@code path "…" { capabilities = […] }}
 * stanzas; exact paths, {@code *} prefixes and {@code +} segment wildcards; identity templates
 * resolved per token (a rule whose template cannot be resolved is dropped); rules for the same
 * path merged across policies with {@code deny} winning; and, for a request, the most specific
 * matching rule deciding alone (exact, then the priority order of {@code
 * CheckAllowedFromNonExactPaths}).
 */
final class VaultAcl {

  /** What a request needs on its path, as Vault maps operations to capabilities. */
  enum Capability {
    CREATE, READ, UPDATE, DELETE, LIST, SUDO, PATCH, SCAN, DENY;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One {@code path} stanza as written (maybe templated). */
  record Rule(String path, Set<Capability> capabilities) {}

  /** A named policy: its rules in file order. */
  record Policy(String name, List<Rule> rules) {}

  /** The identity a token's policies are templated with: its entity and its aliases. */
  record Identity(String entityId, String entityName, Map<String, Alias> aliasesByAccessor) {
    static final Identity NONE = new Identity("", "", Map.of());
  }

  /** An entity alias: the name the auth method gave, and its metadata. */
  record Alias(String name, Map<String, String> metadata) {}

  private static final Pattern STANZA = Pattern.compile(
      "path\\s+\"([^\"]+)\"\\s*\\{\\s*capabilities\\s*=\\s*\\[([^\\]]*)\\]\\s*}", Pattern.MULTILINE);
  private static final Pattern TEMPLATE = Pattern.compile("\\{\\{\\s*([^}\\s]+)\\s*}}");

  private VaultAcl() {}

  /** Parses a policy file's text; anything but path stanzas and comments is refused. */
  static Policy parse(String name, String hcl) {
    String text = stripComments(hcl);
    Matcher matcher = STANZA.matcher(text);
    List<Rule> rules = new ArrayList<>();
    int end = 0;
    while (matcher.find()) {
      if (!text.substring(end, matcher.start()).isBlank()) {
        throw new IllegalArgumentException(name + ": cannot parse '"
            + text.substring(end, matcher.start()).strip() + "'");
      }
      end = matcher.end();
      String path = matcher.group(1);
      if (path.contains("+*")) {
        throw new IllegalArgumentException(name + ": path \"" + path
            + "\": invalid use of wildcards ('+*' is forbidden)");
      }
      Set<Capability> capabilities = EnumSet.noneOf(Capability.class);
      for (String raw : matcher.group(2).split(",")) {
        String capability = raw.strip().replace("\"", "");
        if (!capability.isEmpty()) {
          try {
            capabilities.add(Capability.valueOf(capability.toUpperCase(Locale.ROOT)));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": path \"" + path
                + "\": invalid capability '" + capability + "'");
          }
        }
      }
      if (capabilities.contains(Capability.DENY)) {
        capabilities = EnumSet.of(Capability.DENY);
      }
      rules.add(new Rule(path.startsWith("/") ? path.substring(1) : path, capabilities));
    }
    if (!text.substring(end).isBlank()) {
      throw new IllegalArgumentException(name + ": cannot parse '" + text.substring(end).strip()
          + "'");
    }
    return new Policy(name, List.copyOf(rules));
  }

  static Policy load(String name, Path file, Map<String, String> substitutions)
      throws IOException {
    String text = Files.readString(file);
    for (Map.Entry<String, String> s : substitutions.entrySet()) {
      text = text.replace(s.getKey(), s.getValue());
    }
    return parse(name, text);
  }

  private static String stripComments(String hcl) {
    StringBuilder out = new StringBuilder();
    for (String line : hcl.split("\n", -1)) {
      int hash = indexOutsideQuotes(line, '#');
      int slashes = line.indexOf("//");
      int cut = hash < 0 ? slashes : slashes < 0 ? hash : Math.min(hash, slashes);
      out.append(cut < 0 ? line : line.substring(0, cut)).append('\n');
    }
    return out.toString();
  }

  private static int indexOutsideQuotes(String line, char wanted) {
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '"') {
        quoted = !quoted;
      } else if (c == wanted && !quoted) {
        return i;
      }
    }
    return -1;
  }

  /** The merged rules of a token's policies, templated with its identity. */
  static final class Compiled {
    private final Map<String, Set<Capability>> exact = new LinkedHashMap<>();
    private final Map<String, Set<Capability>> prefix = new LinkedHashMap<>();
    private final Map<String, Set<Capability>> segmentWildcards = new LinkedHashMap<>();

    Compiled(Collection<Policy> policies, Identity identity) {
      for (Policy policy : policies) {
        for (Rule rule : policy.rules()) {
          Optional<String> path = template(rule.path(), identity);
          if (path.isEmpty()) {
            continue; // Vault drops a rule whose template does not resolve for this token
          }
          String p = path.get();
          boolean segments = p.equals("+") || p.contains("/+") || p.startsWith("+/");
          Map<String, Set<Capability>> tree;
          if (segments) {
            tree = segmentWildcards;
          } else if (p.endsWith("*")) {
            tree = prefix;
            p = p.substring(0, p.length() - 1);
          } else {
            tree = exact;
          }
          Set<Capability> existing = tree.get(p);
          if (existing == null) {
            tree.put(p, EnumSet.copyOf(rule.capabilities().isEmpty()
                ? EnumSet.noneOf(Capability.class) : rule.capabilities()));
          } else if (existing.contains(Capability.DENY)) {
            // an explicit deny already merged in stays
          } else if (rule.capabilities().contains(Capability.DENY)) {
            existing.clear();
            existing.add(Capability.DENY);
          } else {
            existing.addAll(rule.capabilities());
          }
        }
      }
    }

    /** The capabilities of the most specific rule matching {@code path}; empty when none. */
    Set<Capability> capabilities(String path, boolean list) {
      Set<Capability> found = exact.get(path);
      if (found == null && list) {
        found = exact.get(stripSlash(path));
      }
      if (found == null) {
        found = nonExact(path);
      }
      if (found == null && list && path.endsWith("/")) {
        found = nonExact(stripSlash(path));
      }
      if (found == null || found.contains(Capability.DENY)) {
        return EnumSet.noneOf(Capability.class);
      }
      return found;
    }

    private record Candidate(int firstWildcardOrGlob, boolean isPrefix, int wildcards,
        String path, Set<Capability> capabilities) {}

    private Set<Capability> nonExact(String path) {
      List<Candidate> candidates = new ArrayList<>();
      String longest = null;
      for (String p : prefix.keySet()) {
        if (path.startsWith(p) && (longest == null || p.length() > longest.length())) {
          longest = p;
        }
      }
      if (longest != null) {
        candidates.add(new Candidate(longest.length(), true, 0, longest, prefix.get(longest)));
      }
      String[] parts = path.split("/", -1);
      for (Map.Entry<String, Set<Capability>> entry : segmentWildcards.entrySet()) {
        String full = entry.getKey();
        boolean isPrefix = full.endsWith("*");
        String current = isPrefix ? full.substring(0, full.length() - 1) : full;
        String[] acl = current.split("/", -1);
        if (parts.length < acl.length || !isPrefix && acl.length != parts.length) {
          continue;
        }
        int wildcards = 0;
        boolean matches = true;
        for (int i = 0; i < acl.length && matches; i++) {
          if (acl[i].equals("+")) {
            wildcards++;
          } else if (!acl[i].equals(parts[i])
              && !(isPrefix && i == acl.length - 1 && parts[i].startsWith(acl[i]))) {
            matches = false;
          }
        }
        if (matches) {
          candidates.add(new Candidate(full.indexOf('+'), isPrefix, wildcards, current,
              entry.getValue()));
        }
      }
      // Highest priority last, as in acl.go: later first wildcard, not a prefix, fewer
      // wildcards, longer, then lexicographically greater.
      return candidates.stream().max(Comparator.comparingInt(Candidate::firstWildcardOrGlob)
              .thenComparing(c -> !c.isPrefix())
              .thenComparing(c -> -c.wildcards())
              .thenComparingInt(c -> c.path().length())
              .thenComparing(Candidate::path))
          .map(Candidate::capabilities).orElse(null);
    }

    private static String stripSlash(String path) {
      return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
  }

  /**
   * Resolves {@code {{identity.entity.id}}}, {@code {{identity.entity.name}}} and {@code
   * {{identity.entity.aliases.<mount accessor>.name}}} / {@code .metadata.<key>}; empty when a
   * template names something the token's identity lacks.
   */
  static Optional<String> template(String path, Identity identity) {
    Matcher matcher = TEMPLATE.matcher(path);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      Optional<String> value = resolve(matcher.group(1), identity);
      if (value.isEmpty() || value.get().isEmpty() || value.get().contains("/")
          || value.get().contains("*") || value.get().contains("+")) {
        return Optional.empty(); // Vault refuses slashes and wildcards in substituted values
      }
      matcher.appendReplacement(out, Matcher.quoteReplacement(value.get()));
    }
    matcher.appendTail(out);
    return Optional.of(out.toString());
  }

  private static Optional<String> resolve(String expression, Identity identity) {
    String[] parts = expression.split("\\.");
    if (parts.length >= 3 && parts[0].equals("identity") && parts[1].equals("entity")) {
      if (parts.length == 3 && parts[2].equals("id")) {
        return Optional.of(identity.entityId());
      }
      if (parts.length == 3 && parts[2].equals("name")) {
        return Optional.of(identity.entityName());
      }
      if (parts.length >= 5 && parts[2].equals("aliases")) {
        Alias alias = identity.aliasesByAccessor().get(parts[3]);
        if (alias == null) {
          return Optional.empty();
        }
        if (parts.length == 5 && parts[4].equals("name")) {
          return Optional.of(alias.name());
        }
        if (parts.length == 6 && parts[4].equals("metadata")) {
          return Optional.ofNullable(alias.metadata().get(parts[5]));
        }
      }
    }
    throw new IllegalArgumentException("unsupported template {{" + expression + "}}");
  }
}
