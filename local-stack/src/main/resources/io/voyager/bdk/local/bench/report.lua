
-- Appended to each make bench script: one machine-readable line the benchmark parses.
function done(summary, latency, requests)
  io.write(string.format(
    "BDK-WRK requests=%d duration_us=%d status_errors=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p90_us=%d p99_us=%d\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
