package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.model.BookInstanceDefinitionSpec.EgressPort;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.EgressRule;
import io.voyager.bdk.model.EgressRules.Problem;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EgressRulesTest {
  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0/0", "10.0.0.0/8", "203.0.113.7/32", "::/0", "2001:db8::/32", "fd00::/8", "::ffff:10.0.0.0/104"})
  void networksInCidrNotationAreAccepted(String cidr) {
    assertThat(EgressRules.cidrProblem(cidr)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.0", "10.0.0.0/", "/8", "10.0.0.0/33", "256.0.0.0/8", "10.0.0/8", "010.0.0.0/8",
      "example.com/32", "localhost/8", "zz::/8", ".::/8", "2001:db8::/129", "10.0.0.0/8/8", "10.0.0.0/x", "1::2::3/64"})
  void anythingElseIsRefused(String cidr) {
    assertThat(EgressRules.cidrProblem(cidr)).isPresent();
  }

  @Test
  void hostBitsSetAreRefusedNamingTheNetwork() {
    assertThat(EgressRules.cidrProblem("10.1.2.3/8")).contains("'10.1.2.3/8' has host bits set; the network is '10.0.0.0/8'");
    assertThat(EgressRules.cidrProblem("2001:db8::1/32")).contains("'2001:db8::1/32' has host bits set; the network is '2001:db8::/32'");
  }

  @Test
  void aValidRuleHasNoProblems() {
    var rule = new EgressRule("203.0.113.0/24", List.of("203.0.113.128/25"),
        List.of(new EgressPort(443, null), new EgressPort(53, "UDP"), new EgressPort(9000, "SCTP")));
    assertThat(EgressRules.problems(List.of(rule))).isEmpty();
    assertThat(EgressRules.problems(null)).isEmpty();
  }

  @Test
  void everyProblemNamesItsField() {
    var rules = List.of(
        new EgressRule("203.0.113.0/24", List.of("198.51.100.0/24", "203.0.113.0/24", "2001:db8::/48", "nope"),
            List.of(new EgressPort(0, "TCP"), new EgressPort(65536, "ICMP"), new EgressPort(null, null))),
        new EgressRule(null, null, null));
    assertThat(EgressRules.problems(rules)).extracting(Problem::field).containsExactly(
        "egress[0].except[0]", "egress[0].except[1]", "egress[0].except[2]", "egress[0].except[3]",
        "egress[0].ports[0].port", "egress[0].ports[1].port", "egress[0].ports[1].protocol", "egress[0].ports[2].port",
        "egress[1].cidr");
    assertThat(EgressRules.problems(rules).get(0).message())
        .isEqualTo("'198.51.100.0/24' must be a network strictly inside cidr '203.0.113.0/24'");
    assertThat(EgressRules.problems(rules).get(6).message())
        .isEqualTo("must be one of SCTP, TCP, UDP (TCP when absent); got 'ICMP'");
  }

  @Test
  void listsAreBounded() {
    var many = Collections.nCopies(EgressRules.MAX_RULES + 1, new EgressRule("10.0.0.0/8", null, null));
    assertThat(EgressRules.problems(many)).extracting(Problem::field).containsExactly("egress");
  }

  @Test
  void theProtocolDefaultsToTcp() {
    assertThat(EgressRules.protocol(new EgressPort(443, null))).isEqualTo("TCP");
    assertThat(EgressRules.protocol(new EgressPort(53, "UDP"))).isEqualTo("UDP");
  }
}
