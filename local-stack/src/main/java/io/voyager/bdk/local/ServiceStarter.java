package io.voyager.bdk.local;

/**
 * The service contract every BDK service's {@code Main} follows: {@code start(args)} returns once
 * the service is ready, and {@code close()} stops it.
 */
@FunctionalInterface
public interface ServiceStarter {
  AutoCloseable start(String... args) throws Exception;
}
