package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.voyager.bdk.model.BookInstanceDefinitionSpec.Credential;
import io.voyager.bdk.model.BookInstanceDefinitionSpec.Tailscale;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The Tailscale rules every validator shares: tags, tailnet, mode, the auth key credential. */
class TailscaleRulesTest {

  @ParameterizedTest
  @CsvSource({"customer,tag:customer", "tag:customer,tag:customer", "tag:prod-eu-1,tag:prod-eu-1", "a,tag:a"})
  void validTagsAreAdvertisedWithTheirPrefix(String tag, String advertised) {
    assertThat(TailscaleRules.tagProblem(tag)).isEmpty();
    assertThat(TailscaleRules.advertisedTag(tag)).isEqualTo(advertised);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "tag:", "Tag:x", "tag:Upper", "tag:-x", "tag:x-", "tag:a b", "a,tag:b", "tag:x --accept-routes",
      "--accept-routes", "tag:a.b", "tag:a_b", "tag:tag:x"})
  void everythingElseIsRefusedBeforeItReachesTheSidecarsArguments(String tag) {
    assertThat(TailscaleRules.tagProblem(tag)).isPresent();
  }

  @Test
  void aTagOfSixtyFourCharactersIsTooLong() {
    assertThat(TailscaleRules.tagProblem("tag:" + "a".repeat(63))).isEmpty();
    assertThat(TailscaleRules.tagProblem("tag:" + "a".repeat(64))).isPresent();
  }

  @ParameterizedTest
  @CsvSource({"acme-corp,acme-corp.ts.net", "acme-corp.ts.net,acme-corp.ts.net", "tail1234.ts.net.,tail1234.ts.net",
      "corp.example.com,corp.example.com"})
  void aTailnetIsItsDnsName_aSingleLabelBeingUnderTsNet(String tailnet, String domain) {
    assertThat(TailscaleRules.tailnetProblem(tailnet)).isEmpty();
    assertThat(TailscaleRules.tailnetDomain(tailnet)).isEqualTo(domain);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Acme", "acme corp", "acme..ts.net", ".acme", "acme_corp", "-acme"})
  void aTailnetThatIsNoDnsNameIsRefused(String tailnet) {
    assertThat(TailscaleRules.tailnetProblem(tailnet)).isPresent();
  }

  @Test
  void aDeviceIsInTheTailnetItsFqdnEndsWith() {
    assertThat(TailscaleRules.inTailnet("book.acme-corp.ts.net.", "acme-corp")).isTrue();
    assertThat(TailscaleRules.inTailnet("book.acme-corp.ts.net", "acme-corp.ts.net")).isTrue();
    assertThat(TailscaleRules.inTailnet("book.evil-acme-corp.ts.net.", "acme-corp")).isFalse();
    assertThat(TailscaleRules.inTailnet("book.globex.ts.net.", "acme-corp")).isFalse();
    assertThat(TailscaleRules.tailnetOf("book.globex.ts.net.")).isEqualTo("globex.ts.net");
  }

  @Test
  void problemsNameEachFieldAndTheMissingAuthKey() {
    var ts = new Tailscale(true, "Acme Corp", List.of("customer", "tag:a b"), "privileged");
    assertThat(TailscaleRules.problems(ts, List.of(new Credential("zendesk", "secret", "manual"))))
        .extracting(FieldProblem::field)
        .containsExactly("networking.tailscale.tags[1]", "networking.tailscale.tailnet", "networking.tailscale.mode", "credentials");
    assertThat(TailscaleRules.problems(new Tailscale(true, "acme-corp", List.of("customer"), null),
        List.of(new Credential(InstanceCredentials.TAILSCALE_AUTH_KEY, "secret", "manual")))).isEmpty();
    assertThat(TailscaleRules.problems(new Tailscale(false, null, null, null), List.of())).isEmpty();
    assertThat(TailscaleRules.problems(null, null)).isEmpty();
  }
}
