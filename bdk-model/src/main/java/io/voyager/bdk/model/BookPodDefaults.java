package io.voyager.bdk.model;

import java.math.BigDecimal;

/**
 * What a container of a book pod gets when its instance sets no resources — one home for the
 * book-controller, whose LimitRange gives these defaults to every container without them in an
 * Organization's namespaces (so such a pod still fits the namespace's ResourceQuota, which refuses
 * pods without requests), and for the library, which counts an instance by them against its
 * Organization's {@code requests_cpu} / {@code requests_memory}.
 *
 * <p>Memory is capped at its request (as the controller does for a book that sets only a memory
 * request): a book must not take memory its neighbours were promised. CPU gets no default limit: it
 * is compressible, and a limit below a request the book sets would make the pod unschedulable;
 * where the Organization sets {@code requests_cpu}, the LimitRange's per-container maximum (that
 * total) is also the default limit. When an Organization's total is below a default, the
 * LimitRange clamps the default to the total.
 */
public final class BookPodDefaults {
  private BookPodDefaults() {}

  /** CPU request of a container that sets none. */
  public static final String CPU_REQUEST = "100m";
  /** Memory request of a container that sets none. */
  public static final String MEMORY_REQUEST = "256Mi";
  /** Memory limit of a container that sets none. */
  public static final String MEMORY_LIMIT = "256Mi";

  /** CPU (cores) and memory (bytes) requested. */
  public record Requests(BigDecimal cpu, BigDecimal memory) {
    public static final Requests NONE = new Requests(BigDecimal.ZERO, BigDecimal.ZERO);

    public Requests plus(Requests other) {
      return new Requests(cpu.add(other.cpu), memory.add(other.memory));
    }

    public Requests times(long replicas) {
      BigDecimal n = BigDecimal.valueOf(replicas);
      return new Requests(cpu.multiply(n), memory.multiply(n));
    }
  }

  /**
   * What one replica (pod) of an instance requests once admitted: its book container as the
   * instance sets it — a missing request is the limit when one is set (the API server's defaulting),
   * else the default above — plus, with Tailscale enabled, the sidecar at the defaults (it sets no
   * resources). Quantities must be valid ({@link Quantities}).
   *
   * @param resources {@code spec.deployment.resources}, or null
   */
  public static Requests perReplica(BookInstanceDefinitionSpec.Resources resources, boolean tailscaleEnabled) {
    String cpu = resources == null ? null : firstNonNull(resources.cpu(), resources.cpuLimit());
    String memory = resources == null ? null : firstNonNull(resources.memory(), resources.memoryLimit());
    Requests book = new Requests(
        Quantities.parse(cpu == null ? CPU_REQUEST : cpu), Quantities.parse(memory == null ? MEMORY_REQUEST : memory));
    return tailscaleEnabled ? book.plus(defaultContainer()) : book;
  }

  /** A container that sets no resources. */
  public static Requests defaultContainer() {
    return new Requests(Quantities.parse(CPU_REQUEST), Quantities.parse(MEMORY_REQUEST));
  }

  private static String firstNonNull(String a, String b) {
    return a != null ? a : b;
  }
}
