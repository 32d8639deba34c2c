package io.voyager.bdk.local;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * The service contract every BDK service's {@code Main} follows: {@code start(args)} returns once
 * the service is ready, and {@code close()} stops it.
 */
@FunctionalInterface
public interface ServiceStarter {
  AutoCloseable start(String... args) throws Exception;

  /**
   * The {@code public static AutoCloseable start(String...)} of {@code mainClass}, looked up when
   * called. The stack names services by class so that it builds and its own tests run while a
   * service module is still being written; a missing class or method fails with a clear message.
   */
  static ServiceStarter byMainClass(String mainClass) {
    return args -> {
      Method start;
      try {
        start = Class.forName(mainClass).getMethod("start", String[].class);
      } catch (ClassNotFoundException | NoSuchMethodException e) {
        throw new IllegalStateException(mainClass + " has no public static AutoCloseable start(String...) on the "
            + "classpath; build it (mvn install) or leave this component out of the stack", e);
      }
      if (!Modifier.isStatic(start.getModifiers()) || !AutoCloseable.class.isAssignableFrom(start.getReturnType())) {
        throw new IllegalStateException(mainClass + ".start(String...) must be static and return AutoCloseable");
      }
      try {
        return (AutoCloseable) start.invoke(null, (Object) args);
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof Error error) {
          throw error;
        }
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    };
  }
}
