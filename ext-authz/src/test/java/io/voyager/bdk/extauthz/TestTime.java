package io.voyager.bdk.extauthz;

import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock and ticker that move only when a test says so. */
public final class TestTime extends Clock implements Ticker {
  private volatile Instant now;
  private volatile long nanos;

  public TestTime(Instant start) {
    this.now = start;
    this.nanos = 1_000_000_000L;
  }

  public void advance(Duration d) {
    now = now.plus(d);
    nanos += d.toNanos();
  }

  @Override
  public long read() {
    return nanos;
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
