import Foundation
import SyncServer
import Testing

/// The Prometheus text exposition of counters, gauges and histograms.
@Suite("Metrics registry")
struct MetricsRegistryTests {
    @Test func rendersEveryKindInTheTextFormat() {
        let registry = MetricsRegistry()
        registry.counter("requests_total", help: "Requests.", labels: ["status": "200"]).increment()
        registry.counter("requests_total", help: "Requests.", labels: ["status": "200"]).increment(by: 2)
        registry.counter("requests_total", help: "Requests.", labels: ["status": "404"]).increment()
        registry.gauge("open_connections", help: "Open now.").set(7)
        registry.gauge("size_bytes", help: "A \"quoted\"\nhelp.", labels: ["path": "a\\b\"c\nd"]).set(1.5)
        let histogram = registry.histogram("latency_seconds", help: "Latency.", bounds: [0.1, 1], labels: ["op": "x"])
        histogram.observe(0.05)
        histogram.observe(0.1)  // on a bound: counted in that bucket (le is inclusive)
        histogram.observe(0.5)
        histogram.observe(3)  // above every bound: only +Inf

        #expect(registry.render() == #"""
            # HELP latency_seconds Latency.
            # TYPE latency_seconds histogram
            latency_seconds_bucket{op="x",le="0.1"} 2
            latency_seconds_bucket{op="x",le="1"} 3
            latency_seconds_bucket{op="x",le="+Inf"} 4
            latency_seconds_sum{op="x"} 3.65
            latency_seconds_count{op="x"} 4
            # HELP open_connections Open now.
            # TYPE open_connections gauge
            open_connections 7
            # HELP requests_total Requests.
            # TYPE requests_total counter
            requests_total{status="200"} 3
            requests_total{status="404"} 1
            # HELP size_bytes A "quoted"\nhelp.
            # TYPE size_bytes gauge
            size_bytes{path="a\\b\"c\nd"} 1.5

            """#)
    }

    @Test func histogramSnapshotIsCumulative() {
        let histogram = MetricsRegistry().histogram("h", help: "H.", bounds: [1, 2, 3])
        for value in [0.5, 1.5, 1.7, 2.5, 9] { histogram.observe(value) }
        histogram.observe(Duration.milliseconds(500))
        let snapshot = histogram.snapshot
        #expect(snapshot.cumulativeCounts == [2, 4, 5])
        #expect(snapshot.count == 6)
        #expect(abs(snapshot.sum - 15.7) < 1e-9)
    }

    @Test func countsFromManyThreadsAreNotLost() async {
        let registry = MetricsRegistry()
        let counter = registry.counter("hits_total", help: "Hits.")
        let histogram = registry.histogram("h", help: "H.")
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1_000 {
                        counter.increment()
                        histogram.observe(0.003)
                    }
                }
            }
        }
        #expect(counter.value == 8_000)
        #expect(histogram.snapshot.count == 8_000)
        #expect(registry.render().contains("hits_total 8000\n"))
    }

    @Test func relayMetricsExposeTheRelayFamilies() {
        let metrics = RelayMetrics()
        metrics.changesAccepted.increment(by: 3)
        metrics.changesRefused.increment()
        metrics.fanoutLatency.observe(0.002)
        metrics.countRequest(status: 200)
        let text = metrics.render(storeSizeBytes: 4096)
        for line in [
            "# TYPE relay_changes_accepted_total counter", "relay_changes_accepted_total 3", "relay_changes_refused_total 1",
            "# TYPE relay_fanout_latency_seconds histogram", #"relay_fanout_latency_seconds_bucket{le="0.0025"} 1"#,
            #"relay_fanout_latency_seconds_bucket{le="+Inf"} 1"#, "relay_fanout_latency_seconds_count 1",
            #"relay_http_requests_total{status="200"} 1"#, "# TYPE relay_store_size_bytes gauge", "relay_store_size_bytes 4096",
            "# TYPE relay_http_open_connections gauge",
        ] {
            #expect(text.split(separator: "\n").contains(Substring(line)), "missing line: \(line)")
        }
    }
}
