package io.voyager.bdk.transcoder;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.TreeSet;

/** Reads FileDescriptorSets from the classpath and answers what they declare. */
public final class DescriptorSets {
  private DescriptorSets() {}

  /** The Book Library API's descriptor set, imports and google/rpc types included (proto module). */
  public static final String BOOK_LIBRARY_RESOURCE = "/descriptors/bdk-library.pb";

  /** The raw bytes of a descriptor set on the classpath, checked to parse as a FileDescriptorSet. */
  public static ByteString load(String classpathResource) {
    try (InputStream in = DescriptorSets.class.getResourceAsStream(classpathResource)) {
      if (in == null) {
        throw new IllegalStateException(
            "descriptor set " + classpathResource + " is not on the classpath (is the proto module a dependency?)");
      }
      ByteString bytes = ByteString.readFrom(in);
      parse(bytes, classpathResource);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read descriptor set " + classpathResource, e);
    }
  }

  /** Fully-qualified names of every service declared in the set. */
  public static Set<String> serviceNames(ByteString descriptorSet) {
    Set<String> names = new TreeSet<>();
    for (FileDescriptorProto file : parse(descriptorSet, "descriptor set").getFileList()) {
      String prefix = file.getPackage().isEmpty() ? "" : file.getPackage() + ".";
      file.getServiceList().forEach(s -> names.add(prefix + s.getName()));
    }
    return names;
  }

  /** Names of every file in the set, e.g. {@code google/rpc/status.proto}. */
  public static Set<String> fileNames(ByteString descriptorSet) {
    Set<String> names = new TreeSet<>();
    parse(descriptorSet, "descriptor set").getFileList().forEach(f -> names.add(f.getName()));
    return names;
  }

  private static FileDescriptorSet parse(ByteString bytes, String what) {
    try {
      return FileDescriptorSet.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(what + " is not a valid FileDescriptorSet: " + e.getMessage(), e);
    }
  }
}
