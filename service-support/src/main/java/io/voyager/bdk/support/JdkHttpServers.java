package io.voyager.bdk.support;

/**
 * Settings for the JDK's {@code com.sun.net.httpserver} that every server of ours wants. The JDK
 * server leaves Nagle's algorithm on unless {@code sun.net.httpserver.nodelay} is set, and it
 * writes headers and body separately, so each response waits for the client's delayed ACK (about
 * 40 ms on Linux). The property is read once, when the first server in the JVM starts: call
 * {@link #tune()} before creating any.
 */
public final class JdkHttpServers {
  private JdkHttpServers() {}

  public static void tune() {
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }
}
