using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SmartLead.Sandbox.Store;

namespace SmartLead.Sandbox.Endpoints;

internal static class CampaignEndpoints
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 100;

    public static void Map(IEndpointRouteBuilder api)
    {
        // Routing treats a trailing slash as optional, so "/campaigns/" (SmartLead's spelling) matches too.
        api.MapGet("/campaigns", List);
        api.MapPost("/campaigns/create", CreateAsync);
        api.MapGet("/campaigns/{id:long}", Get);

        // SmartLead documents POST for the status change; some clients send PATCH. Both are accepted.
        api.MapMethods("/campaigns/{id:long}/status", [HttpMethods.Post, HttpMethods.Patch], SetStatusAsync);
        api.MapPost("/campaigns/{id:long}/leads", AddLeadsAsync);
        api.MapGet("/campaigns/{id:long}/leads", ListLeads);
    }

    private static IResult List(HttpRequest request, SandboxStore store)
    {
        long? clientId = null;
        if (request.Query.TryGetValue("client_id", out var raw) && !string.IsNullOrEmpty(raw))
        {
            if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return SandboxJson.Validation("client_id must be a number", "client_id", "type");
            }

            clientId = parsed;
        }

        return SandboxJson.Ok(store.ListCampaigns(clientId).Select(CampaignBody.From).ToList());
    }

    private static IResult Get(long id, SandboxStore store) =>
        store.GetCampaign(id) is { } campaign
            ? SandboxJson.Ok(CampaignBody.From(campaign))
            : CampaignNotFound();

    private static async Task<IResult> CreateAsync(HttpRequest request, SandboxStore store)
    {
        var (document, error) = await SandboxJson.ReadBodyAsync(request);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var root = document!.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return SandboxJson.Validation("Request body must be a JSON object", "body", "type");
            }

            var name = "Untitled Campaign";
            if (root.TryGetProperty("name", out var nameValue) && nameValue.ValueKind != JsonValueKind.Null)
            {
                if (nameValue.ValueKind != JsonValueKind.String)
                {
                    return SandboxJson.Validation("name must be a string", "name", "type");
                }

                name = nameValue.GetString()!;
            }

            long? clientId = null;
            if (root.TryGetProperty("client_id", out var clientValue) && clientValue.ValueKind != JsonValueKind.Null)
            {
                if (!clientValue.TryGetInt64(out var parsed))
                {
                    return SandboxJson.Validation("client_id must be a number", "client_id", "type");
                }

                clientId = parsed;
            }

            var created = store.CreateCampaign(name, clientId);
            return SandboxJson.Ok(new CampaignCreatedBody(true, created.Id, created.Name, created.CreatedAt));
        }
    }

    private static async Task<IResult> SetStatusAsync(long id, HttpRequest request, SandboxStore store)
    {
        if (store.GetCampaign(id) is null)
        {
            return CampaignNotFound();
        }

        var (document, error) = await SandboxJson.ReadBodyAsync(request);
        if (error is not null)
        {
            return error;
        }

        using (document)
        {
            var root = document!.RootElement;
            var requested = root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("status", out var s)
                && s.ValueKind == JsonValueKind.String
                    ? s.GetString()
                    : null;

            // "START" is how clients ask for a campaign to run; SmartLead then reports it as ACTIVE.
            var status = requested?.ToUpperInvariant() switch
            {
                "START" or CampaignStatus.Active => CampaignStatus.Active,
                CampaignStatus.Paused => CampaignStatus.Paused,
                CampaignStatus.Stopped => CampaignStatus.Stopped,
                _ => null,
            };
            if (status is null)
            {
                return SandboxJson.Validation("status must be one of START, PAUSED, STOPPED", "status", "enum");
            }

            return store.SetCampaignStatus(id, status) is { } updated
                ? SandboxJson.Ok(new CampaignStatusBody(true, updated.Id, updated.Status))
                : CampaignNotFound();
        }
    }

    private static async Task<IResult> AddLeadsAsync(long id, HttpRequest request, SandboxStore store)
    {
        // An unknown campaign is a 404 whatever the body: SmartLead looks the campaign up first.
        if (store.GetCampaign(id) is null)
        {
            return CampaignNotFound();
        }

        var (document, error) = await SandboxJson.ReadBodyAsync(request);
        if (error is not null)
        {
            return error;
        }

        List<LeadInput> leads;
        using (document)
        {
            if (!LeadPayload.TryRead(document!.RootElement, "lead_list", LeadPayload.MaxLeadsPerRequest, out leads, out error))
            {
                return error!;
            }
        }

        return store.AddLeadsToCampaign(id, leads) is { } outcome
            ? SandboxJson.Ok(LeadsAddedBody.From(outcome))
            : CampaignNotFound();
    }

    private static IResult ListLeads(long id, HttpRequest request, SandboxStore store)
    {
        if (!TryReadPaging(request, "offset", 0, 0, int.MaxValue, out var offset, out var error)
            || !TryReadPaging(request, "limit", DefaultPageSize, 1, MaxPageSize, out var limit, out error))
        {
            return error!;
        }

        return store.GetCampaignLeads(id, offset, limit) is { } page
            ? SandboxJson.Ok(new CampaignLeadsBody(page.Total, offset, limit, page.Items.Select(CampaignLeadBody.From).ToList()))
            : CampaignNotFound();
    }

    private static bool TryReadPaging(
        HttpRequest request, string name, int fallback, int min, int max, out int value, out IResult? error)
    {
        value = fallback;
        error = null;
        if (!request.Query.TryGetValue(name, out var raw) || string.IsNullOrEmpty(raw))
        {
            return true;
        }

        if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }

        error = SandboxJson.Validation($"{name} must be a whole number between {min} and {max}", name, "range");
        return false;
    }

    private static IResult CampaignNotFound() => SandboxJson.NotFoundError("Campaign not found");
}
