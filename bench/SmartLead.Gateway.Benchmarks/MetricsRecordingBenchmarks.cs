using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using SmartLead.Gateway.StatusPage;
using SmartLead.Gateway.Telemetry;

namespace SmartLead.Gateway.Benchmarks;

/// <summary>
/// One recording into <see cref="GatewayMetrics"/> each, as the request path makes them, with both listeners the
/// gateway runs attached: the OpenTelemetry SDK aggregating for <c>/metrics</c> and the status page's
/// <see cref="StatusRecorder"/>. The goal is 0 bytes allocated per recording.
/// </summary>
/// <remarks>Public and unsealed: the runner BenchmarkDotNet generates derives from it.</remarks>
[MemoryDiagnoser]
[ShortRunJob]
public class MetricsRecordingBenchmarks
{
    private ServiceProvider _services = null!;
    private MeterProvider _meterProvider = null!;
    private StatusRecorder _recorder = null!;
    private GatewayMetrics _metrics = null!;
    private readonly TimeSpan _wait = TimeSpan.FromMilliseconds(250);

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _metrics = new GatewayMetrics(_services.GetRequiredService<IMeterFactory>());
        _meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(GatewayMetrics.MeterName)
            .AddReader(new PeriodicExportingMetricReader(new DiscardingExporter(), exportIntervalMilliseconds: 1000))
            .Build();
        _recorder = new StatusRecorder(_metrics, TimeProvider.System);

        // Every label seen once, as it is after the gateway's first minutes: the steady state is what is measured.
        UpstreamAttempt();
        Retry();
        QueueWait();
        LeadRejection();
        Cooldown();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _recorder.Dispose();
        _meterProvider.Dispose();
        _services.Dispose();
    }

    [Benchmark]
    public void UpstreamAttempt() => _metrics.UpstreamAttempt(GatewayMetrics.StatusLabel(200));

    [Benchmark]
    public void Retry() => _metrics.Retry("503");

    [Benchmark]
    public void QueueWait() => _metrics.QueueWait(_wait);

    [Benchmark]
    public void LeadRejection() => _metrics.LeadRejection("required");

    [Benchmark]
    public void Cooldown() => _metrics.Cooldown();

    /// <summary>An exporter that drops what it is given: the SDK still aggregates every recording and collects every second.</summary>
    private sealed class DiscardingExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
