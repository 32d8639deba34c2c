package io.voyager.bdk.xds.ir;

/** The Kubernetes object a piece of config was made from (Envoy Gateway-style provenance). */
public record Provenance(String kind, String namespace, String name, String integration) {
  public static final String EXTERNAL_BOOK_DEFINITION = "ExternalBookDefinition";
  public static final String FLAG = "Flag";
}
