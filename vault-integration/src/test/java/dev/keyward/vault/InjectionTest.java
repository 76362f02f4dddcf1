package dev.keyward.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InjectionTest {

  @Test
  void basicCredentialsRenderAsTheBase64OfUserColonSecret() {
    String value = Injection.basic("x-access-token").render("ghp_abc");
    assertTrue(value.startsWith("Basic "), value);
    assertEquals("x-access-token:ghp_abc", new String(Base64.getDecoder()
        .decode(value.substring("Basic ".length())), StandardCharsets.UTF_8));
  }

  @Test
  void basicCredentialsNeedAUserWithoutAColonBeforeTheSecret() {
    assertThrows(IllegalArgumentException.class,
        () -> new Injection(Injection.Location.BASIC, "Authorization", "{secret}", Map.of()));
    assertThrows(IllegalArgumentException.class,
        () -> new Injection(Injection.Location.BASIC, "Authorization", "a:b:{secret}", Map.of()));
  }

  @Test
  void placeholdersAreRecognisedInsideLongerText() {
    String placeholder = Placeholders.generate();
    assertTrue(Placeholders.isPlaceholder(placeholder));
    assertEquals(java.util.List.of(placeholder),
        Placeholders.findIn("Bearer " + placeholder + " trailing"));
    assertEquals(java.util.List.of(), Placeholders.findIn("kw_ph_short"));
  }
}
