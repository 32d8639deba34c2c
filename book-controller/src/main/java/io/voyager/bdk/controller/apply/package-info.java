/**
 * Applying: bringing the cluster to the desired state with plain create/update, compared on the
 * fields the controller owns ({@link io.voyager.bdk.controller.apply.DriftMatcher}), writing only
 * on drift; the credentials Secret, namespace labels and per-workload locks.
 */
package io.voyager.bdk.controller.apply;
