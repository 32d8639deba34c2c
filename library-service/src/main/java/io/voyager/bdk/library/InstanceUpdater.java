package io.voyager.bdk.library;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.UpdateInstanceRequest;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.Organization;
import io.voyager.bdk.model.OrganizationIndex;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UpdateInstance after authorization: reads the instance from the API server, checks the etag,
 * applies the mask, plans ({@link InstanceUpdatePlanner}: validation included), then writes with a
 * compare-and-swap on the resourceVersion it read — through {@link QuotaGuard} when the charge
 * grows, through {@link BookDeletionGuard} when the book version changes — and last the credentials
 * Secret ({@link CredentialsSecretWriter}). A write that loses the compare-and-swap starts again from
 * a fresh read: with an etag that read is what turns a concurrent change into ABORTED; without one
 * the update applies to the newer instance (last writer wins, field by field).
 *
 * <p>Order matters: nothing is written before the etag check and validation, and the Secret only
 * after the instance write is confirmed, so a refused update changes no credential. Should the
 * Secret write fail after that, the call answers UNAVAILABLE with the instance already updated
 * (its credential revision too): sending the same update again writes the values.
 */
final class InstanceUpdater {
  private static final Logger log = LoggerFactory.getLogger(InstanceUpdater.class);
  static final int ATTEMPTS = 5;

  private final BookRepository books;
  private final InstanceRepository instances;
  private final BookDeletionGuard deletions;
  private final QuotaGuard quotas;
  private final CredentialsSecretWriter secrets;
  private final InstanceUpdatePlanner planner;
  private final ResourceMapper mapper;
  private final Clock clock;
  private final UpdateCheckpoints checkpoints;

  InstanceUpdater(BookRepository books, InstanceRepository instances, BookDeletionGuard deletions, QuotaGuard quotas,
      CredentialsSecretWriter secrets, InstanceUpdatePlanner planner, ResourceMapper mapper, Clock clock,
      UpdateCheckpoints checkpoints) {
    this.books = books;
    this.instances = instances;
    this.deletions = deletions;
    this.quotas = quotas;
    this.secrets = secrets;
    this.planner = planner;
    this.mapper = mapper;
    this.clock = clock;
    this.checkpoints = checkpoints;
  }

  /** A write lost its compare-and-swap: nothing was written; start again from a fresh read. */
  private static final class WriteConflict extends RuntimeException {
    WriteConflict() {
      super(null, null, false, false);
    }
  }

  /**
   * Updates {@code cached} (the instance the caller named, as the cache has it) as {@code request}
   * asks; {@code missing} answers for an instance that is gone meanwhile.
   */
  Instance update(BookInstanceDefinition cached, BookDefinition cachedBook, UpdateInstanceRequest request,
      OrganizationIndex organizations, Supplier<ApiException> missing) {
    Instance body = request.getInstance();
    UpdateMask mask = UpdateMask.of(request.getUpdateMask(), body);
    Optional<Etag> etag = body.getEtag().isBlank() ? Optional.empty() : Optional.of(Etag.parse(body.getEtag()));
    String name = cached.getMetadata().getName();
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      BookInstanceDefinition current = instances.readFromServer(name)
          .filter(i -> Objects.equals(i.getMetadata().getUid(), cached.getMetadata().getUid()))
          .filter(ResourceCache::isLive)
          .orElseThrow(missing);
      if (!SortKeys.label(current.getMetadata().getLabels(), BdkLabels.BOOK_ID)
          .equals(SortKeys.label(cachedBook.getMetadata().getLabels(), BdkLabels.BOOK_ID))) {
        throw missing.get(); // moved to another version of its book meanwhile: not under this book_id any more
      }
      Etag now = Etag.of(current);
      if (etag.isPresent() && !etag.get().equals(now)) {
        throw ApiException.aborted(Etag.FIELD, "etag: the instance changed since " + etag.get().text()
            + " was read (it is " + now.text() + " now); read it again and send the update on that");
      }
      checkpoints.afterEtagChecked(name);
      Instance view = mapper.toInstance(current);
      Instance merged = mask.apply(view, body);
      BookDefinition book = targetBook(cachedBook, merged.getBookVersion());
      boolean upgrade = !Objects.equals(book.getMetadata().getUid(), cachedBook.getMetadata().getUid());
      if (upgrade) {
        deletions.refuseIfDeleting(book);
      }
      InstanceUpdatePlanner.Plan plan = planner.plan(current, merged, book, clock.instant());
      if (!plan.changesInstance()) {
        return view;
      }
      String namespace = InstanceRepository.customerNamespace(current);
      InstanceCharge before = InstanceCharge.of(current.getSpec());
      InstanceCharge after = InstanceCharge.of(plan.updated().getSpec());
      Consumer<BookInstanceDefinition> undo = written -> restore(written, current);
      Supplier<BookInstanceDefinition> write = () -> {
        BookInstanceDefinition written = instances.replaceIfUnchanged(plan.updated()).orElseThrow(WriteConflict::new);
        if (upgrade) {
          deletions.confirmUpgraded(book, written, undo);
        }
        return written;
      };
      BookInstanceDefinition written;
      try {
        written = write(organizations, namespace, name, before, after, write, undo);
      } catch (WriteConflict e) {
        log.info("event=instance_update_retry resource={} attempt={}", name, attempt);
        continue;
      }
      secrets.apply(written, plan.secretChanges());
      log.info("event=instance_updated resource={} fields=\"{}\" book_version={} generation={} secret_changes=\"{}\"",
          name, String.join(",", mask.updatable()), LogValues.of(merged.getBookVersion()),
          written.getMetadata().getGeneration(), plan.secretChanges());
      return ResourceMapper.withGeneratedValues(mapper.toInstance(written), plan.generated());
    }
    throw ApiException.aborted("instance_id", "instance_id: the instance kept changing while it was being updated; try again");
  }

  /** The write through the Organization's quotas (a growing charge in a namespace no Organization keeps cannot be checked: refused). */
  private BookInstanceDefinition write(OrganizationIndex organizations, String namespace, String name, InstanceCharge before,
      InstanceCharge after, Supplier<BookInstanceDefinition> write, Consumer<BookInstanceDefinition> undo) {
    Optional<Organization> org = organizations.organizationIdOf(namespace).flatMap(organizations::byOrganizationId);
    if (org.isEmpty()) {
      if (QuotaCheck.grows(before, after)) {
        throw ApiException.failedPrecondition("customer_namespace", "customer_namespace: namespace "
            + RequestValidator.quoted(namespace) + " belongs to no Organization, so no quota can admit more for it; "
            + "an operator must list it in one first (decreases are always allowed)");
      }
      return write.get();
    }
    String organizationId = org.get().getSpec().organizationId();
    return quotas.update(org.get(), organizations.namespacesOf(organizationId), name, before, after, write, undo);
  }

  /**
   * The book {@code version} names: the instance's own when unchanged, else the version of the same
   * book (by name) — an upgrade or a downgrade.
   */
  private BookDefinition targetBook(BookDefinition own, String version) {
    if (version.isEmpty() || version.equals(own.getSpec().version())) {
      return own;
    }
    return books.findByNameVersion(own.getSpec().name(), version).orElseThrow(() -> ApiException.invalid("book_version",
        "book " + RequestValidator.quoted(own.getSpec().name()) + " has no version " + RequestValidator.quoted(version)
            + " (publish it first; an instance runs only versions of its own book)"));
  }

  /**
   * Puts {@code written} back as {@code before} was (spec, labels, annotations), only if nobody
   * changed it since; a later writer's instance is left as that writer made it.
   */
  private void restore(BookInstanceDefinition written, BookInstanceDefinition before) {
    BookInstanceDefinition restored = new BookInstanceDefinition();
    restored.setMetadata(new ObjectMetaBuilder(written.getMetadata())
        .withLabels(before.getMetadata().getLabels())
        .withAnnotations(before.getMetadata().getAnnotations())
        .build());
    restored.setSpec(before.getSpec());
    restored.setStatus(written.getStatus());
    if (instances.replaceIfUnchanged(restored).isEmpty()) {
      log.warn("event=instance_update_rollback_conflict resource={} book_id={}", written.getMetadata().getName(),
          SortKeys.label(written.getMetadata().getLabels(), BdkLabels.BOOK_ID));
    } else {
      log.info("event=instance_update_rolled_back resource={}", written.getMetadata().getName());
    }
  }
}
