package dev.keyward.proxy.config;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.keyward.llm.Spelling;
import dev.keyward.policies.YamlTree.Field;
import dev.keyward.policies.YamlTree.Kind;
import dev.keyward.policies.YamlTree.ListNode;
import dev.keyward.policies.YamlTree.Location;
import dev.keyward.policies.YamlTree.MapNode;
import dev.keyward.policies.YamlTree.Node;
import dev.keyward.policies.YamlTree.Problem;
import dev.keyward.policies.YamlTree.ScalarNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shape of {@code keyward.yaml}, checked against {@link ConfigFile} before anything binds it:
 * every unknown setting (with the likely intended name) and every value of the wrong kind, each
 * at its {@code line:column}, all in one run. Problems found later, while the values are
 * resolved, name their setting ({@code audit.max_file_size: …}); {@link #locate} finds it in the
 * document, so those point at a line too.
 */
final class ConfigShape {

  private static final PropertyNamingStrategies.NamingBase SNAKE_CASE =
      (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
  private static final Pattern SETTING = Pattern.compile("[a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)*");

  private ConfigShape() {}

  /** Adds a problem for every setting of {@code node} that {@code type} does not have as written. */
  static void check(Node node, Class<?> type, String path, List<Problem> problems) {
    if (isNull(node)) {
      return;
    }
    if (!(node instanceof MapNode map)) {
      problems.add(new Problem(node.location(), quoted(path, "the configuration")
          + " must be a mapping of settings"));
      return;
    }
    Map<String, RecordComponent> known = new LinkedHashMap<>();
    for (RecordComponent component : type.getRecordComponents()) {
      known.put(SNAKE_CASE.translate(component.getName()), component);
    }
    for (Field field : map.fields().values()) {
      RecordComponent component = known.get(field.name());
      String setting = path.isEmpty() ? field.name() : path + "." + field.name();
      if (component == null) {
        String suggestion = Spelling.closest(field.name(), known.keySet());
        problems.add(new Problem(field.keyLocation(), "unknown setting '" + setting + "'"
            + (suggestion == null ? "; known here: " + String.join(", ", known.keySet())
                : "; did you mean '" + suggestion + "'?")));
        continue;
      }
      checkValue(field.value(), component.getType(), component.getGenericType(), setting,
          problems);
    }
  }

  private static void checkValue(Node value, Class<?> type, Type generic, String setting,
      List<Problem> problems) {
    if (isNull(value)) {
      return;
    }
    if (type.isRecord()) {
      check(value, type, setting, problems);
    } else if (type == Map.class) {
      if (!(value instanceof MapNode)) {
        problems.add(new Problem(value.location(), "'" + setting + "' must be a mapping"));
      }
    } else if (type == List.class) {
      if (!(value instanceof ListNode list)) {
        problems.add(new Problem(value.location(), "'" + setting + "' must be a list, e.g. [a, b]"));
        return;
      }
      Class<?> element = (Class<?>) ((ParameterizedType) generic).getActualTypeArguments()[0];
      for (Node item : list.items()) {
        checkValue(item, element, element, setting + "[]", problems);
      }
    } else if (!(value instanceof ScalarNode scalar)) {
      problems.add(new Problem(value.location(), "'" + setting + "' must be a single value"));
    } else if (type == Integer.class && !isInteger(scalar)) {
      problems.add(new Problem(value.location(), "'" + setting + "' must be a whole number"));
    } else if (type == Boolean.class && scalar.kind() != Kind.BOOLEAN) {
      problems.add(new Problem(value.location(), "'" + setting + "' must be true or false"));
    } else if (type == String.class && scalar.kind() == Kind.BOOLEAN) {
      problems.add(new Problem(value.location(), "'" + setting + "' must be text, not "
          + scalar.text()));
    }
  }

  /** Where each setting is written: its dotted name to the location of its key. */
  static Map<String, Location> locations(Node root) {
    Map<String, Location> out = new LinkedHashMap<>();
    collect(root, "", out);
    return out;
  }

  private static void collect(Node node, String path, Map<String, Location> out) {
    if (node instanceof MapNode map) {
      for (Field field : map.fields().values()) {
        String setting = path.isEmpty() ? field.name() : path + "." + field.name();
        out.put(setting, field.keyLocation());
        collect(field.value(), setting, out);
      }
    }
  }

  /**
   * Where the setting a problem names is written: the first dotted setting it mentions (or, failing
   * that, the first top-level one), at the deepest part of it the document has. Empty when the
   * document has none of it (a required setting that is missing).
   */
  static Optional<Location> locate(String message, Map<String, Location> locations) {
    Optional<Location> single = Optional.empty();
    Matcher m = SETTING.matcher(message);
    while (m.find()) {
      String setting = m.group();
      boolean dotted = setting.indexOf('.') > 0;
      for (String prefix = setting; !prefix.isEmpty();
          prefix = prefix.contains(".") ? prefix.substring(0, prefix.lastIndexOf('.')) : "") {
        Location at = locations.get(prefix);
        if (at != null) {
          if (dotted) {
            return Optional.of(at);
          }
          if (single.isEmpty()) {
            single = Optional.of(at);
          }
          break;
        }
      }
    }
    return single;
  }

  private static boolean isNull(Node node) {
    return node instanceof ScalarNode scalar && scalar.kind() == Kind.NULL;
  }

  private static boolean isInteger(ScalarNode scalar) {
    return scalar.kind() == Kind.NUMBER && scalar.text().matches("-?[0-9]{1,9}");
  }

  private static String quoted(String path, String whole) {
    return path.isEmpty() ? whole : "'" + path + "'";
  }
}
