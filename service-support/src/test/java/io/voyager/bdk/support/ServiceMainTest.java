package io.voyager.bdk.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class ServiceMainTest {
  @Command(name = "demo")
  static final class Demo implements Callable<AutoCloseable> {
    @Option(names = "--port", defaultValue = "7")
    int port;

    final List<Integer> started = new ArrayList<>();

    @Override
    public AutoCloseable call() {
      started.add(port);
      return () -> {};
    }
  }

  @Test
  void startParsesFlagsThenStarts() throws Exception {
    Demo demo = new Demo();
    try (AutoCloseable running = ServiceMain.start(demo, "--port", "9")) {
      assertThat(demo.started).containsExactly(9);
    }
  }

  @Test
  void badFlagIsRefusedNamingItAndNothingStarts() {
    Demo demo = new Demo();
    assertThatThrownBy(() -> ServiceMain.start(demo, "--port", "nine"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--port");
    assertThat(demo.started).isEmpty();
  }

  @Command(name = "with-mixins")
  static final class WithMixins implements Callable<AutoCloseable> {
    @picocli.CommandLine.Mixin KubeconfigOption kube = new KubeconfigOption();
    @picocli.CommandLine.Mixin AdminOptions admin = new AdminOptions("0.0.0.0", 50052);

    @Override
    public AutoCloseable call() {
      return () -> {};
    }
  }

  @Test
  void sharedFlagsKeepEachServicesDefaultsAndTakeOverrides() throws Exception {
    WithMixins defaults = new WithMixins();
    ServiceMain.start(defaults).close();
    assertThat(defaults.admin.host()).isEqualTo("0.0.0.0");
    assertThat(defaults.admin.port).isEqualTo(50052);
    assertThat(defaults.kube.kubeconfig).isNull();

    WithMixins given = new WithMixins();
    ServiceMain.start(given, "--admin-host", "127.0.0.1", "--admin-port", "0", "--kubeconfig", "/tmp/kc").close();
    assertThat(given.admin.host()).isEqualTo("127.0.0.1");
    assertThat(given.admin.port).isZero();
    assertThat(given.kube.kubeconfig).hasToString("/tmp/kc");
    assertThat(new CommandLine(new WithMixins()).getUsageMessage()).contains("default: 50052");
  }

  @Test
  void closerClosesInReverseAndGoesOnPastFailures() {
    List<String> closed = new ArrayList<>();
    Closer closer = new Closer();
    closer.register(() -> closed.add("first"));
    closer.register(
        () -> {
          closed.add("failing");
          throw new IllegalStateException("boom");
        });
    closer.register(() -> closed.add("last"));
    closer.close();
    assertThat(closed).containsExactly("last", "failing", "first");
  }
}
