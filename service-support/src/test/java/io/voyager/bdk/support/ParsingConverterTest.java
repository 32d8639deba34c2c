package io.voyager.bdk.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class ParsingConverterTest {
  enum Mode {
    FAST, SAFE;

    static Mode parse(String value) {
      return switch (value) {
        case "fast" -> FAST;
        case "safe" -> SAFE;
        default -> throw new IllegalArgumentException("'" + value + "' is not one of fast, safe");
      };
    }
  }

  static final class ModeConverter extends ParsingConverter<Mode> {
    ModeConverter() {
      super(Mode::parse);
    }
  }

  @Command(name = "tool")
  static final class Tool {
    @Option(names = "--mode", defaultValue = "safe", converter = ModeConverter.class)
    Mode mode;
  }

  @Test
  void aValueIsParsedWithTheGivenFunction() {
    Tool tool = new Tool();
    new CommandLine(tool).parseArgs("--mode", "fast");
    assertThat(tool.mode).isEqualTo(Mode.FAST);
    new CommandLine(tool).parseArgs();
    assertThat(tool.mode).isEqualTo(Mode.SAFE);
  }

  @Test
  void aRefusedValueIsPicoclisInvalidValueNamingTheFlagAndTheFunctionsReasonAlone() {
    assertThatThrownBy(() -> new CommandLine(new Tool()).parseArgs("--mode", "reckless"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessage("Invalid value for option '--mode': 'reckless' is not one of fast, safe");
  }
}
