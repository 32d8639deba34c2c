package io.voyager.bdk.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookDeliveryTest {
  @Test
  void absentDeliveryIsDirectAndOnlyQueuedBindingsMayBeOrdered() {
    assertThat(WebhookDelivery.modeOf(null)).isEqualTo("direct");
    assertThat(WebhookDelivery.isQueued("queued")).isTrue();
    assertThat(WebhookDelivery.isQueued(null)).isFalse();
    assertThat(WebhookDelivery.problem("spec.webhooks[0]", null, null)).isNull();
    assertThat(WebhookDelivery.problem("spec.webhooks[0]", "queued", true)).isNull();
    assertThat(WebhookDelivery.problem("spec.webhooks[0]", "later", null))
        .isEqualTo("spec.webhooks[0].delivery: must be one of [direct, queued]; got 'later'");
    assertThat(WebhookDelivery.problem("spec.webhooks[1]", "direct", true))
        .isEqualTo("spec.webhooks[1].ordered: only a queued binding can be ordered (delivery: queued)");
  }

  @Test
  void bindingsReadAndWriteDeliveryAndOrderedAndLeaveThemOutWhenAbsent() {
    BookInstanceDefinitionSpec.WebhookBinding direct =
        new BookInstanceDefinitionSpec.WebhookBinding("zendesk", "zendesk", "secret", null, null, null);
    assertThat(Serialization.asJson(direct)).doesNotContain("delivery").doesNotContain("ordered");

    var parsed = Serialization.unmarshal(
        "{\"integration\":\"github\",\"scheme\":\"github\",\"credential\":\"s\",\"delivery\":\"queued\",\"ordered\":true}",
        BookInstanceDefinitionSpec.WebhookBinding.class);
    assertThat(parsed.delivery()).isEqualTo("queued");
    assertThat(parsed.ordered()).isTrue();

    var integration = Serialization.unmarshal(
        "{\"name\":\"github\",\"type\":\"webhook\",\"delivery\":\"queued\"}", ExternalBookDefinitionSpec.ExternalIntegration.class);
    assertThat(integration.delivery()).isEqualTo("queued");
    assertThat(integration.ordered()).isNull();
    assertThat(Serialization.asJson(new ExternalBookDefinitionSpec.ExternalIntegration("a", "api", null, null, null)))
        .isEqualTo("{\"name\":\"a\",\"type\":\"api\"}");
    assertThat(List.of(WebhookDelivery.WEBHOOK_ID.matcher("msg_2x:1@a+b=c-d.e").matches(),
        WebhookDelivery.WEBHOOK_ID.matcher("bad id").matches())).containsExactly(true, false);
  }
}
