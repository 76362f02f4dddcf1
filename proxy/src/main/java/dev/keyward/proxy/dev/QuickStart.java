package dev.keyward.proxy.dev;

import java.nio.file.Path;

/** The ready-to-paste steps {@code keyward dev} prints once it is listening. */
public final class QuickStart {

  private QuickStart() {}

  /**
   * @param launcher how the user runs Keyward, e.g. {@code ./keyward}
   * @param baseUrl where Keyward listens, e.g. {@code http://127.0.0.1:8080}
   * @param demo whether the {@code demo} route to the fake provider is there: then the quick
   *     start begins with a call that needs no provider key
   */
  public static String text(String launcher, Path dataDir, String baseUrl, String adminUrl,
      boolean firstRun, boolean demo) {
    String dir = quote(dataDir.toAbsolutePath().toString());
    String tokenIssue = launcher + " token issue --data-dir " + dir
        + " --agent my-agent --tenant default";
    String firstCall = demo
        ? String.join("\n",
            "First call, no provider key needed: the `demo` route goes to Keyward's built-in",
            "fake provider (OpenAI-, Anthropic- and Gemini-compatible, on loopback).",
            "In another terminal:",
            "",
            "  curl -sS " + baseUrl + "/r/" + DemoProvider.ROUTE + "/chat/completions"
                + " -H \"Authorization: Bearer $(" + tokenIssue + ")\""
                + " -H 'Content-Type: application/json'"
                + " -d '{\"model\":\"gpt-5-mini\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Say hi\"}]}'",
            "",
            "Then with a real provider:")
        : String.join("\n",
            "(This data directory's policy has no `demo` route to the built-in fake provider;"
                + " a new data directory has one: " + launcher + " dev --data-dir keyward-demo)",
            "",
            "Quick start, in another terminal:");
    return String.join("\n",
        "Keyward is listening on " + baseUrl + " (admin API on " + adminUrl + ")",
        "Data directory: " + dataDir.toAbsolutePath() + (firstRun ? " (created now)" : ""),
        "",
        consoleLine(launcher, dir, adminUrl),
        "",
        firstCall,
        "",
        "  # 1. Store a provider key. It is read from stdin, never from the command line.",
        "  printf '%s' \"$OPENROUTER_API_KEY\" | " + launcher + " credential put openrouter"
            + " --data-dir " + dir + " --allowed-domain openrouter.ai"
            + " --allowed-domain '*.openrouter.ai' --secret-stdin",
        "",
        "  # 2. Mint a platform token for an agent (valid 15 minutes).",
        "  export KEYWARD_TOKEN=$(" + tokenIssue + ")",
        "",
        "  # 3. Call OpenRouter through Keyward: the agent holds only the platform token.",
        "  curl -sS " + baseUrl + "/r/openrouter/chat/completions"
            + " -H \"Authorization: Bearer $KEYWARD_TOKEN\" -H 'Content-Type: application/json'"
            + " -d '{\"model\":\"openai/gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
            + "\"content\":\"Say hi\"}]}'",
        "",
        "  # 4. See what was decided, from the audit trail (through the admin API).",
        "  " + launcher + " operator token --data-dir " + dir + " --name me --role auditor"
            + " > operator.token",
        "  " + launcher + " audit query --admin-url " + adminUrl
            + " --operator-token-file operator.token --since 1h",
        "",
        "  # OpenAI-compatible SDKs: base_url=\"" + baseUrl + "/r/openrouter\","
            + " api_key=$KEYWARD_TOKEN" + (demo ? " (or base_url=\"" + baseUrl + "/r/"
            + DemoProvider.ROUTE + "\" for the fake provider, Anthropic's SDK too)" : ""),
        "");
  }

  /** Where the web console is, and the token to sign in with; nothing when the admin is off. */
  private static String consoleLine(String launcher, String dir, String adminUrl) {
    if (!adminUrl.startsWith("http")) {
      return "(The web console is off with the admin API.)";
    }
    return "Web console: " + adminUrl + "/console (sign in with a token from: " + launcher
        + " operator token --data-dir " + dir + " --name me --role operator)";
  }

  private static String quote(String path) {
    return path.matches("[A-Za-z0-9_./-]+") ? path : "'" + path.replace("'", "'\\''") + "'";
  }
}
