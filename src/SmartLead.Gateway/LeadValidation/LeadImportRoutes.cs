namespace SmartLead.Gateway.LeadValidation;

/// <summary>One of SmartLead's bulk lead imports and the name of the array that carries its leads.</summary>
internal sealed class LeadImportEndpoint
{
    private LeadImportEndpoint(string name, string arrayProperty)
    {
        Name = name;
        ArrayProperty = arrayProperty;
    }

    /// <summary>
    /// The names either import takes its leads under: SmartLead documents <c>lead_list</c> for campaigns and
    /// <c>leadList</c> for lead lists, and clients in use send <c>leads</c> too. Whichever is there is checked.
    /// </summary>
    public static IReadOnlyList<string> AcceptedArrayProperties { get; } = ["lead_list", "leadList", "leads"];

    /// <summary><see cref="AcceptedArrayProperties"/> as UTF-8, for the validator's reader.</summary>
    internal static IReadOnlyList<byte[]> Utf8AcceptedArrayProperties { get; } =
        [.. AcceptedArrayProperties.Select(System.Text.Encoding.UTF8.GetBytes)];

    /// <summary><c>POST /api/v1/campaigns/{id}/leads</c>, leads in <c>lead_list</c>.</summary>
    public static LeadImportEndpoint CampaignLeads { get; } = new("campaign-leads", "lead_list");

    /// <summary><c>POST /api/v1/lead-list/{id}/import</c>, leads in <c>leadList</c>.</summary>
    public static LeadImportEndpoint LeadListImport { get; } = new("lead-list-import", "leadList");

    /// <summary>Stable name for logs.</summary>
    public string Name { get; }

    /// <summary>The documented name, which a refusal of a body without any of the accepted names points to.</summary>
    public string ArrayProperty { get; }

    public override string ToString() => Name;
}

/// <summary>Recognises the two import endpoints; everything else on the same paths passes untouched.</summary>
internal static class LeadImportRoutes
{
    /// <summary>
    /// Matches <c>POST /api/v1/campaigns/{id}/leads</c> and <c>POST /api/v1/lead-list/{id}/import</c>, ignoring
    /// letter case, a trailing slash and empty segments. The query string is not part of <see cref="PathString"/>,
    /// so it cannot get in the way.
    /// </summary>
    public static bool TryMatch(string method, PathString path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LeadImportEndpoint? endpoint)
    {
        endpoint = null;
        if (!HttpMethods.IsPost(method) || !path.HasValue)
        {
            return false;
        }

        // Empty segments are skipped on purpose: a doubled slash must not be a way around the check, and a
        // refused payload SmartLead would not have routed costs nothing.
        Span<Range> segments = stackalloc Range[6];
        var value = path.Value.AsSpan();
        var count = value.Split(segments, '/', StringSplitOptions.RemoveEmptyEntries);
        if (count != 5)
        {
            return false;
        }

        if (!value[segments[0]].Equals("api", StringComparison.OrdinalIgnoreCase)
            || !value[segments[1]].Equals("v1", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var collection = value[segments[2]];
        var action = value[segments[4]];
        if (collection.Equals("campaigns", StringComparison.OrdinalIgnoreCase)
            && action.Equals("leads", StringComparison.OrdinalIgnoreCase))
        {
            endpoint = LeadImportEndpoint.CampaignLeads;
            return true;
        }

        if (collection.Equals("lead-list", StringComparison.OrdinalIgnoreCase)
            && action.Equals("import", StringComparison.OrdinalIgnoreCase))
        {
            endpoint = LeadImportEndpoint.LeadListImport;
            return true;
        }

        return false;
    }
}
