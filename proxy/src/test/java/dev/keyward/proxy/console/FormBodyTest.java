package dev.keyward.proxy.console;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.keyward.vault.Secret;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FormBodyTest {

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void fieldsArePercentAndPlusDecoded() {
    try (FormBody form = FormBody.parse(bytes("id=open+router&note=a%2Cb%26c&empty=&flag"))) {
      assertEquals("open router", form.get("id"));
      assertEquals("a,b&c", form.get("note"));
      assertEquals("", form.get("empty"));
      assertEquals("", form.get("flag"));
      assertEquals("", form.get("missing"));
    }
  }

  @Test
  void textIsUtf8() {
    try (FormBody form = FormBody.parse(bytes("name=%C3%A9t%C3%A9"))) {
      assertEquals("été", form.get("name"));
    }
  }

  @Test
  void theSecretBecomesASecretAndTheBodyIsOverwritten() {
    byte[] body = bytes("csrf=x&secret=sk-abc%2Bdef&id=k");
    try (FormBody form = FormBody.parse(body)) {
      Secret secret = form.secret().orElseThrow();
      assertTrue(secret.equalsSecret(Secret.copyOf(bytes("sk-abc+def"))));
      assertEquals("", form.get("secret"));
      assertEquals("k", form.get("id"));
    }
    assertArrayEquals(new byte[body.length], body);
  }

  @Test
  void aPastedKeyLosesTheSpaceAndLineBreakAroundIt() {
    try (FormBody form = FormBody.parse(bytes("secret=+sk-abc%0D%0A"))) {
      assertTrue(form.secret().orElseThrow().equalsSecret(Secret.copyOf(bytes("sk-abc"))));
    }
  }

  @Test
  void closingTheFormDestroysTheSecret() {
    FormBody form = FormBody.parse(bytes("secret=sk-abc"));
    Secret secret = form.secret().orElseThrow();
    form.close();
    assertFalse(secret.equalsSecret(Secret.copyOf(bytes("sk-abc"))));
  }

  @Test
  void anEmptySecretIsNoSecret() {
    try (FormBody form = FormBody.parse(bytes("secret=&id=x"))) {
      assertTrue(form.secret().isEmpty());
    }
  }

  @Test
  void aBrokenEscapeIsRefusedAndTheBodyStillOverwritten() {
    byte[] body = bytes("secret=sk-1&id=%4");
    assertThrows(IllegalArgumentException.class, () -> FormBody.parse(body));
    assertArrayEquals(new byte[body.length], body);
    assertThrows(IllegalArgumentException.class, () -> FormBody.parse(bytes("id=%zz")));
  }
}
