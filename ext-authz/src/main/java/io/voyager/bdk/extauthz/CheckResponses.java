package io.voyager.bdk.extauthz;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.BoolValue;
import com.google.rpc.Code;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.voyager.bdk.extauthz.scheme.DenyReason;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.envoyproxy.envoy.type.v3.StatusCode;
import io.voyager.bdk.extauthz.scheme.Header;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Turns a {@link CheckOutcome} into Envoy's ext_authz {@link CheckResponse}. */
public final class CheckResponses {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The parts every response shares, built once (immutable protobuf messages). */
  private static final Status OK_STATUS = Status.newBuilder().setCode(Code.OK_VALUE).build();
  private static final BoolValue NO_APPEND = BoolValue.of(false);
  private static final BoolValue APPEND = BoolValue.of(true);
  private static final HeaderValueOption JSON_CONTENT_TYPE = option(new Header("content-type", "application/json"), false);

  private CheckResponses() {}

  public static CheckResponse of(CheckOutcome outcome) {
    if (outcome instanceof CheckOutcome.Allowed ok) {
      return allowed(ok);
    }
    return denied((CheckOutcome.Denied) outcome);
  }

  private static CheckResponse allowed(CheckOutcome.Allowed ok) {
    OkHttpResponse.Builder http = OkHttpResponse.newBuilder();
    // append=false: overwrite any x-bdk-* header the sender tried to smuggle in.
    for (Header h : ok.upstreamHeaders()) {
      http.addHeaders(option(h, false));
    }
    for (Header h : ok.responseHeaders()) {
      http.addResponseHeadersToAdd(option(h, false));
    }
    return CheckResponse.newBuilder()
        .setStatus(OK_STATUS)
        .setOkResponse(http)
        .build();
  }

  private static CheckResponse denied(CheckOutcome.Denied denied) {
    int status = denied.reason().httpStatus();
    DeniedHttpResponse.Builder http = DeniedHttpResponse.newBuilder()
        .setStatus(HttpStatus.newBuilder().setCode(StatusCode.forNumber(status) != null ? StatusCode.forNumber(status) : StatusCode.Unauthorized))
        .addHeaders(JSON_CONTENT_TYPE)
        .setBody(body(denied));
    denied.headers().forEach(h -> http.addHeaders(option(h, false)));
    int grpc = switch (status) {
      case 401 -> Code.UNAUTHENTICATED_VALUE;
      case 429 -> Code.RESOURCE_EXHAUSTED_VALUE;
      case 404 -> Code.NOT_FOUND_VALUE;
      case 503 -> Code.UNAVAILABLE_VALUE;
      case 500 -> Code.INTERNAL_VALUE;
      default -> Code.PERMISSION_DENIED_VALUE;
    };
    return CheckResponse.newBuilder()
        .setStatus(Status.newBuilder().setCode(grpc).setMessage(denied.reason().code()))
        .setDeniedResponse(http)
        .build();
  }

  /**
   * {@code {"code":401,"reason":"signature_mismatch","scheme":"github","message":"…"}}; for
   * {@link DenyReason#NO_ROUTE} the gateway's own 404, {@code {"code":5,"message":"no route for POST /…"}}
   * (google.rpc NOT_FOUND, as Envoy answers a path without a route).
   */
  static String body(CheckOutcome.Denied denied) {
    Map<String, Object> json = new LinkedHashMap<>();
    if (denied.reason() == DenyReason.NO_ROUTE) {
      json.put("code", Code.NOT_FOUND_VALUE);
      json.put("message", denied.message());
      return write(json);
    }
    json.put("code", denied.reason().httpStatus());
    json.put("reason", denied.reason().code());
    json.put("scheme", denied.scheme());
    json.put("message", denied.reason().senderMaySeeDetails()
        ? denied.message()
        : "the gateway cannot verify webhooks for this endpoint right now; the operator has been told why");
    return write(json);
  }

  private static String write(Map<String, Object> json) {
    try {
      return JSON.writeValueAsString(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static HeaderValueOption option(Header h, boolean append) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(h.name().toLowerCase(Locale.ROOT)).setValue(h.value()))
        .setAppend(append ? APPEND : NO_APPEND)
        .build();
  }
}
