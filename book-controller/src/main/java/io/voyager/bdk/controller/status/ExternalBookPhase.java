package io.voyager.bdk.controller.status;

import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.ExternalBookDefinitionStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The part of an ExternalBookDefinition's status the controller owns — the seed's {@code phase},
 * {@code replicas} and {@code ready_replicas} (plus {@code last_updated}, set when they change) —
 * taken from its instance's status, which the controller computes from the Deployment's real state.
 * The rest of that status ({@code webhooks}, {@code conditions}) is the xds-server's. Pure.
 */
public record ExternalBookPhase(String phase, int replicas, int readyReplicas) {

  /** What the instance's status says about its workload; replicas 0 when it never saw a Deployment. */
  static ExternalBookPhase of(BookInstanceDefinitionStatus instance) {
    var deployment = instance.deploymentStatus();
    return new ExternalBookPhase(
        instance.phase(),
        deployment == null ? 0 : orZero(deployment.totalReplicas()),
        deployment == null ? 0 : orZero(deployment.readyReplicas()));
  }

  private static int orZero(Integer i) {
    return i == null ? 0 : i;
  }

  /**
   * Whether {@code current} already says this (and when it last changed). Its {@code last_updated}
   * is not compared, so an unchanged phase costs no write and keeps its timestamp.
   */
  boolean shownBy(ExternalBookDefinitionStatus current) {
    return current != null
        && Objects.equals(phase, current.phase())
        && Objects.equals(replicas, current.replicas())
        && Objects.equals(readyReplicas, current.readyReplicas())
        && current.lastUpdated() != null;
  }

  /**
   * The JSON merge patch body for the status subresource: exactly the four fields the controller
   * owns, zeros included (an absent key would leave the old count in place), so a merge keeps every
   * other status field as it is.
   */
  Map<String, Object> statusPatch(Instant now) {
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("phase", phase);
    status.put("replicas", replicas);
    status.put("ready_replicas", readyReplicas);
    status.put("last_updated", now.toString());
    return Map.of("status", status);
  }
}
