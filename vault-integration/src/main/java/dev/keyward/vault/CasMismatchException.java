package dev.keyward.vault;

/** A check-and-set write lost a race: someone else wrote a newer version first. */
public final class CasMismatchException extends KvException {

  public CasMismatchException(String path, int expected) {
    super("check-and-set failed for " + path + ": expected version " + expected);
  }
}
