using Microsoft.Extensions.Options;
using SmartLead.Gateway.Errors;

namespace SmartLead.Gateway.Telemetry;

/// <summary>
/// With <c>Gateway:AdminUrls</c> set, keeps the two listeners apart by the port a request arrived on (never the
/// <c>Host</c> header, which a client chooses): the monitoring endpoints answer only on the admin port, and the admin
/// port answers nothing but them and the health probes. Both sides get the gateway's 404.
/// </summary>
internal sealed class AdminPortMiddleware(RequestDelegate next, IOptions<AdminEndpointOptions> options)
{
    private readonly IReadOnlySet<int> _adminPorts = options.Value.Ports;

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var onAdminPort = _adminPorts.Contains(context.Connection.LocalPort);
        var monitoring = IsMonitoring(path);
        if (onAdminPort == monitoring || (onAdminPort && IsHealth(path)))
        {
            return next(context);
        }

        return GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, GatewayError.NotFound, onAdminPort
            ? "The admin port serves only /metrics, /status, /status.json, /healthz and /readyz."
            : "No such endpoint on this port: the monitoring endpoints are served on the admin port (Gateway:AdminUrls).");
    }

    /// <summary>The monitoring endpoints, and <c>/</c>, which lands on the status page.</summary>
    internal static bool IsMonitoring(PathString path) =>
        !path.HasValue || path.Value == "/"
        || path.Equals("/metrics", StringComparison.OrdinalIgnoreCase)
        || path.Equals("/status", StringComparison.OrdinalIgnoreCase)
        || path.Equals("/status.json", StringComparison.OrdinalIgnoreCase);

    private static bool IsHealth(PathString path) =>
        path.Equals("/healthz", StringComparison.OrdinalIgnoreCase) || path.Equals("/readyz", StringComparison.OrdinalIgnoreCase);
}
