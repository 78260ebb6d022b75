using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SmartLead.Sandbox.Store;

namespace SmartLead.Sandbox.Endpoints;

internal static class LeadListEndpoints
{
    public static void Map(IEndpointRouteBuilder api) =>
        api.MapPost("/lead-list/{id:long}/import", ImportAsync);

    private static async Task<IResult> ImportAsync(long id, HttpRequest request, SandboxStore store)
    {
        // As for campaigns, the list is looked up before the body is read: an unknown id is a 404 whatever was sent.
        if (!store.LeadListExists(id))
        {
            return LeadListNotFound();
        }

        var (document, error) = await SandboxJson.ReadBodyAsync(request);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            // Lead lists have no documented per-request cap (the 400 cap is the campaign endpoint's), so none here.
            if (!LeadPayload.TryRead(document!.RootElement, "leadList", maxLeads: null, out var leads, out error))
            {
                return error!;
            }

            return store.ImportToLeadList(id, leads) is { } outcome
                ? SandboxJson.Ok(LeadListImportedBody.From(outcome))
                : LeadListNotFound();
        }
    }

    private static IResult LeadListNotFound() => SandboxJson.NotFoundError("Lead list not found");
}
