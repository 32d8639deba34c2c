package io.voyager.bdk.library;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.FieldMask;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.util.FieldMaskUtil;
import io.voyager.bdk.library.ApiException.Violation;
import io.voyager.bdk.library.v1.Deployment;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.model.DeploymentType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which fields an UpdateInstance changes, and the instance they leave (AIP-134). Pure.
 *
 * <p>A path names a field of {@link Instance} by its proto name ({@code deployment.replicas});
 * everything under it is replaced by the request's value, unset included (so naming a field and
 * leaving it out of the body clears it). Without a mask, the implied mask is every field the body
 * sets to a non-default value, down to the leaves of its messages — so {@code {"deployment":
 * {"replicas": 3}}} changes the replicas and nothing else. {@code *} replaces every updatable
 * field. Repeated fields (webhooks, credentials, networking.egress) are replaced whole.
 *
 * <ul>
 *   <li>updatable: {@code deployment} (but its type), {@code networking}, {@code configuration},
 *       {@code webhooks}, {@code credentials}, {@code book_version}, and any field under them;
 *   <li>immutable — refused naming the field when the body gives a different, non-empty value:
 *       {@code customer_namespace}, {@code organization_id}, {@code book_id}, {@code instance_id},
 *       {@code deployment.type} (an empty type or book version means "as it is");
 *   <li>output only — ignored: {@code status}, {@code created_at}, {@code deployment_status},
 *       {@code conditions}, {@code last_updated}, {@code webhook_delivery_summary}, {@code etag} (which an update reads from the body
 *       whatever the mask says).
 * </ul>
 */
final class UpdateMask {
  static final String FIELD = "update_mask";
  static final String ALL = "*";

  private enum Kind { UPDATABLE, IMMUTABLE, OUTPUT_ONLY }

  /** Top-level fields (and deployment.type) by kind; a path under one has its kind. */
  private static final Map<String, Kind> KINDS = new LinkedHashMap<>();

  static {
    for (String f : List.of("deployment", "networking", "configuration", "webhooks", "credentials", "book_version")) {
      KINDS.put(f, Kind.UPDATABLE);
    }
    for (String f : List.of("customer_namespace", "organization_id", "book_id", "instance_id", "deployment.type")) {
      KINDS.put(f, Kind.IMMUTABLE);
    }
    for (String f : List.of("status", "created_at", "deployment_status", "conditions", "last_updated", "etag",
        "webhook_delivery_summary")) {
      KINDS.put(f, Kind.OUTPUT_ONLY);
    }
  }

  /** What {@code *} stands for. */
  private static final List<String> EVERY_UPDATABLE =
      List.of("deployment", "networking", "configuration", "webhooks", "credentials", "book_version");

  private static final Map<String, String> WHY_IMMUTABLE = Map.of(
      "customer_namespace", "an instance stays in its namespace; create an instance in the other one",
      "organization_id", "an instance belongs to its namespace's organization",
      "book_id", "it names the instance's book (to run another version of it, set book_version)",
      "instance_id", "it names the instance",
      "deployment.type", "the workload's shape is chosen at creation; create an instance of the other type");

  private final List<String> updatable;
  private final List<String> immutable;

  private UpdateMask(List<String> updatable, List<String> immutable) {
    this.updatable = List.copyOf(updatable);
    this.immutable = List.copyOf(immutable);
  }

  /**
   * The mask of a request: its paths, or the implied ones when it has none.
   *
   * @throws ApiException INVALID_ARGUMENT naming {@code update_mask} for an unknown path, or a
   *     {@code *} beside other paths
   */
  static UpdateMask of(FieldMask mask, Instance body) {
    List<String> paths = mask.getPathsList().stream().map(String::strip).filter(p -> !p.isEmpty()).toList();
    if (paths.isEmpty()) {
      paths = populated(body, "");
    } else if (paths.contains(ALL)) {
      if (paths.size() > 1) {
        throw ApiException.invalid(FIELD, "'*' replaces every updatable field and must be the only path; got " + paths);
      }
      List<String> all = new ArrayList<>(EVERY_UPDATABLE);
      all.addAll(List.of("customer_namespace", "organization_id", "book_id", "instance_id"));
      paths = all;
    }
    List<Violation> v = new ArrayList<>();
    Set<String> updatable = new LinkedHashSet<>();
    Set<String> immutable = new LinkedHashSet<>();
    for (String path : paths) {
      Kind kind = kindOf(path);
      if (kind == null || !FieldMaskUtil.isValid(Instance.class, path)) {
        v.add(new Violation(FIELD, "names no field of an instance: " + RequestValidator.quoted(path)
            + " (paths are proto field names, e.g. deployment.replicas; a list such as webhooks is replaced whole)"));
      } else if (kind == Kind.UPDATABLE) {
        updatable.add(path);
      } else if (kind == Kind.IMMUTABLE) {
        immutable.add(path);
      }
    }
    if (!v.isEmpty()) {
      throw ApiException.invalid(v);
    }
    return new UpdateMask(new ArrayList<>(updatable), new ArrayList<>(immutable));
  }

  /** The updatable paths this mask replaces. */
  List<String> updatable() {
    return updatable;
  }

  /**
   * {@code current} with the masked fields of {@code body}.
   *
   * @throws ApiException INVALID_ARGUMENT naming each immutable field the body changes
   */
  Instance apply(Instance current, Instance body) {
    List<Violation> v = new ArrayList<>();
    for (String path : immutable) {
      Object asked = valueAt(body, path);
      Object now = valueAt(current, path);
      if (!isEmpty(asked) && !asked.equals(now)) {
        v.add(new Violation(path, "cannot be changed: " + WHY_IMMUTABLE.get(path) + "; it is " + RequestValidator.quoted(String.valueOf(now))));
      }
    }
    Instance.Builder merged = current.toBuilder();
    if (!updatable.isEmpty()) {
      FieldMaskUtil.merge(FieldMask.newBuilder().addAllPaths(updatable).build(), body, merged,
          new FieldMaskUtil.MergeOptions().setReplaceMessageFields(true).setReplaceRepeatedFields(true)
              .setReplacePrimitiveFields(true));
    }
    // an empty type, or an empty version, means "as it is"
    if (merged.getDeployment().getType().isEmpty() && !current.getDeployment().getType().isEmpty()) {
      merged.getDeploymentBuilder().setType(current.getDeployment().getType());
    }
    boolean typeNamed = v.stream().anyMatch(x -> x.field().equals("deployment.type"));
    if (!typeNamed && !sameType(merged.getDeployment(), current.getDeployment())) {
      v.add(new Violation("deployment.type", "cannot be changed: " + WHY_IMMUTABLE.get("deployment.type") + "; it is "
          + RequestValidator.quoted(current.getDeployment().getType().isEmpty() ? "primary" : current.getDeployment().getType())));
    }
    if (merged.getBookVersion().isEmpty()) {
      merged.setBookVersion(current.getBookVersion());
    }
    if (!v.isEmpty()) {
      throw ApiException.invalid(v);
    }
    return merged.build();
  }

  private static boolean sameType(Deployment a, Deployment b) {
    return Objects.equals(DeploymentType.parse(a.getType()), DeploymentType.parse(b.getType()));
  }

  /** The paths of the fields {@code m} sets, down to the leaves of its messages (Structs are leaves). */
  private static List<String> populated(Message m, String prefix) {
    List<String> paths = new ArrayList<>();
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      String path = prefix + f.getName();
      boolean nested = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isRepeated()
          && !f.getMessageType().getFullName().equals(Struct.getDescriptor().getFullName());
      if (nested) {
        List<String> inner = populated((Message) e.getValue(), path + ".");
        paths.addAll(inner.isEmpty() ? List.of(path) : inner);
      } else {
        paths.add(path);
      }
    }
    return paths;
  }

  private static Kind kindOf(String path) {
    if (KINDS.containsKey(path)) {
      return KINDS.get(path);
    }
    int dot = path.indexOf('.');
    return dot < 0 ? null : KINDS.get(path.substring(0, dot));
  }

  /** The value of a singular field path in {@code m} (messages along the way may be unset). */
  private static Object valueAt(Message m, String path) {
    Message at = m;
    String[] parts = path.split("\\.");
    for (int i = 0; i < parts.length; i++) {
      FieldDescriptor f = at.getDescriptorForType().findFieldByName(parts[i]);
      Object value = at.getField(f);
      if (i == parts.length - 1) {
        return value;
      }
      at = (Message) value;
    }
    return null;
  }

  private static boolean isEmpty(Object value) {
    return value == null || "".equals(value);
  }
}
