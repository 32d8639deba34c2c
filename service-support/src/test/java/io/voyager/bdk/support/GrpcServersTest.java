package io.voyager.bdk.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class GrpcServersTest {
  @Test
  void healthReportsServingUntilClosed() {
    try (GrpcServers.Running running = GrpcServers.start(0, new SimpleMeterRegistry())) {
      ManagedChannel channel =
          ManagedChannelBuilder.forAddress("127.0.0.1", running.port()).usePlaintext().build();
      try {
        ServingStatus status =
            HealthGrpc.newBlockingStub(channel)
                .check(HealthCheckRequest.getDefaultInstance())
                .getStatus();
        assertThat(status).isEqualTo(ServingStatus.SERVING);
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
