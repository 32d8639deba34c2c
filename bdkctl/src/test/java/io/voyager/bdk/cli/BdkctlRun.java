package io.voyager.bdk.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One bdkctl invocation, run in-process as a test sees it: exit code, standard output, standard error. */
record BdkctlRun(int exitCode, String out, String err) {
  static BdkctlRun run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Bdkctl.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args);
    return new BdkctlRun(code, out.toString(), err.toString());
  }
}
