package io.voyager.bdk.library;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.voyager.bdk.support.auth.Caller;
import io.voyager.bdk.support.auth.JwtSettings;
import io.voyager.bdk.support.auth.TokenRejectedException;
import io.voyager.bdk.support.auth.TokenVerifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every BookLibrary call must carry {@code authorization: Bearer <JWT>}, verified here with the
 * same settings Envoy's {@code jwt_authn} uses — whether the call came through Envoy (which
 * forwards the header) or straight to the gRPC port. No other header is trusted for identity.
 * The verified {@link Caller} goes into the call's {@link Context} ({@link Callers}).
 *
 * <p>Refusals: a missing, repeated, non-Bearer, oversized or invalid token → {@code
 * UNAUTHENTICATED} with a message naming what is wrong; signing keys that cannot be had → {@code
 * UNAVAILABLE} (fail closed). Neither ever quotes the token. A refused mutating call still gets its
 * one audit line ({@code subject=- … outcome=UNAUTHENTICATED}).
 *
 * <p>Intercepts only the BookLibrary service, so gRPC health and reflection stay callable without
 * a token (Kubernetes probes, grpcurl's listing).
 */
final class AuthenticationInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(AuthenticationInterceptor.class);

  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "bearer ";

  private final TokenVerifier verifier;
  private final AuditLog audit;

  AuthenticationInterceptor(TokenVerifier verifier, AuditLog audit) {
    this.verifier = verifier;
    this.audit = audit;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    Caller caller;
    try {
      caller = verifier.verify(bearerToken(headers));
    } catch (TokenRejectedException e) {
      Status status = e.kind() == TokenRejectedException.Kind.KEYS_UNAVAILABLE ? Status.UNAVAILABLE : Status.UNAUTHENTICATED;
      log.info("event=authentication_refused method={} code={} reason=\"{}\"", method, status.getCode(), e.getMessage());
      if (AuditLog.MUTATING.contains(method)) {
        audit.record(null, method, new AuditLog.Entry(null), status.getCode().name());
      }
      call.close(status.withDescription(e.getMessage()), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(Callers.KEY, caller), call, headers, next);
  }

  /** The token of the one {@code authorization: Bearer …} header. */
  private static String bearerToken(Metadata headers) throws TokenRejectedException {
    Iterable<String> values = headers.getAll(AUTHORIZATION);
    List<String> all = new ArrayList<>();
    if (values != null) {
      values.forEach(all::add);
    }
    if (all.isEmpty()) {
      throw new TokenRejectedException(TokenRejectedException.Kind.INVALID,
          "no bearer token: send the header 'authorization: Bearer <token>'");
    }
    if (all.size() > 1) {
      throw new TokenRejectedException(TokenRejectedException.Kind.INVALID,
          "more than one authorization header; send exactly one 'authorization: Bearer <token>'");
    }
    String value = all.get(0).trim();
    if (value.equalsIgnoreCase(BEARER.trim())) {
      throw new TokenRejectedException(TokenRejectedException.Kind.INVALID,
          "no bearer token: the authorization header says Bearer but carries no token");
    }
    if (value.length() > BEARER.length() + JwtSettings.MAX_TOKEN_BYTES) {
      throw new TokenRejectedException(TokenRejectedException.Kind.INVALID,
          "bearer token is " + (value.length() - BEARER.length()) + " bytes; at most " + JwtSettings.MAX_TOKEN_BYTES + " are accepted");
    }
    if (!value.toLowerCase(Locale.ROOT).startsWith(BEARER)) {
      throw new TokenRejectedException(TokenRejectedException.Kind.INVALID,
          "the authorization header is not a Bearer token; send 'authorization: Bearer <token>'");
    }
    return value.substring(BEARER.length()).trim();
  }
}
