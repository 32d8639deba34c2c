package io.voyager.bdk.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.github.xds.type.v3.TypedStruct;
import java.util.List;
import java.util.Map;

/**
 * Envoy configuration whose fields java-control-plane's generated API (1.0.49) does not have yet,
 * as {@code xds.type.v3.TypedStruct}: Envoy converts it to the named message and validates it
 * like any typed config (a wrong field is a NACK, which the real-Envoy tests would show).
 * Used where the pinned Envoy (1.36 and later) has the field: {@code HeaderMutation.remove_on_match},
 * {@code LocalRateLimit.rate_limits} and {@code max_dynamic_descriptors}, the
 * {@code req_without_query} formatter.
 */
final class TypedStructs {
  private TypedStructs() {}

  static Any pack(String messageType, Struct value) {
    return Anys.pack(TypedStruct.newBuilder()
        .setTypeUrl("type.googleapis.com/" + messageType)
        .setValue(value)
        .build());
  }

  static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  static Value number(double n) {
    return Value.newBuilder().setNumberValue(n).build();
  }

  static Value bool(boolean b) {
    return Value.newBuilder().setBoolValue(b).build();
  }

  static Value struct(Map<String, Value> fields) {
    return Value.newBuilder().setStructValue(Struct.newBuilder().putAllFields(fields)).build();
  }

  static Value list(List<Value> values) {
    return Value.newBuilder().setListValue(ListValue.newBuilder().addAllValues(values)).build();
  }

  static Struct structOf(Map<String, Value> fields) {
    return Struct.newBuilder().putAllFields(fields).build();
  }
}
