package dev.keyward.policies;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document read into a small tree that remembers where each node came from, so validation
 * can point at {@code file:line:column}. Duplicate keys are reported, not silently overwritten.
 * The policy and Keyward's configuration file are both read this way.
 */
public final class YamlTree {

  private static final YAMLFactory FACTORY = YAMLFactory.builder().build();

  public record Location(int line, int column) {}

  public sealed interface Node permits MapNode, ListNode, ScalarNode {
    Location location();
  }

  public record Field(String name, Location keyLocation, Node value) {}

  public record MapNode(Location location, Map<String, Field> fields) implements Node {}

  public record ListNode(Location location, List<Node> items) implements Node {}

  public enum Kind { STRING, NUMBER, BOOLEAN, NULL }

  public record ScalarNode(Location location, String text, Kind kind) implements Node {}

  /** A problem found while reading, reported by the caller with its source name. */
  public record Problem(Location location, String message) {}

  private final List<Problem> problems = new ArrayList<>();

  private YamlTree() {}

  /**
   * Reads {@code text}; syntax errors and duplicate keys go to {@code problems}. Returns null when
   * the document could not be read at all.
   */
  public static Node parse(String text, List<Problem> problems) {
    YamlTree tree = new YamlTree();
    try (JsonParser parser = FACTORY.createParser(text)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        return new MapNode(new Location(1, 1), Map.of());
      }
      Node root = tree.read(parser);
      problems.addAll(tree.problems);
      return root;
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String message = e.getOriginalMessage().lines().findFirst().orElse("invalid YAML");
      problems.addAll(tree.problems);
      problems.add(new Problem(at == null ? new Location(0, 0) : location(at),
          "not valid YAML: " + message));
      return null;
    } catch (IOException e) {
      problems.add(new Problem(new Location(0, 0), "could not read the document"));
      return null;
    }
  }

  private Node read(JsonParser parser) throws IOException {
    Location at = location(parser.currentTokenLocation());
    JsonToken token = parser.currentToken();
    switch (token) {
      case START_OBJECT -> {
        Map<String, Field> fields = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          Location keyAt = location(parser.currentTokenLocation());
          parser.nextToken();
          Node value = read(parser);
          if (fields.containsKey(name)) {
            problems.add(new Problem(keyAt, "duplicate key '" + name + "'"));
          } else {
            fields.put(name, new Field(name, keyAt, value));
          }
        }
        return new MapNode(at, fields);
      }
      case START_ARRAY -> {
        List<Node> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          items.add(read(parser));
        }
        return new ListNode(at, items);
      }
      case VALUE_STRING -> {
        return new ScalarNode(at, parser.getText(), Kind.STRING);
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return new ScalarNode(at, parser.getText(), Kind.NUMBER);
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return new ScalarNode(at, parser.getText(), Kind.BOOLEAN);
      }
      case VALUE_NULL -> {
        return new ScalarNode(at, "", Kind.NULL);
      }
      default -> {
        problems.add(new Problem(at, "unsupported YAML construct"));
        return new ScalarNode(at, "", Kind.NULL);
      }
    }
  }

  private static Location location(JsonLocation location) {
    return new Location(location.getLineNr(), location.getColumnNr());
  }
}
