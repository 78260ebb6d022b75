using System.Text.Json;

namespace SmartLead.Sandbox.Store;

/// <summary>SmartLead's campaign states, spelled as SmartLead answers them.</summary>
internal static class CampaignStatus
{
    public const string Drafted = "DRAFTED";
    public const string Active = "ACTIVE";
    public const string Paused = "PAUSED";
    public const string Stopped = "STOPPED";
}

/// <summary>A lead as a client sends it; only <see cref="Email"/> is required.</summary>
internal sealed record LeadInput(
    string Email,
    string? FirstName = null,
    string? LastName = null,
    string? CompanyName = null,
    string? PhoneNumber = null,
    string? Website = null,
    string? Location = null,
    JsonElement? CustomFields = null);

internal sealed record CampaignSnapshot(
    long Id, string Name, string Status, long? ClientId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

internal sealed record CampaignLeadSnapshot(
    long CampaignLeadMapId, long LeadId, string Status, DateTimeOffset CreatedAt, LeadInput Lead);

internal sealed record CampaignLeadPage(int Total, IReadOnlyList<CampaignLeadSnapshot> Items);

internal sealed record SkippedLead(string Email, string Reason);

/// <summary>What one import did, in the terms SmartLead's add-leads answer reports.</summary>
internal sealed record LeadImportOutcome(
    int TotalLeads,
    int UploadCount,
    int AlreadyAdded,
    int DuplicateCount,
    IReadOnlyList<string> InvalidEmails,
    IReadOnlyList<SkippedLead> SkippedLeads);
