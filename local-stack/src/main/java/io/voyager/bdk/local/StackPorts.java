package io.voyager.bdk.local;

import io.voyager.bdk.support.LoopbackPorts;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every port the local stack binds, all on 127.0.0.1. {@link #defaults()} are the documented
 * ports of {@code make run}; {@link #ephemeral()} picks free ports so end-to-end tests can run
 * beside anything else. An {@code envoyAdmin} of 0 lets Envoy choose its admin port and report
 * it through {@code --admin-address-path}.
 */
public record StackPorts(
    int envoyListener,
    int envoyAdmin,
    int xds,
    int xdsAdmin,
    int libraryGrpc,
    int libraryAdmin,
    int extAuthzGrpc,
    int extAuthzAdmin,
    int controllerAdmin,
    int runtimeAdmin,
    int kubeApi,
    int nats,
    int relayHttp,
    int relayAdmin,
    int envoyHttps,
    int envoyInternal) {

  public static final int DEFAULT_KUBE_API = 16443;
  public static final int DEFAULT_NATS = 4222;

  public StackPorts {
    requirePort("envoyListener", envoyListener, false);
    requirePort("envoyAdmin", envoyAdmin, true);
    requirePort("xds", xds, false);
    requirePort("xdsAdmin", xdsAdmin, false);
    requirePort("libraryGrpc", libraryGrpc, false);
    requirePort("libraryAdmin", libraryAdmin, false);
    requirePort("extAuthzGrpc", extAuthzGrpc, false);
    requirePort("extAuthzAdmin", extAuthzAdmin, false);
    requirePort("controllerAdmin", controllerAdmin, false);
    requirePort("runtimeAdmin", runtimeAdmin, false);
    requirePort("kubeApi", kubeApi, true);
    requirePort("nats", nats, true);
    requirePort("relayHttp", relayHttp, false);
    requirePort("relayAdmin", relayAdmin, false);
    requirePort("envoyHttps", envoyHttps, false);
    requirePort("envoyInternal", envoyInternal, false);
  }

  /** The HTTPS listener's default port. */
  public static final int DEFAULT_ENVOY_HTTPS = 8443;
  /** The internal delivery listener's default port (the webhook relay delivers queued webhooks there). */
  public static final int DEFAULT_ENVOY_INTERNAL = 8444;

  /** The documented ports before the webhook relay existed, plus its defaults (nats 4222, relay 18040/18041). */
  public StackPorts(int envoyListener, int envoyAdmin, int xds, int xdsAdmin, int libraryGrpc, int libraryAdmin,
      int extAuthzGrpc, int extAuthzAdmin, int controllerAdmin, int runtimeAdmin, int kubeApi) {
    this(envoyListener, envoyAdmin, xds, xdsAdmin, libraryGrpc, libraryAdmin, extAuthzGrpc, extAuthzAdmin,
        controllerAdmin, runtimeAdmin, kubeApi, DEFAULT_NATS, 18040, 18041, DEFAULT_ENVOY_HTTPS, DEFAULT_ENVOY_INTERNAL);
  }

  /** The documented local ports (docs/ports-and-flags.md). */
  public static StackPorts defaults() {
    return new StackPorts(8080, 9901, 18000, 18001, 50051, 50052, 18010, 18011, 18021, 18031, DEFAULT_KUBE_API,
        DEFAULT_NATS, 18040, 18041, DEFAULT_ENVOY_HTTPS, DEFAULT_ENVOY_INTERNAL);
  }

  /**
   * Free ports chosen now for every service; Envoy admin, the embedded Kubernetes API and
   * nats-server use port 0 (the process that binds them reports the actual port).
   */
  public static StackPorts ephemeral() {
    List<Integer> p = freePorts(13);
    return new StackPorts(p.get(0), 0, p.get(1), p.get(2), p.get(3), p.get(4), p.get(5), p.get(6), p.get(7),
        p.get(8), 0, 0, p.get(9), p.get(10), p.get(11), p.get(12));
  }

  public StackPorts withEnvoyAdmin(int port) {
    return new StackPorts(envoyListener, port, xds, xdsAdmin, libraryGrpc, libraryAdmin, extAuthzGrpc,
        extAuthzAdmin, controllerAdmin, runtimeAdmin, kubeApi, nats, relayHttp, relayAdmin, envoyHttps, envoyInternal);
  }

  public StackPorts withKubeApi(int port) {
    return new StackPorts(envoyListener, envoyAdmin, xds, xdsAdmin, libraryGrpc, libraryAdmin, extAuthzGrpc,
        extAuthzAdmin, controllerAdmin, runtimeAdmin, port, nats, relayHttp, relayAdmin, envoyHttps, envoyInternal);
  }

  public StackPorts withNats(int port) {
    return new StackPorts(envoyListener, envoyAdmin, xds, xdsAdmin, libraryGrpc, libraryAdmin, extAuthzGrpc,
        extAuthzAdmin, controllerAdmin, runtimeAdmin, kubeApi, port, relayHttp, relayAdmin, envoyHttps, envoyInternal);
  }

  /**
   * The fixed ports (non-zero) that something on this machine already listens on, by name: the
   * stack checks them first so a busy port is one clear error, not a half-started stack.
   */
  public Map<String, Integer> inUse() {
    Map<String, Integer> named = new LinkedHashMap<>();
    named.put("envoy-port", envoyListener);
    named.put("envoy-https-port", envoyHttps);
    named.put("envoy-internal-port", envoyInternal);
    named.put("envoy-admin-port", envoyAdmin);
    named.put("xds-port", xds);
    named.put("xds-admin-port", xdsAdmin);
    named.put("library-port", libraryGrpc);
    named.put("library-admin-port", libraryAdmin);
    named.put("ext-authz-port", extAuthzGrpc);
    named.put("ext-authz-admin-port", extAuthzAdmin);
    named.put("controller-admin-port", controllerAdmin);
    named.put("runtime-admin-port", runtimeAdmin);
    named.put("kube-api-port", kubeApi);
    named.put("nats-port", nats);
    named.put("relay-port", relayHttp);
    named.put("relay-admin-port", relayAdmin);
    Map<String, Integer> busy = new LinkedHashMap<>();
    named.forEach((name, port) -> {
      if (port != 0 && !canBind(port)) {
        busy.put(name, port);
      }
    });
    return busy;
  }

  private static boolean canBind(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress("0.0.0.0", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * {@code count} distinct loopback ports that were free a moment ago, below the kernel's ephemeral
   * range ({@link LoopbackPorts}).
   */
  public static List<Integer> freePorts(int count) {
    return LoopbackPorts.freePorts(count);
  }



  private static void requirePort(String name, int port, boolean zeroAllowed) {
    if (port < (zeroAllowed ? 0 : 1) || port > 65535) {
      throw new IllegalArgumentException(
          name + " port must be " + (zeroAllowed ? "0" : "1") + "..65535, got " + port);
    }
  }
}
