package dev.keyward.proxy.console;

import java.util.List;

/**
 * What every page's frame shows: the title, the navigation with the current section, who is
 * signed in with which role, the CSRF token for the page's forms, and a message from the last
 * change. {@code operator} is empty on the sign-in page.
 */
public record Frame(String title, String section, String operator, String role,
    boolean canChange, String csrf, String flash) {

  /** One entry of the navigation. */
  public record NavItem(String href, String label, boolean active) {}

  private static final List<String[]> SECTIONS = List.of(
      new String[] {"audit", "/console/audit", "Audit trail"},
      new String[] {"report", "/console/report", "Key access"},
      new String[] {"credentials", "/console/credentials", "Credentials"},
      new String[] {"agents", "/console/agents", "Agents & tokens"},
      new String[] {"usage", "/console/usage", "Usage & budgets"},
      new String[] {"routing", "/console/routing", "Routing"});

  /** The frame of the sign-in page and of pages shown without a session. */
  public static Frame signedOut(String title) {
    return new Frame(title, "", "", "", false, "", null);
  }

  public boolean signedIn() {
    return !operator.isEmpty();
  }

  public List<NavItem> nav() {
    return SECTIONS.stream().map(s -> new NavItem(s[1], s[2], s[0].equals(section))).toList();
  }
}
