package io.voyager.bdk.library;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.voyager.bdk.library.RequestValidator.CredentialDraft;
import io.voyager.bdk.library.RequestValidator.InstanceDraft;
import io.voyager.bdk.library.v1.Credential;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.model.BdkLabels;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import io.voyager.bdk.model.InstanceCredentials;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What an update writes, worked out before anything is written: the instance resource as it will
 * be (spec, book label, credential annotations) and the changes to its credentials Secret. Checks
 * the result with {@link RequestValidator#validateInstance} — the create rules, the same
 * field-named errors — so an update can leave nothing a create would refuse. No I/O: the values of
 * generated credentials come from {@link CredentialValues}.
 *
 * <p>Credentials, by name, against what the instance has (an empty type or source keeps the
 * credential's own):
 * <ul>
 *   <li>manual with a value: written (a rotation when the instance had it); without one: kept;
 *   <li>generated: generated when new, when it was not generated before, or when {@code rotation}
 *       asks; else kept;
 *   <li>external: never written; a key left from an earlier source stays for the outside manager to
 *       overwrite;
 *   <li>a credential left out of the list: its key is removed (an external one's is left alone);
 *   <li>{@code rotation.overlap_seconds}: the previous value stays beside the new one until then.
 * </ul>
 */
final class InstanceUpdatePlanner {

  /** One change to the credentials Secret: a value to write (keeping the previous one until {@code previousValidUntil} when set), or a key to remove. */
  record SecretChange(String name, String value, Instant previousValidUntil) {
    static SecretChange put(String name, String value, Instant previousValidUntil) {
      return new SecretChange(name, value, previousValidUntil);
    }

    static SecretChange remove(String name) {
      return new SecretChange(name, null, null);
    }

    boolean removes() {
      return value == null;
    }

    /** Never the value: for logs and assertions. */
    @Override
    public String toString() {
      return removes() ? "remove " + name : "put " + name + (previousValidUntil == null ? "" : " keeping the previous until " + previousValidUntil);
    }
  }

  /** The instance to write, the Secret changes after it, and the values generated (name → value, to return once). */
  record Plan(BookInstanceDefinition updated, List<SecretChange> secretChanges, Map<String, String> generated, boolean changesInstance) {
    @Override
    public String toString() {
      return "Plan[changesInstance=" + changesInstance + ", secretChanges=" + secretChanges + ", generated=" + generated.keySet() + "]";
    }
  }

  private final RequestValidator validator;
  private final CredentialValues values;

  InstanceUpdatePlanner(RequestValidator validator, CredentialValues values) {
    this.validator = validator;
    this.values = values;
  }

  /**
   * The plan for {@code current} (as the API server holds it) becoming {@code merged} (its fields
   * with the update applied), running {@code book} (its own, or another version of it), at {@code now}.
   *
   * @throws ApiException INVALID_ARGUMENT naming every field that breaks a rule
   */
  Plan plan(BookInstanceDefinition current, Instance merged, BookDefinition book, Instant now) {
    BookInstanceDefinitionSpec spec = current.getSpec();
    Map<String, BookInstanceDefinitionSpec.Credential> existing = new LinkedHashMap<>();
    for (BookInstanceDefinitionSpec.Credential c : spec.credentials() == null ? List.<BookInstanceDefinitionSpec.Credential>of() : spec.credentials()) {
      existing.putIfAbsent(c.name(), c);
    }
    List<Credential> asked = merged.getCredentialsList().stream().map(c -> keepingTypeAndSource(c, existing.get(c.getName()))).toList();
    List<CredentialDraft> drafts = asked.stream().map(c -> new CredentialDraft(c.getName(), c.getType(), c.getSource(),
        c.hasValue() ? c.getValue() : "", c.hasRotation() ? Optional.of(c.getRotation()) : Optional.empty(),
        Optional.ofNullable(existing.get(c.getName())).map(e -> InstanceCredentials.sourceOrDefault(e.source())))).toList();
    validator.validateInstance(new InstanceDraft(spec.customer().namespace(), nz(spec.customer().organizationId()),
        merged.hasDeployment() ? Optional.of(merged.getDeployment()) : Optional.empty(), merged.getNetworking(), drafts,
        merged.getWebhooksList(), "the instance"), book.getSpec());

    Set<String> standardSecrets = new HashSet<>();
    merged.getWebhooksList().stream().filter(w -> w.getScheme().equals("standard")).forEach(w -> standardSecrets.add(w.getCredential()));
    List<SecretChange> changes = new ArrayList<>();
    Map<String, String> generated = new LinkedHashMap<>();
    Map<String, CredentialHistory.Rotation> rotations = new LinkedHashMap<>(CredentialHistory.rotations(current));
    Set<String> kept = new HashSet<>();
    for (Credential c : asked) {
      kept.add(c.getName());
      BookInstanceDefinitionSpec.Credential before = existing.get(c.getName());
      String source = InstanceCredentials.sourceOrDefault(c.getSource());
      String newValue = null;
      if (source.equals(InstanceCredentials.GENERATED)) {
        boolean wasGenerated = before != null && InstanceCredentials.sourceOrDefault(before.source()).equals(InstanceCredentials.GENERATED);
        if (!wasGenerated || c.hasRotation()) {
          newValue = values.generate(standardSecrets.contains(c.getName()));
          generated.put(c.getName(), newValue);
        }
      } else if (source.equals(InstanceCredentials.MANUAL) && c.hasValue() && !c.getValue().isEmpty()) {
        newValue = c.getValue();
      }
      if (newValue == null) {
        continue;
      }
      int overlap = c.hasRotation() ? c.getRotation().getOverlapSeconds() : 0;
      Instant until = overlap > 0 ? now.plusSeconds(overlap) : null;
      changes.add(SecretChange.put(c.getName(), newValue, until));
      if (before != null) {
        rotations.put(c.getName(), new CredentialHistory.Rotation(ResourceMapper.timestamp(now),
            until == null ? "" : ResourceMapper.timestamp(until)));
      } else {
        rotations.remove(c.getName());
      }
    }
    for (BookInstanceDefinitionSpec.Credential gone : existing.values()) {
      if (!kept.contains(gone.name())) {
        rotations.remove(gone.name());
        if (!InstanceCredentials.sourceOrDefault(gone.source()).equals(InstanceCredentials.EXTERNAL)) {
          changes.add(SecretChange.remove(gone.name()));
        }
      }
    }

    List<BookInstanceDefinitionSpec.Credential> credentials = asked.stream()
        .map(c -> new BookInstanceDefinitionSpec.Credential(c.getName(), emptyToNull(c.getType()), emptyToNull(c.getSource())))
        .toList();
    BookInstanceDefinitionSpec next = ResourceMapper.toSpec(merged, book, spec.customer(), credentials);
    String bookId = SortKeys.label(book.getMetadata().getLabels(), BdkLabels.BOOK_ID);
    BookInstanceDefinition updated = new BookInstanceDefinition();
    ObjectMetaBuilder meta = new ObjectMetaBuilder(current.getMetadata()).addToLabels(BdkLabels.BOOK_ID, bookId);
    if (!changes.isEmpty()) {
      meta.addToAnnotations(CredentialHistory.REVISION, Long.toString(CredentialHistory.revision(current) + 1));
      if (rotations.isEmpty()) {
        meta.removeFromAnnotations(CredentialHistory.ROTATIONS);
      } else {
        meta.addToAnnotations(CredentialHistory.ROTATIONS, CredentialHistory.format(rotations));
      }
    }
    updated.setMetadata(meta.build());
    updated.setSpec(next);
    updated.setStatus(current.getStatus());
    boolean changesInstance = !changes.isEmpty() || !Objects.equals(next, spec)
        || !bookId.equals(SortKeys.label(current.getMetadata().getLabels(), BdkLabels.BOOK_ID));
    return new Plan(updated, List.copyOf(changes), generated, changesInstance);
  }

  /** A credential the instance has keeps its type and source when the update leaves them empty. */
  private static Credential keepingTypeAndSource(Credential c, BookInstanceDefinitionSpec.Credential before) {
    if (before == null) {
      return c;
    }
    Credential.Builder b = c.toBuilder();
    if (c.getType().isEmpty()) {
      b.setType(nz(before.type()));
    }
    if (c.getSource().isEmpty()) {
      b.setSource(nz(before.source()));
    }
    return b.build();
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
