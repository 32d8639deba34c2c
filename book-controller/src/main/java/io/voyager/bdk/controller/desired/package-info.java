/**
 * Desired state, pure: what the controller wants to exist for an instance or an Organization,
 * computed from the resources and the operator's settings alone — validation
 * ({@link io.voyager.bdk.controller.desired.InstanceValidator}), the workload's objects
 * ({@link io.voyager.bdk.controller.desired.WorkloadFactory}, Tailscale, the
 * ExternalBookDefinition), an Organization's guardrails, names, labels and content hashes. No
 * I/O: unit-tested with golden files and tables.
 */
package io.voyager.bdk.controller.desired;
