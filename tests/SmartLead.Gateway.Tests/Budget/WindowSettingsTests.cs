using Microsoft.Extensions.DependencyInjection;
using SmartLead.Gateway.Budget;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.Tests.Infrastructure;

namespace SmartLead.Gateway.Tests.Budget;

/// <summary>The shipped appsettings.json with one window set the way ops set it from the environment.</summary>
public sealed class WindowSettingsTests
{
    [Fact]
    public async Task OneWindowFromEnvironmentStyleKeys_ReplacesTheDefaultWindowsWhole()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl(), new Dictionary<string, string?>
        {
            ["RateLimit:Windows:0:PermitLimit"] = "10",
            ["RateLimit:Windows:0:Window"] = "00:00:01",
        });

        var windows = gateway.Services.GetRequiredService<LiveOptions<RateLimitOptions>>().Current.EffectiveWindows;

        var only = Assert.Single(windows);
        Assert.Equal(10, only.PermitLimit);
        Assert.Equal(TimeSpan.FromSeconds(1), only.Window);
    }

    [Fact]
    public async Task NoWindowsSet_StandardTierDefaultsApply()
    {
        await using var gateway = new GatewayFactory(Upstream.RefusingUrl());

        var windows = gateway.Services.GetRequiredService<LiveOptions<RateLimitOptions>>().Current.EffectiveWindows;

        Assert.Equal([8, 50, 850], windows.Select(w => w.PermitLimit));
    }
}
