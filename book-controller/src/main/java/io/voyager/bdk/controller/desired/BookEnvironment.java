package io.voyager.bdk.controller.desired;

import static io.voyager.bdk.controller.desired.WorkloadFactory.env;

import io.voyager.bdk.model.DeploymentType;

import io.fabric8.kubernetes.api.model.EnvVar;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The book container's environment. A single-tenant workload gets {@code BOOK_TYPE},
 * {@code BOOK_VERSION}, {@code CUSTOMER_ID}, {@code LOG_LEVEL}, {@code ENVIRONMENT}, its identity
 * and {@code BOOK_CUSTOM_SETTINGS} (the instance's {@code custom_settings} as canonical JSON). A
 * shared workload gets {@code BDK_TENANTS}: a JSON object from instance name to that tenant's
 * customer, log level and settings; the gateway names the tenant of each request in
 * {@code x-bdk-instance}, and its credentials are under {@code /secrets/<instance>}.
 *
 * <p>Long-polling and webhook-triggered books also get {@code RUN_MANAGER_ENDPOINT}, the Run
 * Manager's URL, when the operator set one ({@code --run-manager-endpoint}). A book whose
 * Tailscale sidecar runs in userspace mode gets the sidecar's proxies as Tailscale documents them:
 * {@code ALL_PROXY} (SOCKS5) and {@code HTTP_PROXY}/{@code HTTPS_PROXY} (HTTP CONNECT), each also
 * lower-case, and {@code NO_PROXY} for localhost and cluster names, which stay direct.
 */
public final class BookEnvironment {
  private BookEnvironment() {}

  /** What a userspace-Tailscale book reaches directly, not through the sidecar's proxies: itself and cluster names. */
  public static final String NO_PROXY = "localhost,127.0.0.1,::1,.svc,.cluster.local";

  static List<EnvVar> of(Workload w, ControllerSettings settings) {
    ValidInstance lead = w.lead();
    List<EnvVar> env = new ArrayList<>();
    env.add(env("BOOK_TYPE", lead.book().getSpec().name()));
    env.add(env("BOOK_VERSION", lead.book().getSpec().version()));
    env.add(env("BDK_DEPLOYMENT_TYPE", w.type().wireName()));
    env.add(env("PORT", Integer.toString(WorkloadFactory.HTTP_PORT)));
    env.add(env("SECRETS_DIR", WorkloadFactory.SECRETS_PATH));
    if (settings.runManagerEndpoint() != null
        && (w.type() == DeploymentType.LONG_POLLING || w.type() == DeploymentType.WEBHOOK_TRIGGERED)) {
      env.add(env("RUN_MANAGER_ENDPOINT", settings.runManagerEndpoint()));
    }
    if (lead.tailscaleEnabled() && !ControllerSettings.TAILSCALE_KERNEL.equals(lead.tailscaleMode())) {
      String socks = "socks5://localhost:" + TailscaleFactory.SOCKS5_PORT;
      String http = "http://localhost:" + TailscaleFactory.HTTP_PROXY_PORT;
      for (String name : List.of("ALL_PROXY", "all_proxy")) {
        env.add(env(name, socks));
      }
      for (String name : List.of("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy")) {
        env.add(env(name, http));
      }
      for (String name : List.of("NO_PROXY", "no_proxy")) {
        env.add(env(name, NO_PROXY));
      }
    }
    if (w.shared()) {
      List<String> customers = w.tenants().stream().map(BookEnvironment::customerId).distinct().toList();
      if (customers.size() == 1 && customers.get(0) != null) {
        env.add(env("CUSTOMER_ID", customers.get(0)));
      }
      env.add(env("LOG_LEVEL", logLevel(lead, settings)));
      Map<String, Object> tenants = new LinkedHashMap<>();
      for (ValidInstance t : w.tenants()) {
        Map<String, Object> tenant = new LinkedHashMap<>();
        tenant.put("instance_id", t.instanceId());
        tenant.put("customer_id", customerId(t));
        tenant.put("log_level", logLevel(t, settings));
        tenant.put("environment", environment(t));
        tenant.put("custom_settings", customSettings(t));
        tenant.put("secrets_dir", WorkloadFactory.SECRETS_PATH + "/" + t.name());
        tenants.put(t.name(), tenant);
      }
      env.add(env("BDK_TENANTS", ContentHash.canonicalJson(tenants)));
    } else {
      if (customerId(lead) != null) {
        env.add(env("CUSTOMER_ID", customerId(lead)));
      }
      env.add(env("LOG_LEVEL", logLevel(lead, settings)));
      if (environment(lead) != null) {
        env.add(env("ENVIRONMENT", environment(lead)));
      }
      env.add(env("BDK_INSTANCE", lead.name()));
      env.add(env("BDK_INSTANCE_ID", Objects.toString(lead.instanceId(), "")));
      env.add(env("BOOK_CUSTOM_SETTINGS", ContentHash.canonicalJson(customSettings(lead))));
    }
    return env;
  }

  private static String customerId(ValidInstance t) {
    return t.spec().customer().organizationId();
  }

  private static String logLevel(ValidInstance t, ControllerSettings settings) {
    var c = t.spec().configuration();
    return c == null || c.logLevel() == null ? settings.defaultLogLevel() : c.logLevel();
  }

  private static String environment(ValidInstance t) {
    var c = t.spec().configuration();
    return c == null ? null : c.environment();
  }

  private static Map<String, Object> customSettings(ValidInstance t) {
    var c = t.spec().configuration();
    return c == null || c.customSettings() == null ? Map.of() : c.customSettings();
  }
}
