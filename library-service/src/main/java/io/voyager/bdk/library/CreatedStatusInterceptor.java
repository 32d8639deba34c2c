package io.voyager.bdk.library;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.voyager.bdk.library.v1.BookLibraryGrpc;
import io.voyager.bdk.model.TranscodingHeaders;
import java.util.Set;

/**
 * Adds {@code x-bdk-http-status: 201} to the response headers of the create methods, which Envoy
 * turns into {@code 201 Created} for REST callers. Only successful calls send headers; a failure is
 * a trailers-only response and keeps its own HTTP status.
 */
final class CreatedStatusInterceptor implements ServerInterceptor {

  static final Metadata.Key<String> HTTP_STATUS =
      Metadata.Key.of(TranscodingHeaders.HTTP_STATUS, Metadata.ASCII_STRING_MARSHALLER);

  private static final Set<String> CREATE_METHODS =
      Set.of(
          BookLibraryGrpc.getCreateBookMethod().getFullMethodName(),
          BookLibraryGrpc.getCreateInstanceMethod().getFullMethodName());

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!CREATE_METHODS.contains(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    return next.startCall(
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void sendHeaders(Metadata responseHeaders) {
            responseHeaders.put(HTTP_STATUS, "201");
            super.sendHeaders(responseHeaders);
          }
        },
        headers);
  }
}
