package io.voyager.bdk.relay;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.voyager.bdk.model.Digests;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Delivery records in the JetStream key-value bucket, one per webhook, kept for the bucket's TTL
 * after their last change. The key is {@code <namespace>.<name>.<sha256(webhook id), 32 hex>}
 * (dots in a name become {@code _}, which no Kubernetes name has), so one instance's records are
 * the keys under {@code <namespace>.<name>.>}. Shared by the relay (writes) and bdkctl (reads).
 */
public final class DeliveryRecords {
  private final KeyValue bucket;

  public DeliveryRecords(Connection connection, QueueSettings queue) throws java.io.IOException {
    this.bucket = connection.keyValue(queue.recordsBucket());
  }

  public static String key(String namespace, String name, String webhookId) {
    return prefix(namespace, name) + Digests.sha256Hex(webhookId).substring(0, 32);
  }

  private static String prefix(String namespace, String name) {
    return namespace.replace('.', '_') + "." + name.replace('.', '_') + ".";
  }

  public Optional<DeliveryRecord> get(String namespace, String name, String webhookId) throws Exception {
    KeyValueEntry entry = bucket.get(key(namespace, name, webhookId));
    return entry == null || entry.getValue() == null ? Optional.empty()
        : Optional.of(Json.read(entry.getValue(), DeliveryRecord.class));
  }

  public void put(String namespace, String name, DeliveryRecord record) throws Exception {
    bucket.put(key(namespace, name, record.webhookId()), Json.write(record));
  }

  /** The instance's records, most recently updated first, at most {@code limit}. */
  public List<DeliveryRecord> recent(String namespace, String name, int limit) throws Exception {
    List<DeliveryRecord> records = new ArrayList<>();
    for (String key : bucket.keys(prefix(namespace, name) + "*")) {
      KeyValueEntry entry = bucket.get(key);
      if (entry != null && entry.getValue() != null) {
        records.add(Json.read(entry.getValue(), DeliveryRecord.class));
      }
    }
    records.sort(Comparator.comparing(DeliveryRecord::updatedAt, Comparator.nullsLast(Comparator.reverseOrder())));
    return records.subList(0, Math.min(limit, records.size()));
  }
}
