package dev.keyward.proxy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyCheckCommandTest {

  @TempDir
  Path dir;

  final ByteArrayOutputStream out = new ByteArrayOutputStream();

  int run(String... args) {
    Io io = new Io(InputStream.nullInputStream(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new CountDownLatch(1));
    return Main.run(io, args);
  }

  @Test
  void aValidPolicyExitsZeroWithASummary() throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, """
        credentials:
          - id: openrouter
            allowed_domains: ["openrouter.ai"]
        grants:
          - tenants: [acme]
            credentials: [openrouter]
        """);
    assertEquals(ExitCodes.OK, run("policy", "check", file.toString()));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("OK"));
  }

  @Test
  void anInvalidPolicyPrintsEveryProblemWithItsLocationAndExitsThree() throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, """
        credentials:
          - id: openrouter
            allowed_domain: ["*"]
        grants:
          - tenants: [acme]
            credentials: [nope]
        """);
    assertEquals(ExitCodes.INVALID, run("policy", "check", file.toString()));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains(file + ":3:5: unknown field 'allowed_domain'"), printed);
    assertTrue(printed.contains(file + ":6:19: grant 'grant-1' names unknown credential 'nope'"),
        printed);
  }
}
