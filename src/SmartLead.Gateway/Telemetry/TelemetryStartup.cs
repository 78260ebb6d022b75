using SmartLead.Gateway.Resilience;
using SmartLead.Gateway.StatusPage;

namespace SmartLead.Gateway.Telemetry;

/// <summary>
/// Starts what must run from the first request on: the status page's listener (and its uptime clock) and the
/// circuit-state gauge over the shared breaker, when the host has one. The counters without labels are shown at 0
/// from the start, so a scrape (and an alert on their rate) finds them before the first cooldown or rotation.
/// </summary>
internal sealed class TelemetryStartup(IServiceProvider services, GatewayMetrics metrics) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<GatewayStatus>();
        metrics.ShowUnlabeledCounters();
        if (services.GetService<UpstreamResiliencePipeline>() is { } resilience)
        {
            metrics.ObserveCircuitState(() => CircuitStateValue.From(resilience.CircuitState));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
