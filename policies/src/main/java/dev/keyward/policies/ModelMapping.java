package dev.keyward.policies;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a route's target sends as the model: the route's choice unchanged, one fixed model
 * ({@code model: claude-haiku-4-5}: whatever was asked), or the route's choice through an alias
 * map ({@code model: {openai/gpt-5: gpt-5}}). A target with an alias map serves only the models
 * it names: a call for another one skips it (a BYOK provider serves its own models only).
 */
public record ModelMapping(Optional<String> fixed, Map<String, String> aliases) {

  /** The route's model, unchanged. */
  public static final ModelMapping NONE = new ModelMapping(Optional.empty(), Map.of());

  public ModelMapping {
    Objects.requireNonNull(fixed, "fixed");
    aliases = Map.copyOf(aliases);
  }

  public static ModelMapping fixed(String model) {
    return new ModelMapping(Optional.of(model), Map.of());
  }

  public static ModelMapping aliases(Map<String, String> aliases) {
    return new ModelMapping(Optional.empty(), aliases);
  }

  /**
   * The model to send for {@code model}, the one the route chose (tier, then alias); empty when
   * the target's alias map does not name it.
   */
  public Optional<String> toSend(String model) {
    if (fixed.isPresent()) {
      return fixed;
    }
    if (aliases.isEmpty()) {
      return Optional.of(model);
    }
    return Optional.ofNullable(aliases.get(model));
  }
}
