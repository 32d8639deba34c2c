package io.voyager.bdk.library;

import io.grpc.Context;
import io.voyager.bdk.support.auth.Caller;

/** Where a call's verified {@link Caller} lives: the gRPC {@link Context}, set by {@link AuthenticationInterceptor}. */
final class Callers {
  private Callers() {}

  static final Context.Key<Caller> KEY = Context.key("bdk-caller");

  /** The current call's caller; every BookLibrary call has one (the interceptor refuses the others). */
  static Caller current() {
    Caller caller = KEY.get();
    if (caller == null) {
      throw new IllegalStateException("no authenticated caller in the gRPC context");
    }
    return caller;
  }
}
