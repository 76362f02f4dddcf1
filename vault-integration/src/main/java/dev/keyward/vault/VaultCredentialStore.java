package dev.keyward.vault;

import java.time.Clock;

/**
 * The production credential store: sealed credentials in Vault KV v2 ({@code
 * <mount>/data/<prefix>/credentials/<tenant>/<id>}), one KV version per credential version,
 * check-and-set on every write. With the KEK in Vault Transit, someone who can read the KV mount
 * but not use the Transit key sees only ciphertext.
 */
public final class VaultCredentialStore extends KvCredentialStore {

  public VaultCredentialStore(VaultKvStore kv, Sealer sealer, Clock clock) {
    super(kv, sealer, clock);
  }
}
