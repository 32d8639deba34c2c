package io.voyager.bdk.library;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
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

  private final Code code;
  private final List<Violation> violations;

  private ApiException(Code code, String message, List<Violation> violations) {
    super(message, null, false, false);
    this.code = code;
    this.violations = List.copyOf(violations);
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
    return StatusProto.toStatusRuntimeException(status.build());
  }

  private static String join(List<Violation> violations) {
    return violations.stream().map(Violation::toString).collect(Collectors.joining("; "));
  }
}
