using Microsoft.Extensions.Options;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Resilience;
using SmartLead.Gateway.StatusPage;

namespace SmartLead.Gateway.Telemetry;

/// <summary>
/// Starts what must run from the first request on: the status page's listener (and its uptime clock), the
/// circuit-state gauge over the shared breaker and the limit gauges over the budget, when the host has them. The
/// series the alerts watch are shown at 0 from the start.
/// </summary>
internal sealed partial class TelemetryStartup(
    IServiceProvider services,
    GatewayMetrics metrics,
    IOptions<AdminEndpointOptions> admin,
    OtlpExport otlp,
    ILogger<TelemetryStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var adminUrls = admin.Value.Urls;
        Log.Monitoring(logger, adminUrls.Count == 0 ? "on the main port" : $"only on {string.Join(", ", adminUrls)}", otlp.Enabled ? "on" : "off");
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 8001, Level = LogLevel.Information,
            Message = "Monitoring endpoints /metrics, /status and /status.json are served {Where:l}; OTLP export {Otlp:l}")]
        public static partial void Monitoring(ILogger logger, string where, string otlp);
    }
}

/// <summary>Whether traces and metrics also go to an OTLP collector (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set at start).</summary>
internal sealed record OtlpExport(bool Enabled);
