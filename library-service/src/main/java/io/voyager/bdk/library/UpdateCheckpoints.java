package io.voyager.bdk.library;

/**
 * Points in an UpdateInstance where tests interleave another replica's update deterministically.
 * {@link #NONE} in production.
 */
interface UpdateCheckpoints {
  UpdateCheckpoints NONE = new UpdateCheckpoints() {};

  /** The instance was read from the API server and passed the etag check; the plan and the write are next. */
  default void afterEtagChecked(String instanceName) {}
}
