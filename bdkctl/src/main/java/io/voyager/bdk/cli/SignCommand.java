package io.voyager.bdk.cli;

import io.voyager.bdk.extauthz.scheme.Header;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code bdkctl webhook sign}: prints exactly the header lines a sender adds, {@code Name: value}, one a line. */
@Command(name = "sign", mixinStandardHelpOptions = true,
    description = "Print the signature header lines a sender adds for this body (Name: value, one a line).")
final class SignCommand implements Callable<Integer> {
  @Mixin
  SigningOptions signing;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    for (Header header : signing.sign()) {
      out.println(header.name() + ": " + header.value());
    }
    out.flush();
    return 0;
  }
}
