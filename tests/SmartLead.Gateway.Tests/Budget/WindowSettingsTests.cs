using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Budget;

/// <summary>The shipped appsettings.json with windows set the way ops set them from the environment.</summary>
public sealed class WindowSettingsTests
{
    [Fact]
    public async Task OneWindowFromEnvironmentStyleKeys_ReplacesThePlansWindowOfThatLengthOnly()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl(), new Dictionary<string, string?>
        {
            ["RateLimit:Windows:0:PermitLimit"] = "7",
            ["RateLimit:Windows:0:Window"] = "00:00:01",
        });

        var windows = Resolve(gateway).Windows;

        Assert.Equal([(7, "setting"), (50, "plan"), (850, "plan")], windows.Select(w => (w.PermitLimit, w.Source)));
    }

    [Fact]
    public async Task OneWindowWithCustomPlan_IsTheOnlyWindow()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl(), new Dictionary<string, string?>
        {
            ["RateLimit:Plan"] = "Custom",
            ["RateLimit:Windows:0:PermitLimit"] = "10",
            ["RateLimit:Windows:0:Window"] = "00:00:01",
        });

        var only = Assert.Single(Resolve(gateway).Windows);
        Assert.Equal(10, only.PermitLimit);
        Assert.Equal(TimeSpan.FromSeconds(1), only.Window);
    }

    [Fact]
    public async Task NoLimitsSet_StandardPlanApplies()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl());

        var limits = Resolve(gateway);

        Assert.Equal(BudgetPlan.Standard, limits.Plan);
        Assert.Equal(new BucketLimit(8, 8, TimeSpan.FromSeconds(1), "plan"), limits.Bucket);
        Assert.Equal([8, 50, 850], limits.Windows.Select(w => w.PermitLimit));
        Assert.All(limits.Windows, w => Assert.Equal("plan", w.Source));
    }

    [Fact]
    public async Task ProPlanWithBucketOverride_KeepsProWindowsAndTheSetBucket()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl(), new Dictionary<string, string?>
        {
            ["RateLimit:Plan"] = "Pro",
            ["RateLimit:TokenLimit"] = "12",
        });

        var limits = Resolve(gateway);

        Assert.Equal(new BucketLimit(12, 16, TimeSpan.FromSeconds(1), "setting"), limits.Bucket);
        Assert.Equal([16, 100, 2550], limits.Windows.Select(w => w.PermitLimit));
    }

    [Fact]
    public async Task GatewayStart_LogsTheLimitsInForceBeforeAnyRequest()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl(), new Dictionary<string, string?> { ["RateLimit:Enabled"] = "true" });
        using var client = gateway.CreateClient();

        var line = Assert.Single(gateway.Logs.WithEventId(4001)).RenderMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains("1s 8 per 00:00:01 (plan), 1m 50 per 00:01:00 (plan), 1h 850 per 01:00:00 (plan)", line, StringComparison.Ordinal);
    }

    private static BudgetLimits Resolve(GatewayFactory gateway) =>
        BudgetPlans.Resolve(gateway.Services.GetRequiredService<LiveOptions<RateLimitOptions>>().Current);
}
