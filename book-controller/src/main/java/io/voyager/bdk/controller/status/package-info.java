/**
 * Status: what is really there, as the instance's and the Organization's status say it — phases
 * and conditions computed purely from observed objects
 * ({@link io.voyager.bdk.controller.status.StatusCalculator}), the gateway's verdict mirrored from
 * the ExternalBookDefinition, the phase gauge, and the writers of status subresources.
 */
package io.voyager.bdk.controller.status;
