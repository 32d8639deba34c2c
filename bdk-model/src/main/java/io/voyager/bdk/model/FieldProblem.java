package io.voyager.bdk.model;

/**
 * A problem with one field of a request or resource: its path relative to what was checked
 * ({@code networking.tailscale.tags[0]}) and why. Each caller prefixes the path with its own root
 * ({@code spec.} for a custom resource, nothing for a library request).
 */
public record FieldProblem(String field, String message) {
  /** {@code prefix + field + ": " + message}. */
  public String describe(String prefix) {
    return prefix + field + ": " + message;
  }
}
