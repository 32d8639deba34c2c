package io.voyager.bdk.cli;

import picocli.CommandLine.Option;

/**
 * {@code --namespace … --instance …}: the book instance whose queued webhooks a command reads, as
 * the relay keys them (the customer namespace and the ExternalBookDefinition's name, the two halves
 * of {@code x-bdk-instance}). One definition for {@code webhook queue} and {@code webhook deliveries}.
 */
final class InstanceOptions {
  @Option(names = "--namespace", required = true, description = "The instance's customer namespace, e.g. customer-acme.")
  String namespace;

  @Option(names = "--instance", required = true,
      description = "The instance's ExternalBookDefinition name (the part after '/' in x-bdk-instance).")
  String instance;

  /** {@code namespace/instance}, as messages name it. */
  @Override
  public String toString() {
    return namespace + "/" + instance;
  }
}
