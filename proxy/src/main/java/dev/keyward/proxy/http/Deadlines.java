package dev.keyward.proxy.http;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path's timeouts (slow client, maximum duration, first byte, idle) without a Vert.x
 * timer each: every event loop keeps its deadlines in one timer wheel of {@link #TICK} slots.
 * Scheduling and cancelling are a few field writes on the loop's own thread; nearly every deadline
 * is cancelled long before it is due. The wheel is checked only when its earliest deadline may be
 * due (one task scheduled on the loop, moved up when a nearer deadline comes), never on a
 * periodic tick: a quiet loop is not woken 100 times a second, and timeouts of seconds to minutes
 * cost a check every few seconds. A deadline fires on the context that set it, never before it is
 * due, and at most about one tick after (plus whatever else the loop is busy with). From a thread
 * that is not an event loop, a deadline is a Vert.x timer instead.
 */
public final class Deadlines {

  /** The width of a slot of the wheel: the deadlines' precision. */
  public static final Duration TICK = Duration.ofMillis(10);

  private static final long TICK_NANOS = TICK.toNanos();
  private static final Logger LOG = LoggerFactory.getLogger(Deadlines.class);
  /** The wheel of each event loop thread (event loops outlive their wheels' deadlines). */
  private static final FastThreadLocal<Wheel> WHEELS = new FastThreadLocal<>();

  private final Vertx vertx;

  public Deadlines(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Runs {@code action} once {@code delay} has passed, unless the deadline is cancelled first. */
  public Deadline after(Duration delay, Runnable action) {
    Deadline deadline = new Deadline(this, action);
    deadline.restart(delay.toNanos());
    return deadline;
  }

  /** Whether this event loop's wheel has a check scheduled (for tests). */
  static boolean checkingOnThisLoop() {
    Wheel wheel = WHEELS.get();
    return wheel != null && wheel.check != null;
  }

  /** Whether the current thread is an event loop whose wheel may hold a deadline of its own. */
  private static ContextInternal loopContext() {
    ContextInternal context = ContextInternal.current();
    return context != null && context.isEventLoopContext() && context.inThread()
        ? context : null;
  }

  /** One deadline; confined to the thread that set it (cancelling from elsewhere is passed on). */
  public static final class Deadline {

    private final Deadlines owner;
    private final Runnable action;
    private long dueNanos;
    private ContextInternal context;
    private Wheel wheel;
    private Deadline previous;
    private Deadline next;
    private int slot;
    private long timer = -1;
    /** Found due by its wheel's check and about to fire (the loop's thread only). */
    private boolean due;

    private Deadline(Deadlines owner, Runnable action) {
      this.owner = owner;
      this.action = action;
    }

    /** Cancels it if pending, and sets it again {@code delayNanos} from now. */
    public void restart(long delayNanos) {
      cancel();
      ContextInternal current = loopContext();
      if (current == null) {
        timer = owner.vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(delayNanos)),
            id -> {
              timer = -1;
              action.run();
            });
        return;
      }
      context = current;
      dueNanos = System.nanoTime() + delayNanos;
      Wheel loopWheel = WHEELS.get();
      if (loopWheel == null) {
        loopWheel = new Wheel(current.nettyEventLoop());
        WHEELS.set(loopWheel);
      }
      loopWheel.add(this);
    }

    /** It will not fire (unless it already has). */
    public void cancel() {
      if (timer != -1) {
        owner.vertx.cancelTimer(timer);
        timer = -1;
        return;
      }
      Wheel from = wheel;
      if (from == null && !due) {
        return;
      }
      EventLoop loop = from != null ? from.loop : context.nettyEventLoop();
      if (!loop.inEventLoop()) {
        loop.execute(this::cancel);
        return;
      }
      if (due) { // found due with the deadline whose action cancels it: it will not fire
        due = false;
      } else {
        from.remove(this);
      }
    }

    private void fire() {
      context.emit(ignored -> {
        try {
          action.run();
        } catch (RuntimeException e) {
          LOG.error("a deadline's action failed", e);
        }
      });
    }
  }

  /**
   * A hashed wheel of {@code SLOTS} lists, one tick each; a deadline further out than a turn
   * stays in its slot until a later turn finds it due. Checked by one task scheduled on the loop
   * for the next tick whose slot holds a deadline (a bitmap of the slots that do), moved up when
   * a nearer deadline comes; none while the wheel is empty. A slot whose deadlines are a turn or
   * more away costs a check that finds nothing due once a turn (10.24 s).
   */
  private static final class Wheel implements Runnable {

    private static final int SLOTS = 1024;
    private static final int MASK = SLOTS - 1;

    final EventLoop loop;
    private final Deadline[] slots = new Deadline[SLOTS];
    /** Bit {@code i} is set while slot {@code i} holds a deadline. */
    private final long[] occupied = new long[SLOTS / Long.SIZE];
    private final List<Deadline> due = new ArrayList<>();
    /** The last tick whose slot was checked. */
    private long checked;
    /** The scheduled check, for the tick {@link #checkTick}; null while none is. */
    private ScheduledFuture<?> check;
    private long checkTick;

    Wheel(EventLoop loop) {
      this.loop = loop;
      this.checked = Math.floorDiv(System.nanoTime(), TICK_NANOS);
    }

    void add(Deadline deadline) {
      // The first tick at or after the deadline, and never one already checked.
      long tick = Math.max(-Math.floorDiv(-deadline.dueNanos, TICK_NANOS), checked + 1);
      if (check == null || tick - checkTick < 0) {
        checkAt(tick);
      }
      int slot = (int) (tick & MASK);
      occupied[slot >>> 6] |= 1L << slot;
      Deadline head = slots[slot];
      deadline.previous = null;
      deadline.next = head;
      if (head != null) {
        head.previous = deadline;
      }
      slots[slot] = deadline;
      deadline.slot = slot;
      deadline.wheel = this;
    }

    void remove(Deadline deadline) {
      if (deadline.previous != null) {
        deadline.previous.next = deadline.next;
      } else {
        slots[deadline.slot] = deadline.next;
      }
      if (deadline.next != null) {
        deadline.next.previous = deadline.previous;
      }
      if (slots[deadline.slot] == null) {
        occupied[deadline.slot >>> 6] &= ~(1L << deadline.slot);
      }
      deadline.previous = null;
      deadline.next = null;
      deadline.wheel = null;
    }

    /** Schedules the check for {@code tick} in place of the one scheduled (if any). */
    private void checkAt(long tick) {
      if (check != null) {
        check.cancel(false);
      }
      checkTick = tick;
      long delay = Math.max(0, tick * TICK_NANOS - System.nanoTime());
      check = loop.schedule(this, delay, TimeUnit.NANOSECONDS);
    }

    /**
     * The first tick after {@code tick} whose slot holds a deadline, or -1 when none does. No
     * deadline in the wheel is due before it: every tick up to {@code tick} has been checked.
     */
    private long nextOccupied(long tick) {
      int start = (int) ((tick + 1) & MASK);
      for (int distance = 0; distance < SLOTS; ) {
        int slot = (start + distance) & MASK;
        long bits = occupied[slot >>> 6] >>> (slot & 63);
        if (bits != 0) {
          return tick + 1 + distance + Long.numberOfTrailingZeros(bits);
        }
        distance += Long.SIZE - (slot & 63);
      }
      return -1;
    }

    @Override
    public void run() {
      check = null;
      long now = System.nanoTime();
      long nowTick = Math.floorDiv(now, TICK_NANOS);
      // A loop held up for a whole turn or more checks every slot once.
      long from = Math.max(checked + 1, nowTick - MASK);
      for (long tick = from; tick <= nowTick; tick++) {
        Deadline deadline = slots[(int) (tick & MASK)];
        while (deadline != null) {
          Deadline following = deadline.next;
          if (deadline.dueNanos - now <= 0) {
            remove(deadline);
            deadline.due = true;
            due.add(deadline);
          }
          deadline = following;
        }
      }
      checked = nowTick;
      long next = nextOccupied(nowTick);
      if (next >= 0) {
        checkAt(next);
      }
      // Fired once the wheel is consistent and its next check is set: an action may cancel or
      // set other deadlines (a nearer one moves the check up), including one found due with it.
      try {
        for (int i = 0; i < due.size(); i++) {
          Deadline deadline = due.get(i);
          if (deadline.due) {
            deadline.due = false;
            deadline.fire();
          }
        }
      } finally {
        due.clear();
      }
    }
  }
}
