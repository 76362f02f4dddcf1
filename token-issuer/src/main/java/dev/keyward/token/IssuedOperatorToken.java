package dev.keyward.token;

/** A freshly minted operator token. {@link #toString()} never shows the token itself. */
public record IssuedOperatorToken(String token, OperatorToken claims) {

  @Override
  public String toString() {
    return "IssuedOperatorToken[token=****, claims=" + claims + "]";
  }
}
