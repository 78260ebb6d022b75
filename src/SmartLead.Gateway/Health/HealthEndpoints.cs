using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Health;

internal static class HealthEndpoints
{
    /// <summary>
    /// <c>/healthz</c>: the process answers (liveness). <c>/readyz</c>: a SmartLead key is loaded, so forwarded calls
    /// can succeed (readiness). Neither touches SmartLead: a probe must not spend the key's budget. A shared budget
    /// store that is away shows in <c>/readyz</c>'s details but keeps the replica ready: it serves on its local share.
    /// </summary>
    public static IEndpointRouteBuilder MapGatewayHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => Results.Json(new { status = "alive" }));
        endpoints.MapGet("/readyz", (ApiKeyStore keys, IServiceProvider services) =>
        {
            var budget = services.GetService<IBudgetStatusSource>()?.GetStatus();
            var store = budget is null ? null : new
            {
                store = budget.Store,
                reachable = budget.StoreReachable,
                detail = budget.StoreReachable ? null : "the budget store is unreachable; this replica serves on its local share (limits / RateLimit:ExpectedReplicas)",
            };
            return keys.Current is null
                ? Results.Json(new { status = "not ready", reason = "no SmartLead key loaded", budget = store }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Json(new { status = "ready", budget = store });
        });
        return endpoints;
    }
}
