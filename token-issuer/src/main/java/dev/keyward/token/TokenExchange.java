package dev.keyward.token;

import dev.keyward.policies.Names;
import dev.keyward.vault.KvException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client-credentials exchange: an agent trades its id and secret for a platform token. Failures
 * are counted per agent and per source address; past the limit both are refused for a while. The
 * agent's disabled state is checked only after it proved its secret, so it leaks to no one else.
 *
 * <p>Blocking (reads the agent registry): call from a worker thread.
 */
public final class TokenExchange {

  private static final Logger LOG = LoggerFactory.getLogger(TokenExchange.class);

  /** What the agent asked for; {@code ttl} and {@code purpose} are optional. */
  public record Request(String clientId, String clientSecret, Optional<Duration> ttl,
      Optional<Purpose> purpose) {

    /** Without the secret. */
    @Override
    public String toString() {
      return "Request[clientId=" + clientId + ", clientSecret=****, ttl=" + ttl + ", purpose="
          + purpose + "]";
    }
  }

  private final AgentRegistry agents;
  private final Supplier<TokenIssuer> issuer;
  private final Revocations revocations;
  private final FailureLimiter perAgentAndAddress;
  private final FailureLimiter perAddress;

  /**
   * Failed exchanges are counted per (agent id, source address) pair and per source address, never
   * per agent id alone: anyone who knows an agent's id could otherwise lock the real agent out by
   * failing on purpose. Online guessing of a 256-bit agent secret is hopeless anyway; the limits
   * only slow an address down. The pair's key is a hash, so an id of any length costs the same.
   */
  public TokenExchange(AgentRegistry agents, Supplier<TokenIssuer> issuer, Revocations revocations,
      FailureLimiter perAgentAndAddress, FailureLimiter perAddress) {
    this.agents = agents;
    this.issuer = issuer;
    this.revocations = revocations;
    this.perAgentAndAddress = perAgentAndAddress;
    this.perAddress = perAddress;
  }

  public IssuedToken exchange(Request request, String sourceAddress) throws ExchangeRefusedException {
    if (perAddress.isBlocked(sourceAddress)) {
      throw tooManyFailures();
    }
    if (!Names.isValid(request.clientId())) { // no agent has such an id: nothing to count for it
      perAddress.recordFailure(sourceAddress);
      throw new ExchangeRefusedException(ExchangeError.INVALID_CLIENT);
    }
    String agentKey = pairKey(request.clientId(), sourceAddress);
    if (perAgentAndAddress.isBlocked(agentKey)) {
      throw tooManyFailures();
    }
    Optional<Agent> agent;
    try {
      agent = agents.authenticate(request.clientId(), request.clientSecret());
    } catch (KvException e) {
      LOG.warn("agent registry unavailable: {}", e.getMessage());
      throw new ExchangeRefusedException(ExchangeError.STORE_UNAVAILABLE);
    }
    if (agent.isEmpty()) {
      perAgentAndAddress.recordFailure(agentKey);
      perAddress.recordFailure(sourceAddress);
      throw new ExchangeRefusedException(ExchangeError.INVALID_CLIENT);
    }
    if (revocations.isAgentDisabled(agent.get().id())) {
      throw new ExchangeRefusedException(ExchangeError.AGENT_DISABLED);
    }
    Duration ttl = request.ttl().orElse(TokenIssuer.DEFAULT_TTL);
    if (ttl.compareTo(TokenIssuer.MAX_TTL) > 0) {
      throw new ExchangeRefusedException(ExchangeError.TTL_TOO_LONG, "ttl_seconds "
          + ttl.toSeconds() + " exceeds the maximum of " + TokenIssuer.MAX_TTL.toSeconds(), 0);
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new ExchangeRefusedException(ExchangeError.INVALID_REQUEST,
          "ttl_seconds must be positive", 0);
    }
    TokenIssuer current = issuer.get();
    if (current == null) {
      throw new ExchangeRefusedException(ExchangeError.NOT_ISSUING);
    }
    try {
      return current.issue(new TokenRequest(agent.get().id(), agent.get().tenant(),
          agent.get().groups(), request.purpose(), ttl));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing failed", e);
    }
  }

  private ExchangeRefusedException tooManyFailures() {
    return new ExchangeRefusedException(ExchangeError.TOO_MANY_FAILURES,
        ExchangeError.TOO_MANY_FAILURES.message(), perAddress.window().toSeconds());
  }

  /** A fixed-size key for the pair (128 bits of SHA-256). */
  private static String pairKey(String agentId, String sourceAddress) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((agentId + "\n" + sourceAddress).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
