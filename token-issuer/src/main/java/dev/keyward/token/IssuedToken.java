package dev.keyward.token;

/**
 * A freshly minted token and its claims. {@link #toString()} never shows the token itself.
 *
 * @param token the compact JWT, to hand to the agent and nowhere else
 */
public record IssuedToken(String token, PlatformToken claims) {

  @Override
  public String toString() {
    return "IssuedToken[token=****, claims=" + claims + "]";
  }
}
