package io.voyager.bdk.library;

/**
 * Points between a check and the write it guards in DeleteBook and CreateInstance, where tests
 * interleave the other call deterministically. {@link #NONE} in production.
 */
interface DeletionCheckpoints {
  DeletionCheckpoints NONE = new DeletionCheckpoints() {};

  /** DeleteBook: the book is marked and the API server showed no instance; the delete is next. */
  default void beforeBookDelete(String bookId) {}

  /** CreateInstance: the up-front checks passed (book exists, not being deleted); the write is next. */
  default void beforeInstanceWrite(String bookId) {}
}
