using System.Text.Json;
using SmartLead.Sandbox.Store;

namespace SmartLead.Sandbox.Endpoints;

// Answer shapes, serialised snake_case. The fields follow what SmartLead's API reference shows; the extra constant
// campaign settings are there so clients that read them find plausible values.

internal sealed record CampaignBody(
    long Id,
    long UserId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string Status,
    string Name,
    long? ClientId,
    int MinTimeBtwnEmails,
    int MaxLeadsPerDay,
    string StopLeadSettings,
    bool SendAsPlainText,
    int FollowUpPercentage)
{
    public static CampaignBody From(CampaignSnapshot c) =>
        new(c.Id, SandboxStore.UserId, c.CreatedAt, c.UpdatedAt, c.Status, c.Name, c.ClientId, 10, 100,
            "REPLY_TO_AN_EMAIL", false, 100);
}

internal sealed record CampaignCreatedBody(bool Ok, long Id, string Name, DateTimeOffset CreatedAt);

internal sealed record CampaignStatusBody(bool Ok, long Id, string Status);

internal sealed record LeadsAddedBody(
    bool Ok,
    int UploadCount,
    int TotalLeads,
    int AlreadyAddedToCampaign,
    int DuplicateCount,
    int InvalidEmailCount,
    IReadOnlyList<string> InvalidEmails,
    int SkippedCount,
    IReadOnlyList<SkippedLeadBody> SkippedLeads,
    int BlockCount,
    IReadOnlyList<string> UnsubscribedLeads,
    bool IsLeadLimitExhausted,
    int LeadImportStoppedCount)
{
    public static LeadsAddedBody From(LeadImportOutcome o) =>
        new(true, o.UploadCount, o.TotalLeads, o.AlreadyAdded, o.DuplicateCount, o.InvalidEmails.Count,
            o.InvalidEmails, o.SkippedLeads.Count, o.SkippedLeads.Select(s => new SkippedLeadBody(s.Email, s.Reason)).ToList(),
            0, [], false, 0);
}

internal sealed record SkippedLeadBody(string Email, string Reason);

internal sealed record LeadListImportedBody(
    bool Ok, string Message, int UploadCount, int TotalLeads, int DuplicateCount, int InvalidEmailCount, int SkippedCount)
{
    public static LeadListImportedBody From(LeadImportOutcome o) =>
        new(true, "Leads imported", o.UploadCount, o.TotalLeads, o.AlreadyAdded + o.DuplicateCount,
            o.InvalidEmails.Count, o.SkippedLeads.Count);
}

internal sealed record CampaignLeadsBody(int TotalLeads, int Offset, int Limit, IReadOnlyList<CampaignLeadBody> Data);

internal sealed record CampaignLeadBody(long CampaignLeadMapId, string Status, DateTimeOffset CreatedAt, LeadBody Lead)
{
    public static CampaignLeadBody From(CampaignLeadSnapshot s) =>
        new(s.CampaignLeadMapId, s.Status, s.CreatedAt, new LeadBody(
            s.LeadId, s.Lead.FirstName, s.Lead.LastName, s.Lead.Email, s.Lead.PhoneNumber, s.Lead.CompanyName,
            s.Lead.Website, s.Lead.Location, s.Lead.CustomFields));
}

internal sealed record LeadBody(
    long Id,
    string? FirstName,
    string? LastName,
    string Email,
    string? PhoneNumber,
    string? CompanyName,
    string? Website,
    string? Location,
    JsonElement? CustomFields);
