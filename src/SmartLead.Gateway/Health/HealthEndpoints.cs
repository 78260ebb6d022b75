using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Health;

internal static class HealthEndpoints
{
    /// <summary>
    /// <c>/healthz</c>: the process answers (liveness). <c>/readyz</c>: a SmartLead key is loaded, so forwarded calls
    /// can succeed (readiness). Neither touches SmartLead: a probe must not spend the key's budget.
    /// </summary>
    public static IEndpointRouteBuilder MapGatewayHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => Results.Json(new { status = "alive" }));
        endpoints.MapGet("/readyz", (ApiKeyStore keys) => keys.Current is null
            ? Results.Json(new { status = "not ready", reason = "no SmartLead key loaded" }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new { status = "ready" }));
        return endpoints;
    }
}
