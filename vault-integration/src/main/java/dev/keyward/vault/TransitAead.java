package dev.keyward.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.Aead;
import dev.keyward.policies.Names;
import io.github.jopenlibs.vault.response.LogicalResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * A Tink {@link Aead} whose key lives in Vault Transit and never leaves it: encrypt and decrypt
 * are Transit API calls ({@code <mount>/encrypt/<key>}, {@code <mount>/decrypt/<key>}), with the
 * associated data passed as Transit's {@code associated_data} (AES-GCM keys; Vault 1.13 or later).
 * Keyward's counterpart of Google's tink-java-hcvault, which is not on Maven Central. As there,
 * the HTTP status and the shape of every answer are checked too ("belt and braces").
 */
public final class TransitAead implements Aead {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CIPHERTEXT_PREFIX = "vault:v";

  private final VaultSession session;
  private final String mount;
  private final String key;

  public TransitAead(VaultSession session, String mount, String key) {
    this.session = session;
    this.mount = checked(mount, "transit mount");
    this.key = checked(key, "transit key");
  }

  @Override
  public byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
    Map<String, Object> body = new HashMap<>();
    body.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
    putAssociatedData(body, associatedData);
    String ciphertext = post("encrypt", body).path("ciphertext").asText("");
    if (!ciphertext.startsWith(CIPHERTEXT_PREFIX)) {
      throw new GeneralSecurityException("Vault Transit returned no ciphertext");
    }
    return ciphertext.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
    String text = new String(ciphertext, StandardCharsets.UTF_8);
    if (!text.startsWith(CIPHERTEXT_PREFIX)) {
      throw new GeneralSecurityException("not a Vault Transit ciphertext");
    }
    Map<String, Object> body = new HashMap<>();
    body.put("ciphertext", text);
    putAssociatedData(body, associatedData);
    JsonNode plaintext = post("decrypt", body).path("plaintext");
    if (!plaintext.isTextual()) {
      throw new GeneralSecurityException("Vault Transit returned no plaintext");
    }
    return Base64.getDecoder().decode(plaintext.asText());
  }

  /** Adds a new Transit key version; later encryptions use it, older ciphertexts still decrypt. */
  public void rotate() throws KvException {
    String api = mount + "/keys/" + key + "/rotate";
    session.call("Transit key rotation", vault -> {
      LogicalResponse response = vault.logical().write(api, Map.of());
      int status = response.getRestResponse().getStatus();
      if (status == 403) {
        throw new VaultSession.PermissionDeniedException("Transit key rotation", api, "update");
      }
      if (status != 200 && status != 204) {
        throw VaultSession.failure("Transit key rotation", status);
      }
      return null;
    });
  }

  private static void putAssociatedData(Map<String, Object> body, byte[] associatedData) {
    if (associatedData != null && associatedData.length > 0) {
      body.put("associated_data", Base64.getEncoder().encodeToString(associatedData));
    }
  }

  private JsonNode post(String operation, Map<String, Object> body) throws GeneralSecurityException {
    String what = "Transit " + operation;
    String api = mount + "/" + operation + "/" + key;
    try {
      return session.call(what, vault -> {
        LogicalResponse response = vault.logical().write(api, body);
        int status = response.getRestResponse().getStatus();
        if (status == 403) {
          // Encrypt with an unknown key is a create (Transit would make the key): say both.
          throw new VaultSession.PermissionDeniedException(what, api,
              operation.equals("encrypt") ? "update (or create, if the key does not exist)"
                  : "update");
        }
        if (status == 400
            && VaultSession.errorStrings(response).contains("disallowed by policy (too old)")) {
          throw new KvException("Vault " + what + " refused a ciphertext older than the Transit"
              + " key's min_decryption_version (HTTP 400): re-wrap what was sealed under older"
              + " versions (keyward kek rotate) before raising min_decryption_version");
        }
        if (status != 200) {
          throw VaultSession.failure(what, status);
        }
        try {
          return JSON.readTree(response.getRestResponse().getBody()).path("data");
        } catch (IOException e) {
          throw new KvException("Vault " + what + " answered with a body that is not JSON");
        }
      });
    } catch (KvException e) {
      throw new GeneralSecurityException(e.getMessage());
    }
  }

  private static String checked(String value, String what) {
    if (!Names.isValid(value)) {
      throw new IllegalArgumentException(what + " '" + value + "': use " + Names.RULE);
    }
    return value;
  }
}
