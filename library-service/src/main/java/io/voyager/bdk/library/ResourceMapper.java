package io.voyager.bdk.library;

import io.voyager.bdk.model.InstanceNames;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.voyager.bdk.library.v1.Book;
import io.voyager.bdk.library.v1.BookSchema;
import io.voyager.bdk.library.v1.Condition;
import io.voyager.bdk.library.v1.Configuration;
import io.voyager.bdk.library.v1.CreateBookRequest;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.Credential;
import io.voyager.bdk.library.v1.CredentialInput;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.DeploymentStatus;
import io.voyager.bdk.library.v1.EgressPort;
import io.voyager.bdk.library.v1.EgressRule;
import io.voyager.bdk.library.v1.Hmac;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.Integration;
import io.voyager.bdk.library.v1.Networking;
import io.voyager.bdk.library.v1.RateLimit;
import io.voyager.bdk.library.v1.Resources;
import io.voyager.bdk.library.v1.Runtime;
import io.voyager.bdk.library.v1.Scaling;
import io.voyager.bdk.library.v1.SchemaField;
import io.voyager.bdk.library.v1.Tailscale;
import io.voyager.bdk.library.v1.WebhookBinding;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinitionStatus;
import io.voyager.bdk.model.EgressRules;
import io.voyager.bdk.model.WebhookDelivery;
import io.voyager.bdk.model.WebhookEndpoint;
import io.voyager.bdk.model.WebhookRoutes;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Translates between the API's messages and the Kubernetes resources that hold them. Pure: no I/O.
 * Credential values go only into {@link #credentialsSecret}; nothing read back ever carries one.
 */
final class ResourceMapper {

  static final String MANAGER = "library-service";

  private final String namespace;

  ResourceMapper(String namespace) {
    this.namespace = namespace;
  }

  /** RFC 3339 in UTC, whole seconds, e.g. 2024-01-01T00:00:00Z. */
  static String timestamp(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }

  // ---- books ----

  BookDefinition toBookDefinition(CreateBookRequest r, UUID bookId, Instant createdAt) {
    BookDefinition book = new BookDefinition();
    book.setMetadata(
        new ObjectMetaBuilder()
            .withName(ResourceNames.book(r.getName(), r.getVersion()))
            .withNamespace(namespace)
            .addToLabels(BdkLabels.BOOK_ID, bookId.toString())
            .addToLabels(BdkLabels.MANAGED_BY, MANAGER)
            .addToAnnotations(BdkLabels.CREATED_AT, timestamp(createdAt))
            .build());
    book.setSpec(
        new BookDefinitionSpec(
            r.getName(),
            r.getVersion(),
            emptyToNull(r.getDescription()),
            r.hasSchema()
                ? new BookDefinitionSpec.Schema(
                    nullIfEmpty(map(r.getSchema().getInputsList(), ResourceMapper::toField)),
                    nullIfEmpty(map(r.getSchema().getOutputsList(), ResourceMapper::toField)))
                : null,
            nullIfEmpty(r.getCapabilitiesList()),
            r.hasRuntime()
                ? new BookDefinitionSpec.Runtime(
                    r.getRuntime().getLanguage(),
                    emptyToNull(r.getRuntime().getVersion()),
                    nullIfEmpty(r.getRuntime().getRequirementsList()))
                : null,
            nullIfEmpty(
                map(
                    r.getIntegrationsList(),
                    i -> new BookDefinitionSpec.Integration(i.getName(), i.getType(), Structs.toMap(i.getConfig()))))));
    return book;
  }

  Book toBook(BookDefinition d) {
    BookDefinitionSpec s = d.getSpec();
    Book.Builder b =
        Book.newBuilder()
            .setBookId(label(d.getMetadata().getLabels(), BdkLabels.BOOK_ID))
            .setName(nz(s.name()))
            .setVersion(nz(s.version()))
            .setDescription(nz(s.description()))
            .addAllCapabilities(nn(s.capabilities()))
            .setCreatedAt(createdAt(d.getMetadata().getAnnotations(), d.getMetadata().getCreationTimestamp()));
    if (s.schema() != null) {
      b.setSchema(
          BookSchema.newBuilder()
              .addAllInputs(map(nn(s.schema().inputs()), ResourceMapper::toSchemaField))
              .addAllOutputs(map(nn(s.schema().outputs()), ResourceMapper::toSchemaField)));
    }
    if (s.runtime() != null) {
      b.setRuntime(
          Runtime.newBuilder()
              .setLanguage(nz(s.runtime().language()))
              .setVersion(nz(s.runtime().version()))
              .addAllRequirements(nn(s.runtime().requirements())));
    }
    for (BookDefinitionSpec.Integration i : nn(s.integrations())) {
      b.addIntegrations(
          Integration.newBuilder().setName(nz(i.name())).setType(nz(i.type())).setConfig(Structs.toStruct(i.config())));
    }
    return b.build();
  }

  private static BookDefinitionSpec.Field toField(SchemaField f) {
    return new BookDefinitionSpec.Field(
        f.getName(),
        f.getType(),
        f.getRequired() ? Boolean.TRUE : null,
        emptyToNull(f.getDescription()),
        nullIfEmpty(f.getEnumList()),
        Structs.toMap(f.getSchema()));
  }

  private static SchemaField toSchemaField(BookDefinitionSpec.Field f) {
    return SchemaField.newBuilder()
        .setName(nz(f.name()))
        .setType(nz(f.type()))
        .setRequired(Boolean.TRUE.equals(f.required()))
        .setDescription(nz(f.description()))
        .addAllEnum(nn(f.enumValues()))
        .setSchema(Structs.toStruct(f.schema()))
        .build();
  }

  // ---- instances ----

  /**
   * The instance resource for {@code r}. {@code organizationId} is the one authorization settled
   * on (from the token, or the namespace's Organization), never taken from the request as such.
   */
  BookInstanceDefinition toInstanceDefinition(
      CreateInstanceRequest r, BookDefinition book, String organizationId, UUID instanceId, Instant createdAt) {
    String name = ResourceNames.instance(book.getSpec().name(), instanceId);
    BookInstanceDefinition inst = new BookInstanceDefinition();
    inst.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace(namespace)
            .addToLabels(BdkLabels.INSTANCE_ID, instanceId.toString())
            .addToLabels(BdkLabels.BOOK_ID, label(book.getMetadata().getLabels(), BdkLabels.BOOK_ID))
            .addToLabels(BdkLabels.CUSTOMER_NAMESPACE, r.getCustomerNamespace())
            .addToLabels(BdkLabels.MANAGED_BY, MANAGER)
            .addToAnnotations(BdkLabels.CREATED_AT, timestamp(createdAt))
            .build());
    inst.setSpec(
        new BookInstanceDefinitionSpec(
            new BookInstanceDefinitionSpec.BookRef(book.getMetadata().getName(), book.getSpec().version()),
            new BookInstanceDefinitionSpec.Customer(r.getCustomerNamespace(), emptyToNull(organizationId)),
            r.hasDeployment() ? toDeployment(r.getDeployment()) : null,
            r.hasNetworking() ? toNetworking(r.getNetworking()) : null,
            nullIfEmpty(
                map(
                    r.getCredentialsList(),
                    c -> new BookInstanceDefinitionSpec.Credential(
                        c.getName(), emptyToNull(c.getType()), emptyToNull(c.getSource())))),
            r.hasConfiguration() ? toConfiguration(r.getConfiguration()) : null,
            nullIfEmpty(map(r.getWebhooksList(), ResourceMapper::toWebhookBinding))));
    return inst;
  }

  /**
   * The Secret holding {@code values} (credential name → value) for {@code instance}, in its
   * customer namespace. Values are written only here and by {@link CredentialsSecretWriter}.
   */
  Secret credentialsSecret(BookInstanceDefinition instance, Map<String, String> values) {
    Map<String, String> data = new LinkedHashMap<>();
    values.forEach((name, value) -> data.put(name, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))));
    return new SecretBuilder()
        .withNewMetadata()
        .withName(InstanceNames.credentialsSecret(instance.getMetadata().getName()))
        .withNamespace(instance.getSpec().customer().namespace())
        .withLabels(credentialsSecretLabels(instance))
        .endMetadata()
        .withType("Opaque")
        .withData(data)
        .build();
  }

  /** The labels of an instance's credentials Secret: back to the instance, and who manages it. */
  static Map<String, String> credentialsSecretLabels(BookInstanceDefinition instance) {
    Map<String, String> labels = instance.getMetadata().getLabels();
    Map<String, String> out = new LinkedHashMap<>();
    out.put(BdkLabels.INSTANCE_ID, labels.get(BdkLabels.INSTANCE_ID));
    out.put(BdkLabels.BOOK_ID, labels.get(BdkLabels.BOOK_ID));
    out.put(BdkLabels.INSTANCE_NAME, instance.getMetadata().getName());
    out.put(BdkLabels.MANAGED_BY, MANAGER);
    return out;
  }

  Instance toInstance(BookInstanceDefinition d) {
    BookInstanceDefinitionSpec s = d.getSpec();
    String customerNamespace = s.customer() == null ? "" : nz(s.customer().namespace());
    Instance.Builder b =
        Instance.newBuilder()
            .setInstanceId(label(d.getMetadata().getLabels(), BdkLabels.INSTANCE_ID))
            .setBookId(label(d.getMetadata().getLabels(), BdkLabels.BOOK_ID))
            .setCustomerNamespace(customerNamespace)
            .setOrganizationId(s.customer() == null ? "" : nz(s.customer().organizationId()))
            .setCreatedAt(createdAt(d.getMetadata().getAnnotations(), d.getMetadata().getCreationTimestamp()))
            .setBookVersion(s.bookRef() == null ? "" : nz(s.bookRef().version()))
            .setEtag(Etag.of(d).text());
    if (s.deployment() != null) {
      b.setDeployment(fromDeployment(s.deployment()));
    }
    if (s.networking() != null && (s.networking().tailscale() != null || !nn(s.networking().egress()).isEmpty())) {
      b.setNetworking(fromNetworking(s.networking()));
    }
    Map<String, CredentialHistory.Rotation> rotations = CredentialHistory.rotations(d);
    for (BookInstanceDefinitionSpec.Credential c : nn(s.credentials())) {
      Credential.Builder credential = Credential.newBuilder().setName(nz(c.name())).setType(nz(c.type())).setSource(nz(c.source()));
      CredentialHistory.Rotation rotation = rotations.get(nz(c.name()));
      if (rotation != null) {
        credential.setRotatedAt(rotation.rotatedAt()).setPreviousValidUntil(rotation.previousValidUntil());
      }
      b.addCredentials(credential);
    }
    if (s.configuration() != null) {
      b.setConfiguration(
          Configuration.newBuilder()
              .setEnvironment(nz(s.configuration().environment()))
              .setLogLevel(nz(s.configuration().logLevel()))
              .setCustomSettings(Structs.toStruct(s.configuration().customSettings())));
    }
    List<WebhookEndpoint> routed = d.getStatus() == null ? List.of() : nn(d.getStatus().webhooks());
    for (BookInstanceDefinitionSpec.WebhookBinding w : nn(s.webhooks())) {
      b.addWebhooks(fromWebhookBinding(w, routedPath(w, customerNamespace, d.getMetadata().getName(), routed)));
    }
    status(d.getStatus(), b);
    return b.build();
  }

  /**
   * The binding's public path if the gateway routes it, else empty. The authority is the xds-server:
   * it lists the paths it really routes in the ExternalBookDefinition's status, and the book
   * controller mirrors that list into the instance's {@code status.webhooks} (beside the gateway's
   * {@code WebhooksRouted} condition, which reads return with the other conditions and whose
   * message says why a path is missing). So a path is reported only when that list holds exactly
   * the path this binding gets: not before the gateway has routed it (a new, Pending instance), not
   * while it refuses it, and never a stale one from another namespace.
   */
  private static String routedPath(
      BookInstanceDefinitionSpec.WebhookBinding w, String customerNamespace, String instanceName,
      List<WebhookEndpoint> routed) {
    String integration = nz(w.integration());
    String path = WebhookRoutes.publicPath(
        customerNamespace, InstanceNames.externalBookDefinition(instanceName), integration);
    return routed.contains(new WebhookEndpoint(integration, path)) ? path : "";
  }

  private static void status(BookInstanceDefinitionStatus st, Instance.Builder b) {
    b.setStatus(BookInstanceDefinitionStatus.PENDING);
    if (st == null) {
      return;
    }
    if (st.phase() != null && !st.phase().isEmpty()) {
      b.setStatus(st.phase());
    }
    if (st.deploymentStatus() != null) {
      b.setDeploymentStatus(
          DeploymentStatus.newBuilder()
              .setReadyReplicas(nz(st.deploymentStatus().readyReplicas()))
              .setTotalReplicas(nz(st.deploymentStatus().totalReplicas())));
    }
    for (io.voyager.bdk.model.Condition c : nn(st.conditions())) {
      b.addConditions(
          Condition.newBuilder()
              .setType(nz(c.type()))
              .setStatus(nz(c.status()))
              .setReason(nz(c.reason()))
              .setMessage(nz(c.message()))
              .setLastTransition(nz(c.lastTransition()))
              .setObservedGeneration(c.observedGeneration() == null ? 0 : c.observedGeneration()));
    }
    b.setLastUpdated(nz(st.lastUpdated()));
  }

  /**
   * An instance's answer with the values generated in this call ({@code generated}: credential name
   * → value) on those credentials — the one answer that ever carries them.
   */
  static Instance withGeneratedValues(Instance instance, Map<String, String> generated) {
    if (generated.isEmpty()) {
      return instance;
    }
    Instance.Builder b = instance.toBuilder();
    for (Credential.Builder c : b.getCredentialsBuilderList()) {
      String value = generated.get(c.getName());
      if (value != null) {
        c.setValue(value);
      }
    }
    return b.build();
  }

  /**
   * The spec of an instance after an update: {@code merged} (the instance's fields with the update
   * applied) running {@code book}, in {@code customer} (never changed by an update), with {@code
   * credentials}.
   */
  static BookInstanceDefinitionSpec toSpec(Instance merged, BookDefinition book, BookInstanceDefinitionSpec.Customer customer,
      List<BookInstanceDefinitionSpec.Credential> credentials) {
    return new BookInstanceDefinitionSpec(
        new BookInstanceDefinitionSpec.BookRef(book.getMetadata().getName(), book.getSpec().version()),
        customer,
        merged.hasDeployment() ? toDeployment(merged.getDeployment()) : null,
        merged.hasNetworking() ? toNetworking(merged.getNetworking()) : null,
        nullIfEmpty(credentials),
        merged.hasConfiguration() ? toConfiguration(merged.getConfiguration()) : null,
        nullIfEmpty(map(merged.getWebhooksList(), ResourceMapper::toWebhookBinding)));
  }

  /** A zero replica count or an empty field means "not set": the controller applies its default. */
  private static BookInstanceDefinitionSpec.Deployment toDeployment(Deployment d) {
    return new BookInstanceDefinitionSpec.Deployment(
        emptyToNull(d.getType()),
        zeroToNull(d.getReplicas()),
        d.hasResources()
            ? new BookInstanceDefinitionSpec.Resources(
                emptyToNull(d.getResources().getCpu()),
                emptyToNull(d.getResources().getMemory()),
                emptyToNull(d.getResources().getCpuLimit()),
                emptyToNull(d.getResources().getMemoryLimit()))
            : null,
        d.hasScaling()
            ? new BookInstanceDefinitionSpec.Scaling(
                zeroToNull(d.getScaling().getMinReplicas()),
                zeroToNull(d.getScaling().getMaxReplicas()),
                zeroToNull(d.getScaling().getTargetCpuUtilization()))
            : null);
  }

  private static Deployment fromDeployment(BookInstanceDefinitionSpec.Deployment d) {
    Deployment.Builder b = Deployment.newBuilder().setType(nz(d.type())).setReplicas(nz(d.replicas()));
    if (d.resources() != null) {
      b.setResources(
          Resources.newBuilder()
              .setCpu(nz(d.resources().cpu()))
              .setMemory(nz(d.resources().memory()))
              .setCpuLimit(nz(d.resources().cpuLimit()))
              .setMemoryLimit(nz(d.resources().memoryLimit())));
    }
    if (d.scaling() != null) {
      b.setScaling(
          Scaling.newBuilder()
              .setMinReplicas(nz(d.scaling().minReplicas()))
              .setMaxReplicas(nz(d.scaling().maxReplicas()))
              .setTargetCpuUtilization(nz(d.scaling().targetCpuUtilization())));
    }
    return b.build();
  }

  /** Null when the request sets neither Tailscale nor egress. */
  private static BookInstanceDefinitionSpec.Networking toNetworking(Networking n) {
    BookInstanceDefinitionSpec.Tailscale tailscale = n.hasTailscale()
        ? new BookInstanceDefinitionSpec.Tailscale(n.getTailscale().getEnabled(), emptyToNull(n.getTailscale().getTailnet()),
            nullIfEmpty(n.getTailscale().getTagsList()), emptyToNull(n.getTailscale().getMode()))
        : null;
    List<BookInstanceDefinitionSpec.EgressRule> egress = nullIfEmpty(map(n.getEgressList(), e ->
        new BookInstanceDefinitionSpec.EgressRule(e.getCidr(), nullIfEmpty(e.getExceptList()),
            nullIfEmpty(map(e.getPortsList(), p -> new BookInstanceDefinitionSpec.EgressPort(p.getPort(), emptyToNull(p.getProtocol())))))));
    return tailscale == null && egress == null ? null : new BookInstanceDefinitionSpec.Networking(tailscale, egress);
  }

  private static Networking fromNetworking(BookInstanceDefinitionSpec.Networking n) {
    Networking.Builder b = Networking.newBuilder();
    if (n.tailscale() != null) {
      BookInstanceDefinitionSpec.Tailscale t = n.tailscale();
      b.setTailscale(Tailscale.newBuilder()
          .setEnabled(Boolean.TRUE.equals(t.enabled()))
          .setTailnet(nz(t.tailnet()))
          .addAllTags(nn(t.tags()))
          .setMode(nz(t.mode())));
    }
    for (BookInstanceDefinitionSpec.EgressRule e : nn(n.egress())) {
      EgressRule.Builder rule = EgressRule.newBuilder().setCidr(nz(e.cidr())).addAllExcept(nn(e.except()));
      for (BookInstanceDefinitionSpec.EgressPort p : nn(e.ports())) {
        rule.addPorts(EgressPort.newBuilder().setPort(nz(p.port())).setProtocol(EgressRules.protocol(p)));
      }
      b.addEgress(rule);
    }
    return b.build();
  }

  private static BookInstanceDefinitionSpec.Configuration toConfiguration(Configuration c) {
    return new BookInstanceDefinitionSpec.Configuration(
        emptyToNull(c.getEnvironment()), emptyToNull(c.getLogLevel()), Structs.toMap(c.getCustomSettings()));
  }

  private static BookInstanceDefinitionSpec.WebhookBinding toWebhookBinding(WebhookBinding w) {
    return new BookInstanceDefinitionSpec.WebhookBinding(
        w.getIntegration(),
        w.getScheme(),
        w.getCredential(),
        zeroToNull(w.getToleranceSeconds()),
        w.hasRateLimit()
            ? new io.voyager.bdk.model.RateLimit(
                w.getRateLimit().getRequestsPerSecond() == 0 ? null : w.getRateLimit().getRequestsPerSecond(),
                zeroToNull(w.getRateLimit().getBurst()))
            : null,
        w.hasHmac()
            ? new io.voyager.bdk.model.Hmac(
                emptyToNull(w.getHmac().getAlgorithm()),
                emptyToNull(w.getHmac().getHeader()),
                emptyToNull(w.getHmac().getPrefix()),
                emptyToNull(w.getHmac().getEncoding()),
                emptyToNull(w.getHmac().getPayload()),
                emptyToNull(w.getHmac().getTimestampHeader()))
            : null,
        zeroToNull(w.getMaxBodyBytes()),
        // stored only when not the default, so a read-modify-write (a read says direct/false) changes nothing
        WebhookDelivery.isQueued(w.getDelivery()) ? WebhookDelivery.QUEUED : null,
        w.getOrdered() ? Boolean.TRUE : null);
  }

  private static WebhookBinding fromWebhookBinding(BookInstanceDefinitionSpec.WebhookBinding w, String routedPath) {
    WebhookBinding.Builder b =
        WebhookBinding.newBuilder()
            .setIntegration(nz(w.integration()))
            .setScheme(nz(w.scheme()))
            .setCredential(nz(w.credential()))
            .setToleranceSeconds(nz(w.toleranceSeconds()))
            .setMaxBodyBytes(nz(w.maxBodyBytes()))
            .setDelivery(WebhookDelivery.modeOf(w.delivery()))
            .setOrdered(WebhookDelivery.isOrdered(w.ordered()))
            .setPath(routedPath);
    if (w.rateLimit() != null) {
      b.setRateLimit(
          RateLimit.newBuilder()
              .setRequestsPerSecond(w.rateLimit().requestsPerSecond() == null ? 0 : w.rateLimit().requestsPerSecond())
              .setBurst(nz(w.rateLimit().burst())));
    }
    if (w.hmac() != null) {
      b.setHmac(
          Hmac.newBuilder()
              .setAlgorithm(nz(w.hmac().algorithm()))
              .setHeader(nz(w.hmac().header()))
              .setPrefix(nz(w.hmac().prefix()))
              .setEncoding(nz(w.hmac().encoding()))
              .setPayload(nz(w.hmac().payload()))
              .setTimestampHeader(nz(w.hmac().timestampHeader())));
    }
    return b.build();
  }

  // ---- helpers ----

  private static String createdAt(Map<String, String> annotations, String creationTimestamp) {
    String annotated = annotations == null ? null : annotations.get(BdkLabels.CREATED_AT);
    return annotated != null ? annotated : nz(creationTimestamp);
  }

  private static String label(Map<String, String> labels, String key) {
    return labels == null ? "" : nz(labels.get(key));
  }

  private static <A, B> List<B> map(List<A> list, Function<A, B> f) {
    return list.stream().map(f).toList();
  }

  private static <T> List<T> nn(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static <T> List<T> nullIfEmpty(List<T> list) {
    return list.isEmpty() ? null : List.copyOf(list);
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }

  private static Integer zeroToNull(int i) {
    return i == 0 ? null : i;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private static int nz(Integer i) {
    return i == null ? 0 : i;
  }
}
