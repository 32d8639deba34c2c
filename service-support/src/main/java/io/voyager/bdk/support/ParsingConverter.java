package io.voyager.bdk.support;

import java.util.function.Function;
import picocli.CommandLine;

/**
 * A picocli converter that parses a flag's value with a given function. The function refuses a bad
 * value with an {@link IllegalArgumentException} whose message says why and names what is
 * accepted (e.g. {@code 'lazy' is not one of eager, on-demand}); that becomes picocli's
 * {@link CommandLine.TypeConversionException}, which picocli reports as
 * {@code Invalid value for option '--flag': <message>} before anything starts.
 *
 * <p>picocli instantiates converters by class, so each flag type gets a small subclass with a
 * no-argument constructor: {@code super(RouteLayout::parse)}.
 */
public abstract class ParsingConverter<T> implements CommandLine.ITypeConverter<T> {
  private final Function<String, T> parse;

  protected ParsingConverter(Function<String, T> parse) {
    this.parse = parse;
  }

  @Override
  public final T convert(String value) {
    try {
      return parse.apply(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
