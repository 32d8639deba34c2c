package io.voyager.bdk.model;

/**
 * Schema stand-in for free-form maps ({@code custom_settings}, integration {@code config}, output
 * {@code schema}): with {@code @SchemaFrom(type = FreeFormObject.class)} and
 * {@code @PreserveUnknownFields} the CRD says "an object, any fields, any value types" instead of
 * "a map whose values are objects", which would refuse {@code max_tickets_per_hour: 100}.
 */
final class FreeFormObject {
  private FreeFormObject() {}
}
