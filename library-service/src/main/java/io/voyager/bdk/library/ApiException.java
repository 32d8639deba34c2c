package io.voyager.bdk.library;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.QuotaFailure;
import com.google.rpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An API error as the caller sees it: a gRPC code, a message naming the field(s) and why, and —
 * for field problems — {@code google.rpc.BadRequest} field violations. Carries no stack trace:
 * it is an answer, not a fault.
 */
final class ApiException extends RuntimeException {

  /** One field and what is wrong with it. {@code field} uses the JSON path, e.g. {@code webhooks[0].integration}. */
  record Violation(String field, String description) {
    @Override
    public String toString() {
      return field + ": " + description;
    }
  }

  /** One quota an organization would exceed: {@code subject} names the organization, {@code description} the quota. */
  record QuotaViolation(String subject, String description) {}

  private final Code code;
  private final List<Violation> violations;
  private final List<QuotaViolation> quotaViolations;

  private ApiException(Code code, String message, List<Violation> violations) {
    this(code, message, violations, List.of());
  }

  private ApiException(Code code, String message, List<Violation> violations, List<QuotaViolation> quotaViolations) {
    super(message, null, false, false);
    this.code = code;
    this.violations = List.copyOf(violations);
    this.quotaViolations = List.copyOf(quotaViolations);
  }

  static ApiException invalid(List<Violation> violations) {
    return new ApiException(Code.INVALID_ARGUMENT, join(violations), violations);
  }

  static ApiException invalid(String field, String description) {
    return invalid(List.of(new Violation(field, description)));
  }

  static ApiException notFound(String field, String message) {
    return new ApiException(Code.NOT_FOUND, message, List.of(new Violation(field, message)));
  }

  static ApiException alreadyExists(String message) {
    return new ApiException(Code.ALREADY_EXISTS, message, List.of());
  }

  static ApiException failedPrecondition(String field, String message) {
    return new ApiException(Code.FAILED_PRECONDITION, message, List.of(new Violation(field, message)));
  }

  static ApiException aborted(String field, String message) {
    return new ApiException(Code.ABORTED, message, List.of(new Violation(field, message)));
  }

  /** The caller is known but may not do this: the message names the namespace or the role needed (REST 403). */
  static ApiException permissionDenied(String message) {
    return new ApiException(Code.PERMISSION_DENIED, message, List.of());
  }

  /** Over quota (REST 429): the message names each quota, its limit and the use; details are {@code google.rpc.QuotaFailure}. */
  static ApiException resourceExhausted(List<QuotaViolation> quotas) {
    return new ApiException(Code.RESOURCE_EXHAUSTED,
        quotas.stream().map(QuotaViolation::description).collect(Collectors.joining("; ")), List.of(), quotas);
  }

  static ApiException unavailable(String message) {
    return new ApiException(Code.UNAVAILABLE, message, List.of());
  }

  Code code() {
    return code;
  }

  List<Violation> violations() {
    return violations;
  }

  StatusRuntimeException toStatusRuntimeException() {
    Status.Builder status = Status.newBuilder().setCode(code.getNumber()).setMessage(getMessage());
    if (!violations.isEmpty()) {
      BadRequest.Builder badRequest = BadRequest.newBuilder();
      for (Violation v : violations) {
        badRequest.addFieldViolationsBuilder().setField(v.field()).setDescription(v.description());
      }
      status.addDetails(Any.pack(badRequest.build()));
    }
    if (!quotaViolations.isEmpty()) {
      QuotaFailure.Builder quota = QuotaFailure.newBuilder();
      for (QuotaViolation q : quotaViolations) {
        quota.addViolationsBuilder().setSubject(q.subject()).setDescription(q.description());
      }
      status.addDetails(Any.pack(quota.build()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  private static String join(List<Violation> violations) {
    return violations.stream().map(Violation::toString).collect(Collectors.joining("; "));
  }
}
