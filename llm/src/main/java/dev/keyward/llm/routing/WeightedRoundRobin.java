package dev.keyward.llm.routing;

/**
 * Picks one of several targets by static weights, the way nginx's smooth weighted round-robin
 * does: every pick adds each target's weight to its running credit, takes the target with the most
 * credit (the earliest of equals) and takes the total of the weights from its credit. Over any
 * run of {@code sum(weights)} picks, each target is picked exactly {@code weight} times, spread
 * out rather than in blocks: weights 3 and 1 give A, A, B, A, then again. Deterministic: the same
 * weights from the same start give the same sequence. Thread-safe; one per route and replica.
 */
public final class WeightedRoundRobin {

  private long[] credit = new long[0];

  /**
   * The index of the next pick among {@code weights} (not negative); -1 when every weight is 0.
   * Different weights than last time (a reloaded policy) start the sequence afresh.
   */
  public synchronized int next(int[] weights) {
    if (credit.length != weights.length) {
      credit = new long[weights.length];
    }
    long total = 0;
    int best = -1;
    for (int i = 0; i < weights.length; i++) {
      if (weights[i] <= 0) {
        credit[i] = 0;
        continue;
      }
      credit[i] += weights[i];
      total += weights[i];
      if (best < 0 || credit[i] > credit[best]) {
        best = i;
      }
    }
    if (best >= 0) {
      credit[best] -= total;
    }
    return best;
  }
}
