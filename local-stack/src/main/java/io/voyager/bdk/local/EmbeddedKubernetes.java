package io.voyager.bdk.local;

import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.ExternalBookDefinition;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.support.Kubeconfig;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.logging.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fabric8 Kubernetes mock server in CRUD mode, on 127.0.0.1, with a kubeconfig written for
 * it. It stores and watches any resource (our custom resources included) but has no server-side
 * apply, strategic merge, schema validation or garbage collection — see GUIDE.md.
 */
public final class EmbeddedKubernetes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKubernetes.class);
  /** The mock server logs every request through java.util.logging: keep only its warnings. */
  private static final java.util.logging.Logger MOCK_SERVER_LOG = quietMockServerLog();

  private final KubernetesMockServer server;
  private final Path kubeconfig;

  private EmbeddedKubernetes(KubernetesMockServer server, Path kubeconfig) {
    this.server = server;
    this.kubeconfig = kubeconfig;
  }

  /** Starts the API on 127.0.0.1:{@code port} (0 = any free port) and writes {@code kubeconfig}. */
  public static EmbeddedKubernetes start(int port, Path kubeconfig) throws IOException {
    List<CustomResourceDefinitionContext> customResources = List.of(
        CustomResourceDefinitionContext.fromCustomResourceType(BookDefinition.class),
        CustomResourceDefinitionContext.fromCustomResourceType(BookInstanceDefinition.class),
        CustomResourceDefinitionContext.fromCustomResourceType(ExternalBookDefinition.class),
        CustomResourceDefinitionContext.fromCustomResourceType(Organization.class));
    KubernetesMockServer server = new KubernetesMockServer(
        new Context(), new MockWebServer(), new HashMap<>(), new IndexedCrudDispatcher(customResources), false);
    try {
      server.init(InetAddress.getLoopbackAddress(), port);
      String url = "http://127.0.0.1:" + server.getPort();
      Kubeconfig.write(kubeconfig, url, BdkLabels.BDK_NAMESPACE);
      log.info("event=kube_api_started url={} kubeconfig={}", url, kubeconfig);
      return new EmbeddedKubernetes(server, kubeconfig);
    } catch (IOException | RuntimeException e) {
      server.destroy();
      throw e;
    }
  }

  private static java.util.logging.Logger quietMockServerLog() {
    java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");
    logger.setLevel(Level.WARNING);
    return logger;
  }

  public String url() {
    return "http://127.0.0.1:" + server.getPort();
  }

  public int port() {
    return server.getPort();
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  @Override
  public void close() {
    server.destroy();
    log.info("event=kube_api_stopped url={}", url());
  }
}
