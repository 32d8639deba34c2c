package io.voyager.bdk.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Handler;
import java.util.logging.LogManager;
import org.junit.jupiter.api.Test;
import org.slf4j.bridge.SLF4JBridgeHandler;

class JavaUtilLoggingTest {
  @Test
  void theJulRootLoggerHandsEveryRecordToSlf4jAndNothingElse() {
    JavaUtilLogging.routeToSlf4j();
    JavaUtilLogging.routeToSlf4j(); // a second service in the same JVM (the local stack, tests)

    Handler[] handlers = LogManager.getLogManager().getLogger("").getHandlers();
    assertThat(handlers).hasSize(1);
    assertThat(handlers[0]).isInstanceOf(SLF4JBridgeHandler.class);
  }
}
