using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SmartLead.Gateway.Configuration;
using SmartLead.Gateway.LeadValidation;

namespace SmartLead.Gateway.Tests.LeadValidation;

public sealed class LeadsOptionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings, out IConfigurationRoot configuration)
    {
        configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddLeadValidation();
        return services.BuildServiceProvider();
    }

    [Fact]
    public void LeadsOptions_NoSettings_DefaultsTo400LeadsAnd4MiB()
    {
        using var provider = Build([], out _);

        var options = provider.GetRequiredService<LiveOptions<LeadsOptions>>().Current;

        Assert.Equal(400, options.MaxLeadsPerRequest);
        Assert.Equal(4 * 1024 * 1024, options.MaxBodyBytes);
        Assert.Equal("Leads", LeadsOptions.SectionName);
    }

    [Fact]
    public void LeadsOptions_OutOfRangeValues_FailValidationNamingBoth()
    {
        using var provider = Build(
            new() { ["Leads:MaxLeadsPerRequest"] = "0", ["Leads:MaxBodyBytes"] = "10" }, out _);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<LeadsOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.Contains(nameof(LeadsOptions.MaxLeadsPerRequest), StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains(nameof(LeadsOptions.MaxBodyBytes), StringComparison.Ordinal));
    }

    [Fact]
    public void LeadsOptions_Reload_TakesNewValidValuesAndKeepsLastGood()
    {
        using var provider = Build(new() { ["Leads:MaxLeadsPerRequest"] = "400" }, out var configuration);
        var live = provider.GetRequiredService<LiveOptions<LeadsOptions>>();

        configuration["Leads:MaxLeadsPerRequest"] = "100";
        configuration.Reload();
        Assert.Equal(100, live.Current.MaxLeadsPerRequest);

        configuration["Leads:MaxLeadsPerRequest"] = "-5";
        configuration.Reload();
        Assert.Equal(100, live.Current.MaxLeadsPerRequest);
    }
}
