package io.voyager.bdk.transcoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import java.util.List;
import org.junit.jupiter.api.Test;

class TranscoderConfigTest {

  private final GrpcJsonTranscoder config = TranscoderConfig.bookLibrary(TranscoderSettings.bookLibraryDefaults());

  @Test
  void carriesTheLibraryDescriptorSetWithItsImports() {
    ByteString bin = config.getProtoDescriptorBin();
    assertThat(DescriptorSets.serviceNames(bin)).contains("bdk.library.v1.BookLibrary");
    // convert_grpc_status needs google.rpc.Status and the error detail types in the set.
    assertThat(DescriptorSets.fileNames(bin))
        .contains(
            "bdk/library/v1/library.proto",
            "google/api/annotations.proto",
            "google/api/http.proto",
            "google/rpc/status.proto",
            "google/rpc/error_details.proto");
  }

  @Test
  void exposesTheBookLibraryService() {
    assertThat(config.getServicesList()).containsExactly("bdk.library.v1.BookLibrary");
  }

  @Test
  void printsSnakeCaseJsonWithDefaultsAndEnumNames() {
    assertThat(config.getPrintOptions().getPreserveProtoFieldNames()).isTrue();
    assertThat(config.getPrintOptions().getAlwaysPrintPrimitiveFields()).isTrue();
    assertThat(config.getPrintOptions().getAlwaysPrintEnumsAsInts()).isFalse();
  }

  @Test
  void convertsGrpcStatusAndRejectsWhatTheApiDoesNotDeclare() {
    assertThat(config.getConvertGrpcStatus()).isTrue();
    assertThat(config.getMatchIncomingRequestRoute()).as("the REST route stays the route of the transcoded request").isTrue();
    assertThat(config.getRequestValidationOptions().getRejectUnknownMethod()).isTrue();
    assertThat(config.getRequestValidationOptions().getRejectUnknownQueryParameters()).isTrue();
    assertThat(config.getIgnoreUnknownQueryParameters()).isFalse();
  }

  @Test
  void boundsBodies() {
    GrpcJsonTranscoder small =
        TranscoderConfig.bookLibrary(new TranscoderSettings(List.of("bdk.library.v1.BookLibrary"), 4096, 8192));
    assertThat(small.getMaxRequestBodySize().getValue()).isEqualTo(4096);
    assertThat(small.getMaxResponseBodySize().getValue()).isEqualTo(8192);
  }

  @Test
  void refusesAServiceTheDescriptorSetDoesNotDeclare() {
    ByteString bin = DescriptorSets.load(DescriptorSets.BOOK_LIBRARY_RESOURCE);
    assertThatThrownBy(
            () -> TranscoderConfig.build(bin, new TranscoderSettings(List.of("bdk.library.v1.Nope"), 1, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("services")
        .hasMessageContaining("bdk.library.v1.Nope");
  }

  @Test
  void refusesNonPositiveLimitsNamingTheField() {
    assertThatThrownBy(() -> new TranscoderSettings(List.of("x"), 0, 1))
        .hasMessageContaining("maxRequestBodyBytes");
    assertThatThrownBy(() -> new TranscoderSettings(List.of(), 1, 1)).hasMessageContaining("services");
  }

  @Test
  void missingDescriptorSetIsAClearError() {
    assertThatThrownBy(() -> DescriptorSets.load("/descriptors/nope.pb"))
        .hasMessageContaining("/descriptors/nope.pb");
  }
}
