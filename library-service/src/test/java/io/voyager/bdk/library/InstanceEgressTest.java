package io.voyager.bdk.library;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.Code;
import io.voyager.bdk.library.v1.CreateBookRequest;
import io.voyager.bdk.library.v1.CreateInstanceRequest;
import io.voyager.bdk.library.v1.EgressPort;
import io.voyager.bdk.library.v1.EgressRule;
import io.voyager.bdk.library.v1.Instance;
import io.voyager.bdk.library.v1.Networking;
import io.voyager.bdk.library.v1.Tailscale;
import io.voyager.bdk.model.BookDefinition;
import io.voyager.bdk.model.BookDefinitionSpec;
import io.voyager.bdk.model.BookInstanceDefinition;
import io.voyager.bdk.model.BookInstanceDefinitionSpec;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** An instance's {@code networking.egress}: checked naming each field, stored on the resource and read back. */
class InstanceEgressTest {
  private final RequestValidator validator = new RequestValidator();
  private final ResourceMapper mapper = new ResourceMapper("bdk");
  private static final BookDefinitionSpec BOOK = new BookDefinitionSpec("support", "1.0.0", null, null, null, null, List.of());

  private static final EgressRule ZENDESK_API = EgressRule.newBuilder().setCidr("203.0.113.0/24")
      .addExcept("203.0.113.128/25").addPorts(EgressPort.newBuilder().setPort(443)).build();
  private static final EgressRule SYSLOG = EgressRule.newBuilder().setCidr("2001:db8::/32")
      .addPorts(EgressPort.newBuilder().setPort(514).setProtocol("UDP")).build();

  private static CreateInstanceRequest request(Networking networking) {
    return CreateInstanceRequest.newBuilder().setBookId("b").setCustomerNamespace("customer-acme")
        .setNetworking(networking).build();
  }

  @Test
  void validEgressIsAccepted() {
    assertThatCode(() -> validator.validateCreateInstance(
        request(Networking.newBuilder().addEgress(ZENDESK_API).addEgress(SYSLOG).build()), BOOK)).doesNotThrowAnyException();
  }

  @Test
  void badCidrsPortsAndProtocolsAreRefusedNamingEachField() {
    Networking bad = Networking.newBuilder()
        .addEgress(EgressRule.newBuilder().setCidr("example.com/32"))
        .addEgress(EgressRule.newBuilder().setCidr("10.0.0.0/8").addExcept("192.168.0.0/16")
            .addPorts(EgressPort.newBuilder().setPort(0))
            .addPorts(EgressPort.newBuilder().setPort(53).setProtocol("ICMP")))
        .build();
    ApiException e = catchThrowableOfType(ApiException.class, () -> validator.validateCreateInstance(request(bad), BOOK));
    assertThat(e.code()).isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(e.violations()).extracting(ApiException.Violation::field).containsExactly(
        "networking.egress[0].cidr", "networking.egress[1].except[0]", "networking.egress[1].ports[0].port",
        "networking.egress[1].ports[1].protocol");
    assertThat(e.getMessage()).contains(
        "networking.egress[0].cidr: must be a network in CIDR notation, e.g. 203.0.113.0/24 or 2001:db8::/32; got 'example.com/32'");
  }

  @Test
  void egressIsStoredOnTheInstanceAndReadBack_withTcpSpelledOut() {
    BookDefinition book = mapper.toBookDefinition(CreateBookRequest.newBuilder().setName("support").setVersion("1.0.0").build(),
        UUID.randomUUID(), Instant.now());
    Networking networking = Networking.newBuilder().setTailscale(Tailscale.newBuilder().setEnabled(true))
        .addEgress(ZENDESK_API).addEgress(SYSLOG).build();
    BookInstanceDefinition d = mapper.toInstanceDefinition(request(networking), book, "acme", UUID.randomUUID(), Instant.now());

    assertThat(d.getSpec().networking().egress()).containsExactly(
        new BookInstanceDefinitionSpec.EgressRule("203.0.113.0/24", List.of("203.0.113.128/25"),
            List.of(new BookInstanceDefinitionSpec.EgressPort(443, null))),
        new BookInstanceDefinitionSpec.EgressRule("2001:db8::/32", null,
            List.of(new BookInstanceDefinitionSpec.EgressPort(514, "UDP"))));
    Instance read = mapper.toInstance(d);
    assertThat(read.getNetworking().getEgressList()).containsExactly(
        ZENDESK_API.toBuilder().setPorts(0, EgressPort.newBuilder().setPort(443).setProtocol("TCP")).build(), SYSLOG);
    assertThat(read.getNetworking().getTailscale().getEnabled()).isTrue();

    BookInstanceDefinition egressOnly = mapper.toInstanceDefinition(
        request(Networking.newBuilder().addEgress(SYSLOG).build()), book, "acme", UUID.randomUUID(), Instant.now());
    assertThat(egressOnly.getSpec().networking().tailscale()).isNull();
    assertThat(mapper.toInstanceDefinition(request(Networking.getDefaultInstance()), book, "acme", UUID.randomUUID(), Instant.now())
        .getSpec().networking()).isNull();
  }
}
