package io.voyager.bdk.model;

/** Label and annotation keys every service agrees on. */
public final class BdkLabels {
  private BdkLabels() {}

  /** The namespace that holds BookDefinitions and BookInstanceDefinitions. */
  public static final String BDK_NAMESPACE = "bdk";

  /** On a BookDefinition: its public {@code book_id}. On an instance and its workloads: its book's. */
  public static final String BOOK_ID = "bdk.voyager.io/book-id";
  /** On a BookInstanceDefinition and everything made for it: the public {@code instance_id}. */
  public static final String INSTANCE_ID = "bdk.voyager.io/instance-id";
  /** On resources in a customer namespace: name of the BookInstanceDefinition they were made for. */
  public static final String INSTANCE_NAME = "bdk.voyager.io/instance";
  /**
   * On a customer namespace an Organization manages, and on the guardrails (ResourceQuota,
   * LimitRange, default-deny NetworkPolicy) the book-controller keeps there for it: the
   * Organization's name (in {@code bdk}).
   */
  public static final String ORGANIZATION = "bdk.voyager.io/organization";
  /** Annotation on those guardrails: the Organization's {@code organization_id}. */
  public static final String ORGANIZATION_ID = "bdk.voyager.io/organization-id";
  /** Which component manages a resource (e.g. {@code book-controller}). */
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  /** Annotation holding the creation time the API reports as {@code created_at} (RFC 3339). */
  public static final String CREATED_AT = "bdk.voyager.io/created-at";

  /**
   * On a BookInstanceDefinition: its customer namespace, so an Organization's instances can be
   * listed from the API server by label (the library's quota check).
   */
  public static final String CUSTOMER_NAMESPACE = "bdk.voyager.io/customer-namespace";
}
