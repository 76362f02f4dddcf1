package dev.keyward.proxy.budget;

import dev.keyward.llm.budget.Refusal;
import java.util.Objects;

/** The answer to a reservation: admitted with a handle to settle, or refused with the reason. */
public sealed interface Admission {

  /** Every budget took the request; settle or release the reservation when the call ends. */
  record Admitted(Reservation reservation) implements Admission {
    public Admitted {
      Objects.requireNonNull(reservation, "reservation");
    }
  }

  /** A budget refused: {@code 429} with {@link Refusal#errorCode()} and {@code Retry-After}. */
  record Refused(Refusal refusal) implements Admission {
    public Refused {
      Objects.requireNonNull(refusal, "refusal");
    }
  }
}
