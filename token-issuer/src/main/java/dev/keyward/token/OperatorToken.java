package dev.keyward.token;

import java.time.Instant;

/** The verified claims of an operator token. Holds no token text. */
public record OperatorToken(String name, Role role, String jti, Instant expiresAt) {}
