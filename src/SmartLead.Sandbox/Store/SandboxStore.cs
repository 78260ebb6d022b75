using Microsoft.Extensions.Options;

namespace SmartLead.Sandbox.Store;

/// <summary>
/// The sandbox's whole account: campaigns, their leads, lead lists. One lock guards everything because the
/// sandbox's traffic is bounded by SmartLead's own limits (tens of requests a second); callers only ever get
/// immutable snapshots, so nothing mutable escapes the lock.
/// </summary>
internal sealed class SandboxStore
{
    /// <summary>SmartLead scopes every campaign to the key's user; the sandbox has exactly one.</summary>
    public const long UserId = 4242;

    public const long FirstCampaignId = 1001;
    public const long SeededLeadListId = 2001;

    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly SortedDictionary<long, Campaign> _campaigns = [];
    private readonly Dictionary<long, LeadList> _leadLists = [];
    private long _nextCampaignId = FirstCampaignId;
    private long _nextLeadId = 7_000_001;
    private long _nextMapId = 9_000_001;

    public SandboxStore(IOptions<SandboxOptions> options, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        if (options.Value.SeedData)
        {
            Seed();
        }
    }

    public IReadOnlyList<CampaignSnapshot> ListCampaigns(long? clientId)
    {
        lock (_lock)
        {
            return _campaigns.Values
                .Where(c => clientId is null || c.ClientId == clientId)
                .Select(c => c.Snapshot())
                .ToList();
        }
    }

    public CampaignSnapshot? GetCampaign(long id)
    {
        lock (_lock)
        {
            return _campaigns.TryGetValue(id, out var c) ? c.Snapshot() : null;
        }
    }

    public CampaignSnapshot CreateCampaign(string name, long? clientId)
    {
        lock (_lock)
        {
            var now = _timeProvider.GetUtcNow();
            var campaign = new Campaign(_nextCampaignId++, name, clientId, now);
            _campaigns.Add(campaign.Id, campaign);
            return campaign.Snapshot();
        }
    }

    public CampaignSnapshot? SetCampaignStatus(long id, string status)
    {
        lock (_lock)
        {
            if (!_campaigns.TryGetValue(id, out var c))
            {
                return null;
            }

            c.Status = status;
            c.UpdatedAt = _timeProvider.GetUtcNow();
            return c.Snapshot();
        }
    }

    /// <summary>Adds leads to a campaign, skipping those already in it; null when the campaign does not exist.</summary>
    public LeadImportOutcome? AddLeadsToCampaign(long campaignId, IReadOnlyList<LeadInput> leads)
    {
        lock (_lock)
        {
            if (!_campaigns.TryGetValue(campaignId, out var campaign))
            {
                return null;
            }

            var now = _timeProvider.GetUtcNow();
            return Import(leads, campaign.Emails, lead =>
            {
                campaign.Leads.Add(new CampaignLeadSnapshot(_nextMapId++, _nextLeadId++, "STARTED", now, lead));
                campaign.UpdatedAt = now;
            });
        }
    }

    public CampaignLeadPage? GetCampaignLeads(long campaignId, int offset, int limit)
    {
        lock (_lock)
        {
            if (!_campaigns.TryGetValue(campaignId, out var campaign))
            {
                return null;
            }

            return new CampaignLeadPage(campaign.Leads.Count, campaign.Leads.Skip(offset).Take(limit).ToList());
        }
    }

    public bool LeadListExists(long leadListId)
    {
        lock (_lock)
        {
            return _leadLists.ContainsKey(leadListId);
        }
    }

    /// <summary>Imports leads into a lead list, skipping those already in it; null when the list does not exist.</summary>
    public LeadImportOutcome? ImportToLeadList(long leadListId, IReadOnlyList<LeadInput> leads)
    {
        lock (_lock)
        {
            if (!_leadLists.TryGetValue(leadListId, out var list))
            {
                return null;
            }

            return Import(leads, list.Emails, list.Leads.Add);
        }
    }

    /// <summary>
    /// SmartLead's skipping rules, shared by campaigns and lead lists: an address it cannot use is counted as
    /// invalid, a repeat inside the same payload as a duplicate, one already present as already added.
    /// Addresses compare case-insensitively, as mailboxes do in practice.
    /// </summary>
    private static LeadImportOutcome Import(IReadOnlyList<LeadInput> leads, HashSet<string> present, Action<LeadInput> add)
    {
        var seenInPayload = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var invalid = new List<string>();
        var skipped = new List<SkippedLead>();
        int uploaded = 0, alreadyAdded = 0, duplicates = 0;
        foreach (var lead in leads)
        {
            var email = lead.Email.Trim();
            if (!EmailAddress.IsValid(email))
            {
                invalid.Add(lead.Email);
                skipped.Add(new SkippedLead(lead.Email, "invalid_email"));
            }
            else if (!seenInPayload.Add(email))
            {
                duplicates++;
                skipped.Add(new SkippedLead(email, "duplicate_in_request"));
            }
            else if (present.Contains(email))
            {
                alreadyAdded++;
                skipped.Add(new SkippedLead(email, "already_added_to_campaign"));
            }
            else
            {
                present.Add(email);
                add(lead with { Email = email });
                uploaded++;
            }
        }

        return new LeadImportOutcome(leads.Count, uploaded, alreadyAdded, duplicates, invalid, skipped);
    }

    private void Seed()
    {
        var welcome = CreateCampaign("Sandbox: welcome sequence", clientId: null);
        SetCampaignStatus(welcome.Id, CampaignStatus.Active);
        AddLeadsToCampaign(welcome.Id,
        [
            new LeadInput("ada@example.com", "Ada", "Lovelace", "Analytical Engines Ltd", Location: "London"),
            new LeadInput("grace@example.com", "Grace", "Hopper", "Compilers Inc", Website: "https://example.com"),
        ]);
        CreateCampaign("Sandbox: quarterly outreach", clientId: null);

        lock (_lock)
        {
            _leadLists.Add(SeededLeadListId, new LeadList());
        }
    }

    private sealed class Campaign(long id, string name, long? clientId, DateTimeOffset createdAt)
    {
        public long Id { get; } = id;

        public long? ClientId { get; } = clientId;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public string Status { get; set; } = CampaignStatus.Drafted;

        public DateTimeOffset UpdatedAt { get; set; } = createdAt;

        public List<CampaignLeadSnapshot> Leads { get; } = [];

        public HashSet<string> Emails { get; } = new(StringComparer.OrdinalIgnoreCase);

        public CampaignSnapshot Snapshot() => new(Id, name, Status, ClientId, CreatedAt, UpdatedAt);
    }

    private sealed class LeadList
    {
        public List<LeadInput> Leads { get; } = [];

        public HashSet<string> Emails { get; } = new(StringComparer.OrdinalIgnoreCase);
    }
}
