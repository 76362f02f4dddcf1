package dev.keyward.token;

/** A value read from the shared store, with the store version it came from (for check-and-set). */
public record Versioned<T>(int version, T value) {}
