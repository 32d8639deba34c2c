package io.voyager.bdk.xds.translate;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Deterministic protobuf bytes. {@link Any#pack} serializes maps in insertion order; this packs
 * with deterministic serialization (maps sorted by key) so equal messages always give equal bytes,
 * and thus equal content versions, on any JVM.
 */
public final class Anys {
  private Anys() {}

  public static Any pack(Message message) {
    return Any.newBuilder()
        .setTypeUrl("type.googleapis.com/" + message.getDescriptorForType().getFullName())
        .setValue(deterministicBytes(message))
        .build();
  }

  public static ByteString deterministicBytes(Message message) {
    try {
      ByteString.Output out = ByteString.newOutput(message.getSerializedSize());
      CodedOutputStream coded = CodedOutputStream.newInstance(out);
      coded.useDeterministicSerialization();
      message.writeTo(coded);
      coded.flush();
      return out.toByteString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
