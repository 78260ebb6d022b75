using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Credentials;

namespace SmartLead.Gateway.Health;

internal static class HealthEndpoints
{
    /// <summary>
    /// <c>/healthz</c>: the process answers (liveness). <c>/readyz</c>: a SmartLead key is loaded, so forwarded calls
    /// can succeed (readiness). Neither touches SmartLead: a probe must not spend the key's budget. A shared budget
    /// store that is away shows in <c>/readyz</c>'s details but keeps the replica ready: it serves on its local share.
    /// Plain <see cref="RequestDelegate"/>s, like every endpoint of the gateway's own: a handler with parameters would
    /// be compiled by the request delegate factory, which loads System.Linq.Expressions and builds expression trees
    /// at start, about 4 MB of an idle gateway's memory for a handful of endpoints.
    /// </summary>
    public static IEndpointRouteBuilder MapGatewayHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", static context => Results.Json(new { status = "alive" }).ExecuteAsync(context));
        endpoints.MapGet("/readyz", static context => Readiness(context.RequestServices).ExecuteAsync(context));
        return endpoints;
    }

    private static IResult Readiness(IServiceProvider services)
    {
        var budget = services.GetService<IBudgetStatusSource>()?.GetStatus();
        var store = budget is null ? null : new
        {
            store = budget.Store,
            reachable = budget.StoreReachable,
            detail = budget.StoreReachable ? null : "the budget store is unreachable; this replica serves on its local share (limits / RateLimit:ExpectedReplicas)",
        };
        return services.GetRequiredService<ApiKeyStore>().Current is null
            ? Results.Json(new { status = "not ready", reason = "no SmartLead key loaded", budget = store }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new { status = "ready", budget = store });
    }
}
