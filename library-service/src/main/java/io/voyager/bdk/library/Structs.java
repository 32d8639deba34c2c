package io.voyager.bdk.library;

import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Converts google.protobuf.Struct to and from the plain maps the custom resources hold. */
final class Structs {
  private Structs() {}

  /** Null for an empty struct, so the resource omits the field. */
  static Map<String, Object> toMap(Struct struct) {
    if (struct.getFieldsCount() == 0) {
      return null;
    }
    Map<String, Object> map = new LinkedHashMap<>();
    struct.getFieldsMap().forEach((k, v) -> map.put(k, toJava(v)));
    return map;
  }

  static Struct toStruct(Map<String, ?> map) {
    Struct.Builder b = Struct.newBuilder();
    if (map != null) {
      map.forEach((k, v) -> b.putFields(k, toValue(v)));
    }
    return b.build();
  }

  private static Object toJava(Value v) {
    return switch (v.getKindCase()) {
      case NULL_VALUE, KIND_NOT_SET -> null;
      case BOOL_VALUE -> v.getBoolValue();
      case STRING_VALUE -> v.getStringValue();
      case NUMBER_VALUE -> wholeAsLong(v.getNumberValue());
      case STRUCT_VALUE -> toMap(v.getStructValue()) == null ? Map.of() : toMap(v.getStructValue());
      case LIST_VALUE -> {
        List<Object> list = new ArrayList<>();
        v.getListValue().getValuesList().forEach(e -> list.add(toJava(e)));
        yield list;
      }
    };
  }

  /** JSON has one number type; keep integers integral in the stored YAML (100, not 100.0). */
  private static Object wholeAsLong(double d) {
    if (d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15) {
      return (long) d;
    }
    return d;
  }

  private static Value toValue(Object o) {
    Value.Builder b = Value.newBuilder();
    if (o == null) {
      return b.setNullValue(NullValue.NULL_VALUE).build();
    } else if (o instanceof Boolean bool) {
      return b.setBoolValue(bool).build();
    } else if (o instanceof Number n) {
      return b.setNumberValue(n.doubleValue()).build();
    } else if (o instanceof Map<?, ?> m) {
      Struct.Builder s = Struct.newBuilder();
      m.forEach((k, v) -> s.putFields(String.valueOf(k), toValue(v)));
      return b.setStructValue(s).build();
    } else if (o instanceof List<?> l) {
      ListValue.Builder lb = ListValue.newBuilder();
      l.forEach(e -> lb.addValues(toValue(e)));
      return b.setListValue(lb).build();
    }
    return b.setStringValue(String.valueOf(o)).build();
  }
}
