package io.voyager.bdk.support;

import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Routes java.util.logging into SLF4J, so what gRPC and the JDK log (they use java.util.logging)
 * takes the services' one-line format and levels ({@code simplelogger.properties}: gRPC at warn)
 * instead of the JDK console handler's two-line records and stack traces on stderr. JUL's own
 * levels still filter first, so a library's disabled fine-grained logging stays as cheap as before.
 */
public final class JavaUtilLogging {
  private JavaUtilLogging() {}

  /** Idempotent; replaces the JUL root logger's handlers (the JDK's console handler) with the bridge. */
  public static synchronized void routeToSlf4j() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }
}
