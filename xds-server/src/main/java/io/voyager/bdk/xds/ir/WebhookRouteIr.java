package io.voyager.bdk.xds.ir;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One webhook integration's route: exact public path (POST), the cluster of its book's Service,
 * the ext_authz context extensions and where it came from.
 */
public record WebhookRouteIr(
    String path, String clusterName, Provenance source, SortedMap<String, String> authContext) {
  public WebhookRouteIr {
    authContext = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(authContext));
  }
}
