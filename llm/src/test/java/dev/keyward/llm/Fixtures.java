package dev.keyward.llm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test fixtures under {@code src/test/resources/fixtures}. */
final class Fixtures {

  private Fixtures() {}

  static byte[] bytes(String name) {
    try {
      return Files.readAllBytes(Path.of("src/test/resources/fixtures", name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
