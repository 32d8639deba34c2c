package io.voyager.bdk.xds.model;

import io.voyager.bdk.model.ExternalBookDefinitionSpec;

/** An ExternalBookDefinition as the translator sees it: where it lives and its (immutable) spec. */
public record BookSource(String namespace, String name, ExternalBookDefinitionSpec spec) {
  public String key() {
    return namespace + "/" + name;
  }
}
