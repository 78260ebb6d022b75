using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SmartLead.Sandbox.Endpoints;

namespace SmartLead.Sandbox;

public static class SandboxEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps SmartLead's API under <c>/api/v1</c>: campaigns (list, get, create, status), campaign leads (add, list),
    /// lead-list import, and a 404 envelope for any other path below it. Every route checks <c>api_key</c>,
    /// enforces the per-key limits and may be faulted, as configured in <see cref="SandboxOptions"/>.
    /// </summary>
    public static RouteGroupBuilder MapSmartLeadSandbox(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        var api = endpoints.MapGroup("/api/v1");
        api.AddEndpointFilter<SandboxGate>();
        CampaignEndpoints.Map(api);
        LeadListEndpoints.Map(api);

        // Unknown paths still need the key and spend budget, as on SmartLead: the check runs before routing there.
        api.Map("/{**rest}", () => SandboxJson.NotFoundError("Route not found"));
        return api;
    }
}
