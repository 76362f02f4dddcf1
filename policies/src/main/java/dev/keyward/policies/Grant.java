package dev.keyward.policies;

import java.util.List;
import java.util.Set;

/**
 * Who may use which credentials, how. A grant applies to an agent as every {@link
 * SubjectSelection} does: every subject list it names matches (agents, tenants, groups); within a
 * list any entry matches. Empty method and path lists allow any method and path.
 *
 * @param pathPrefixes segment-aware prefixes of the upstream path: {@code /v1/chat} matches {@code
 *     /v1/chat} and {@code /v1/chat/completions}, not {@code /v1/chatbot}
 */
public record Grant(
    String name,
    Set<String> agents,
    Set<String> tenants,
    Set<String> groups,
    Set<String> credentials,
    Set<String> methods,
    List<String> pathPrefixes,
    Mode mode) implements SubjectSelection {

  public Grant {
    agents = Set.copyOf(agents);
    tenants = Set.copyOf(tenants);
    groups = Set.copyOf(groups);
    credentials = Set.copyOf(credentials);
    methods = Set.copyOf(methods);
    pathPrefixes = List.copyOf(pathPrefixes);
  }

  boolean allowsMethod(String method) {
    return methods.isEmpty() || methods.contains(method);
  }

  boolean allowsPath(String path) {
    if (pathPrefixes.isEmpty()) {
      return true;
    }
    for (String prefix : pathPrefixes) {
      if (path.startsWith(prefix)
          && (path.length() == prefix.length() || prefix.endsWith("/")
              || path.charAt(prefix.length()) == '/')) {
        return true;
      }
    }
    return false;
  }
}
