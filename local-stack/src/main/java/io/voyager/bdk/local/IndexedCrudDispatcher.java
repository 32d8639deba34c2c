package io.voyager.bdk.local;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import java.util.AbstractMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fabric8 mock's CRUD dispatcher with its lookup of one object by name indexed. The mock finds
 * the object a create, update, patch or status write names by testing every stored object in turn,
 * so with 10,000 books (30,000 objects: Services, EndpointSlices, books) every such write cost tens
 * of milliseconds and loading N books grew with N². Here every stored object is also indexed by its
 * name (every change passes through {@link #processEvent}), and {@link #findResource} tests only
 * the few objects of that name with the mock's own matching. Lists, watches, deletes and GETs are
 * the mock's own. Should the index ever disagree with the store (an object stored by another path),
 * it is dropped for good and every lookup is the mock's scan again.
 */
final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(IndexedCrudDispatcher.class);
  private static final String NAME = KubernetesAttributesExtractor.NAME;
  private static final String PLURAL = KubernetesAttributesExtractor.PLURAL;
  private final Map<String, Set<AttributeSet>> byName = new ConcurrentHashMap<>();
  private volatile boolean trusted = true;

  IndexedCrudDispatcher(List<CustomResourceDefinitionContext> customResources) {
    super(customResources);
  }

  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    String name = name(query);
    if (!trusted || name == null) {
      return super.findResource(query);
    }
    Set<AttributeSet> candidates = byName.get(name);
    if (candidates != null) {
      for (AttributeSet candidate : candidates) {
        String value = getMap().get(candidate);
        if (value != null && candidate.matches(query)) {
          return new AbstractMap.SimpleImmutableEntry<>(candidate, value);
        }
      }
    }
    return null;
  }

  @Override
  public void processEvent(String path, AttributeSet pathAttributes, AttributeSet oldAttributes,
      GenericKubernetesResource resource, String newState) {
    super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
    if (oldAttributes != null) {
      forget(oldAttributes);
    }
    if (newState != null) {
      // The key the mock stored it under, computed as the mock does.
      KubernetesAttributesExtractor extractor = (KubernetesAttributesExtractor) getAttributeExtractor();
      AttributeSet stored = resource != null ? extractor.extract(resource) : extractor.fromResource(newState);
      if (!stored.containsKey(PLURAL)) {
        stored = AttributeSet.merge(pathAttributes, stored);
      }
      String name = name(stored);
      if (name == null || !getMap().containsKey(stored)) {
        if (trusted) {
          log.warn("event=kube_api_index_dropped path={} reason=\"stored under a key the index cannot name\" effect=\"lookups scan"
              + " every object again\"", path);
        }
        trusted = false;
      } else {
        byName.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(stored);
      }
    }
  }

  @Override
  public void reset() {
    super.reset();
    byName.clear();
    trusted = true;
  }

  private void forget(AttributeSet attributes) {
    String name = name(attributes);
    if (name != null) {
      byName.computeIfPresent(name, (n, set) -> {
        set.remove(attributes);
        return set.isEmpty() ? null : set;
      });
    }
  }

  /** The name value as a string; null when there is none (a list, a generateName create). */
  private static String name(AttributeSet attributes) {
    Attribute name = attributes.getAttribute(NAME);
    if (name == null || name.getValues().size() != 1) {
      return null;
    }
    String value = String.valueOf(name.getValues().get(0));
    return value.isEmpty() || value.equals("null") ? null : value;
  }
}
