using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SmartLead.Gateway.Telemetry;

internal static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// The gateway's meter. Idempotent: each feature that records a metric calls it from its own <c>AddX</c>, so a
    /// host built from one feature alone (as tests build them) still has a meter to record into.
    /// </summary>
    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<GatewayMetrics>();
        return services;
    }
}
