package io.voyager.bdk.local;

/** The processes the local stack runs, in start order (Envoy last, once the others are ready). */
public enum Component {
  LIBRARY("library-service", "io.voyager.bdk.library.Main"),
  EXT_AUTHZ("ext-authz", "io.voyager.bdk.extauthz.Main"),
  XDS("xds-server", "io.voyager.bdk.xds.Main"),
  CONTROLLER("book-controller", "io.voyager.bdk.controller.Main"),
  /** Runs the sample book backend for each book Service and publishes its EndpointSlice. */
  LOCAL_RUNTIME("local-runtime", "io.voyager.bdk.localruntime.Main");

  private final String displayName;
  private final String mainClass;

  Component(String displayName, String mainClass) {
    this.displayName = displayName;
    this.mainClass = mainClass;
  }

  public String displayName() {
    return displayName;
  }

  public ServiceStarter starter() {
    return ServiceStarter.byMainClass(mainClass);
  }
}
