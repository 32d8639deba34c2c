package io.voyager.bdk.library;

/**
 * Points in a quota-checked create where tests interleave another replica's create
 * deterministically. {@link #NONE} in production.
 */
interface QuotaCheckpoints {
  QuotaCheckpoints NONE = new QuotaCheckpoints() {};

  /** The Organization's use was counted from the API server; the check (and maybe the write) is next. */
  default void afterUsageCounted(String organizationId) {}

  /** The instance is written; the compare-and-swap that confirms it is next. */
  default void beforeConfirm(String organizationId) {}
}
