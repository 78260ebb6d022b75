using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Resilience;
using SmartLead.Gateway.StatusPage;

namespace SmartLead.Gateway.Telemetry;

/// <summary>
/// Starts what must run from the first request on: the status page's listener (and its uptime clock), the
/// circuit-state gauge over the shared breaker and the limit gauges over the budget, when the host has them. The
/// series the alerts watch are shown at 0 from the start.
/// </summary>
internal sealed class TelemetryStartup(IServiceProvider services, GatewayMetrics metrics) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<GatewayStatus>();
        metrics.ShowAlertedSeries();
        if (services.GetService<UpstreamResiliencePipeline>() is { } resilience)
        {
            metrics.ObserveCircuitState(() => CircuitStateValue.From(resilience.CircuitState));
        }

        if (services.GetService<IBudgetStatusSource>() is { } budget)
        {
            metrics.ObserveBudgetLimits(budget.GetStatus);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
