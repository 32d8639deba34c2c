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
  /** The finalizer that lets the controller clean up across namespaces. */
  public static final String FINALIZER = "bdk.voyager.io/book-controller";
}
