package io.voyager.bdk.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Options of the generic HMAC scheme: {@code algorithm} sha1|sha256|sha512, the signature
 * {@code header}, an optional {@code prefix} before the digest (e.g. {@code sha256=}),
 * {@code encoding} hex|base64, and what is signed, {@code payload}: {@code body} or
 * {@code timestamp.body} with the timestamp read from {@code timestamp_header}.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Hmac(
    String algorithm,
    String header,
    String prefix,
    String encoding,
    String payload,
    @JsonProperty("timestamp_header") String timestampHeader) {}
