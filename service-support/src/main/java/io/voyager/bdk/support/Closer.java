package io.voyager.bdk.support;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes what a service opened, last opened first, going on past failures (each logged). A
 * service's start registers each part as it opens it, so a failure halfway leaves nothing behind.
 */
public final class Closer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Closer.class);

  private final Deque<AutoCloseable> opened = new ArrayDeque<>();

  public synchronized <T extends AutoCloseable> T register(T resource) {
    opened.push(resource);
    return resource;
  }

  @Override
  public synchronized void close() {
    while (!opened.isEmpty()) {
      AutoCloseable next = opened.pop();
      try {
        next.close();
      } catch (Exception e) {
        log.warn("event=close_failed resource={} error=\"{}\"", next.getClass().getSimpleName(), e.toString());
      }
    }
  }
}
