using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SmartLead.Sandbox;
using SmartLead.Sandbox.Store;

namespace SmartLead.Gateway.Tests.Sandbox;

public sealed class SandboxStoreTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void NewStore_Seeded_HasTwoCampaignsAndALeadList()
    {
        var store = Create(seed: true);

        var campaigns = store.ListCampaigns(clientId: null);

        Assert.Equal(2, campaigns.Count);
        Assert.Equal(SandboxStore.FirstCampaignId, campaigns[0].Id);
        Assert.Equal(2, store.GetCampaignLeads(campaigns[0].Id, 0, 100)!.Total);
        Assert.NotNull(store.ImportToLeadList(SandboxStore.SeededLeadListId, [new LeadInput("x@example.com")]));
    }

    [Fact]
    public void NewStore_SeedDataOff_IsEmpty()
    {
        Assert.Empty(Create(seed: false).ListCampaigns(clientId: null));
    }

    [Fact]
    public void CreateCampaign_AssignsIncreasingIdsAndStartsDrafted()
    {
        var store = Create(seed: false);

        var a = store.CreateCampaign("a", clientId: null);
        var b = store.CreateCampaign("b", clientId: 7);

        Assert.Equal(a.Id + 1, b.Id);
        Assert.Equal(CampaignStatus.Drafted, a.Status);
        Assert.Equal(_time.GetUtcNow(), a.CreatedAt);
        Assert.Equal([b.Id], store.ListCampaigns(clientId: 7).Select(c => c.Id));
    }

    [Fact]
    public void AddLeads_DuplicateEmails_AreSkippedAndCounted()
    {
        var store = Create(seed: false);
        var campaign = store.CreateCampaign("c", clientId: null);
        store.AddLeadsToCampaign(campaign.Id, [new LeadInput("old@example.com")]);

        var outcome = store.AddLeadsToCampaign(campaign.Id,
        [
            new LeadInput("new@example.com"),
            new LeadInput("NEW@example.com"),
            new LeadInput("Old@Example.com"),
            new LeadInput("not-an-address"),
            new LeadInput("other@example.com"),
        ])!;

        Assert.Equal(5, outcome.TotalLeads);
        Assert.Equal(2, outcome.UploadCount);
        Assert.Equal(1, outcome.DuplicateCount);
        Assert.Equal(1, outcome.AlreadyAdded);
        Assert.Equal(["not-an-address"], outcome.InvalidEmails);
        Assert.Equal(3, outcome.SkippedLeads.Count);
        Assert.Equal(3, store.GetCampaignLeads(campaign.Id, 0, 100)!.Total);
    }

    [Fact]
    public void AddLeads_SameListTwice_SecondTimeAddsNothing()
    {
        var store = Create(seed: false);
        var campaign = store.CreateCampaign("c", clientId: null);
        LeadInput[] leads = [new("a@example.com"), new("b@example.com")];

        store.AddLeadsToCampaign(campaign.Id, leads);
        var again = store.AddLeadsToCampaign(campaign.Id, leads)!;

        Assert.Equal(0, again.UploadCount);
        Assert.Equal(2, again.AlreadyAdded);
        Assert.Equal(2, store.GetCampaignLeads(campaign.Id, 0, 100)!.Total);
    }

    [Fact]
    public void AddLeads_UnknownCampaign_ReturnsNull()
    {
        Assert.Null(Create(seed: false).AddLeadsToCampaign(999, [new LeadInput("a@example.com")]));
    }

    [Fact]
    public void GetCampaignLeads_OffsetAndLimit_PageInInsertionOrder()
    {
        var store = Create(seed: false);
        var campaign = store.CreateCampaign("c", clientId: null);
        store.AddLeadsToCampaign(campaign.Id,
            [.. Enumerable.Range(0, 7).Select(i => new LeadInput($"lead{i}@example.com"))]);

        var page = store.GetCampaignLeads(campaign.Id, offset: 5, limit: 3)!;

        Assert.Equal(7, page.Total);
        Assert.Equal(["lead5@example.com", "lead6@example.com"], page.Items.Select(l => l.Lead.Email));
    }

    [Fact]
    public void SetCampaignStatus_KnownCampaign_ChangesStatusAndUpdatedAt()
    {
        var store = Create(seed: false);
        var campaign = store.CreateCampaign("c", clientId: null);
        _time.Advance(TimeSpan.FromMinutes(5));

        var updated = store.SetCampaignStatus(campaign.Id, CampaignStatus.Paused)!;

        Assert.Equal(CampaignStatus.Paused, updated.Status);
        Assert.Equal(campaign.CreatedAt.AddMinutes(5), updated.UpdatedAt);
        Assert.Null(store.SetCampaignStatus(999, CampaignStatus.Paused));
    }

    [Fact]
    public async Task AddLeads_FromManyThreads_AddsEachAddressExactlyOnce()
    {
        var store = Create(seed: false);
        var campaign = store.CreateCampaign("c", clientId: null);
        var leads = Enumerable.Range(0, 200).Select(i => new LeadInput($"p{i}@example.com")).ToArray();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(_ => Task.Run(() => store.AddLeadsToCampaign(campaign.Id, leads)!)));

        Assert.Equal(200, outcomes.Sum(o => o.UploadCount));
        Assert.Equal(200 * 7, outcomes.Sum(o => o.AlreadyAdded));
        Assert.Equal(200, store.GetCampaignLeads(campaign.Id, 0, 100)!.Total);
    }

    [Fact]
    public void ImportToLeadList_KnownList_SkipsRepeatsAndUnknownListReturnsNull()
    {
        var store = Create(seed: true);

        var first = store.ImportToLeadList(SandboxStore.SeededLeadListId, [new LeadInput("c@example.com")])!;
        var second = store.ImportToLeadList(SandboxStore.SeededLeadListId,
            [new LeadInput("c@example.com"), new LeadInput("d@example.com")])!;

        Assert.Equal(1, first.UploadCount);
        Assert.Equal(1, second.UploadCount);
        Assert.Equal(1, second.AlreadyAdded);
        Assert.Null(store.ImportToLeadList(424242, [new LeadInput("c@example.com")]));
    }

    private SandboxStore Create(bool seed) =>
        new(Options.Create(new SandboxOptions { SeedData = seed }), _time);
}
