package io.voyager.bdk.controller.desired;

/**
 * Label and annotation keys the controller puts on what it makes, beyond the shared ones in
 * {@link io.voyager.bdk.model.BdkLabels}. Per-instance resources carry {@code INSTANCE_NAME} (and
 * {@code INSTANCE_ID}); a shared workload's resources carry {@link #SHARED_GROUP} and list their
 * tenants in {@link #TENANTS}, since no single instance owns them.
 */
public final class ManagedLabels {
  private ManagedLabels() {}

  public static final String MANAGER = "book-controller";
  /** Pod selector of a workload: its Deployment's name. */
  public static final String WORKLOAD = "bdk.voyager.io/workload";
  public static final String DEPLOYMENT_TYPE = "bdk.voyager.io/deployment-type";
  public static final String COMPONENT = "app.kubernetes.io/component";
  /** On a shared workload's resources: the shared workload's name. */
  public static final String SHARED_GROUP = "bdk.voyager.io/shared-group";
  /** Annotation on a shared workload's resources: comma-separated instance names it serves. */
  public static final String TENANTS = "bdk.voyager.io/tenants";
  /** Annotation: digest of the desired object last applied; a live object that still carries the
   * current digest but differs on owned fields was edited by someone else (drift). */
  public static final String APPLIED_HASH = "bdk.voyager.io/applied-hash";
  /** Pod template annotation: digest of the instance spec(s) and credentials; a change rolls pods. */
  public static final String CONFIG_HASH = "bdk.voyager.io/config-hash";
  /** Deployment annotation: the config hash of the last pod template revision that was Ready. */
  public static final String LAST_READY_REVISION = "bdk.voyager.io/last-ready-revision";
  /**
   * Deployment annotation: the config hash of the revision that failed and was rolled back; while
   * the instance's desired revision is still this one, the Deployment keeps running the last Ready
   * revision.
   */
  public static final String ROLLED_BACK_FROM = "bdk.voyager.io/rolled-back-from";
  /** Deployment annotation: why it was rolled back (the failure, as the status names it). */
  public static final String ROLLBACK_REASON = "bdk.voyager.io/rollback-reason";
  /** Deployment annotation of a webhook-triggered workload scaled to zero when idle: since when (RFC 3339). */
  public static final String ASLEEP_SINCE = "bdk.voyager.io/asleep-since";
  /** Deployment annotation of a webhook-triggered workload: when it was last started or woken (RFC 3339). */
  public static final String AWAKE_SINCE = "bdk.voyager.io/awake-since";
  /** The finalizer that lets the controller clean up across namespaces. */
  public static final String FINALIZER = "bdk.voyager.io/book-controller";
}
