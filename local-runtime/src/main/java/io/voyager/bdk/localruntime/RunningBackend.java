package io.voyager.bdk.localruntime;

/**
 * One sample book backend standing in for a Deployment's pods.
 *
 * @param namespace the Deployment's namespace
 * @param deployment the Deployment's name
 * @param port the loopback port it listens on
 * @param received how many webhooks it received
 */
public record RunningBackend(String namespace, String deployment, int port, long received) {}
