package io.voyager.bdk.localruntime;

import java.util.logging.Level;
import java.util.logging.Logger;

/** Keeps the mock API server's per-request java.util.logging lines out of the test output. */
final class QuietMockServer {
  private static final Logger MOCK_LOGGER = Logger.getLogger("io.fabric8.mockwebserver");

  private QuietMockServer() {}

  static void apply() {
    MOCK_LOGGER.setLevel(Level.WARNING);
  }
}
