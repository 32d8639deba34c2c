package io.voyager.bdk.local;

/**
 * The services the local stack runs in its JVM, in start order (Envoy comes last, once they are
 * ready). Each starts through its module's {@code Main.start(args)} — the service contract.
 */
public enum Component {
  LIBRARY("library-service", io.voyager.bdk.library.Main::start),
  EXT_AUTHZ("ext-authz", io.voyager.bdk.extauthz.Main::start),
  XDS("xds-server", io.voyager.bdk.xds.Main::start),
  CONTROLLER("book-controller", io.voyager.bdk.controller.Main::start),
  /** Runs the sample book backend for each book Service and publishes its EndpointSlice. */
  LOCAL_RUNTIME("local-runtime", io.voyager.bdk.localruntime.Main::start),
  /** The webhook relay (queued delivery); the stack starts a nats-server for it first. */
  RELAY("webhook-relay", io.voyager.bdk.relay.Main::start);

  private final String displayName;
  private final ServiceStarter starter;

  Component(String displayName, ServiceStarter starter) {
    this.displayName = displayName;
    this.starter = starter;
  }

  public String displayName() {
    return displayName;
  }

  public ServiceStarter starter() {
    return starter;
  }
}
