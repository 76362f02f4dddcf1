package dev.keyward.bench;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.keyward.vault.CredentialMetadata;
import dev.keyward.vault.CredentialSpec;
import dev.keyward.vault.DataKey;
import dev.keyward.vault.Injection;
import dev.keyward.vault.SealedCredential;
import dev.keyward.vault.Sealer;
import dev.keyward.vault.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Stage 4. {@code perRequest}: what every request pays, the data key already unwrapped and cached
 * (AES-256-GCM decrypt of the key, then zeroing it). {@code onCacheLoad}: what a cache load adds
 * with a local KEK (unwrap the data key, then decrypt); with Vault Transit the unwrap is a network
 * call instead, once per credential version per replica.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class UnsealBench {

  private Sealer sealer;
  private SealedCredential credential;
  private DataKey dataKey;

  @Setup
  public void setUp() throws GeneralSecurityException {
    AeadConfig.register();
    Aead kek = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(RegistryConfiguration.get(), Aead.class);
    sealer = new Sealer(kek);
    CredentialSpec spec = new CredentialSpec("acme", "openrouter", "openrouter",
        Injection.bearer(), List.of("openrouter.ai"), List.of(), Map.of());
    Secret secret = Secret.copyOf(("sk-or-v1-" + "0123456789abcdef".repeat(4))
        .getBytes(StandardCharsets.US_ASCII));
    credential = new SealedCredential(
        new CredentialMetadata(spec, 1, "bench", Instant.now(), false, ""),
        sealer.seal(secret, spec, 1));
    dataKey = sealer.openDataKey(credential);
  }

  @Benchmark
  public int perRequest() throws GeneralSecurityException {
    try (Secret secret = dataKey.decrypt(credential)) {
      return secret.length();
    }
  }

  @Benchmark
  public int onCacheLoad() throws GeneralSecurityException {
    try (Secret secret = sealer.unseal(credential)) {
      return secret.length();
    }
  }
}
