package io.voyager.bdk.library;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.voyager.bdk.support.auth.Caller;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail of mutating calls: exactly one line per call, whatever its outcome,
 *
 * <pre>event=audit subject=alice organization=acme role=org-admin method=CreateInstance target=books/…/instances/… namespace=customer-acme outcome=OK</pre>
 *
 * (logger {@code io.voyager.bdk.library.AuditLog}, so it can be routed on its own) and the counter
 * {@code bdk_library_audit_total{method,outcome}}. Lines hold who, what and the gRPC outcome —
 * never a credential value, a token or a request body. Values callers control are escaped
 * ({@link LogValues}).
 */
final class AuditLog {
  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

  /** The BookLibrary methods that change something. */
  static final Set<String> MUTATING = Set.of("CreateBook", "DeleteBook", "CreateInstance", "UpdateInstance", "DeleteInstance");

  static final String METER = "bdk.library.audit";

  private final MeterRegistry registry;

  AuditLog(MeterRegistry registry) {
    this.registry = registry;
  }

  /** What a mutating call was about; filled in as the call learns it (e.g. the id it created). */
  static final class Entry {
    private String target;
    private String namespace;

    Entry(String target) {
      this.target = target;
    }

    Entry target(String target) {
      this.target = target;
      return this;
    }

    Entry namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }
  }

  /**
   * Records one call. {@code caller} is null when the call was refused before a token was
   * verified.
   */
  void record(Caller caller, String method, Entry entry, String outcome) {
    log.info("event=audit subject={} organization={} role={} method={} target={} namespace={} outcome={}",
        caller == null ? "-" : LogValues.of(caller.subject()),
        caller == null ? "-" : LogValues.of(caller.organizationId()),
        caller == null ? "-" : caller.rolesText(),
        method,
        LogValues.of(entry.target),
        LogValues.of(entry.namespace),
        outcome);
    Counter.builder(METER)
        .description("Mutating Book Library calls, by method and outcome (gRPC code)")
        .tag("method", method)
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }
}
