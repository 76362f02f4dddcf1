package dev.keyward.policies;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Loads policy documents (YAML) into a {@link PolicySet}. Every problem is reported with its
 * {@code file:line:column} and the fix; an invalid document never yields a policy.
 */
public final class PolicyLoader {

  /** Policy files larger than this are refused before parsing. */
  public static final int MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

  private PolicyLoader() {}

  public static PolicySet load(Path file) throws IOException, InvalidPolicyException {
    if (Files.size(file) > MAX_DOCUMENT_BYTES) {
      throw new InvalidPolicyException(List.of(new PolicyProblem(file.toString(), 0, 0,
          "the policy document is larger than " + MAX_DOCUMENT_BYTES + " bytes")));
    }
    return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
  }

  /**
   * Parses and validates a policy document.
   *
   * @param source the name used in problem reports, usually the file path
   */
  public static PolicySet parse(String source, String text) throws InvalidPolicyException {
    List<YamlTree.Problem> syntax = new ArrayList<>();
    YamlTree.Node root = YamlTree.parse(text, syntax);
    PolicyReader reader = new PolicyReader(source);
    syntax.forEach(p -> reader.problem(p.location(), p.message()));
    PolicySet policy = root == null ? null : reader.read(root, digest(text));
    if (policy == null || !reader.problems().isEmpty()) {
      throw new InvalidPolicyException(reader.problems());
    }
    return policy;
  }

  private static String digest(String text) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }
}
