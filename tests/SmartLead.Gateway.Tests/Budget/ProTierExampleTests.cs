using Microsoft.Extensions.Configuration;
using SmartLead.Gateway.Budget;

namespace SmartLead.Gateway.Tests.Budget;

public sealed class ProTierExampleTests
{
    [Fact]
    public void ProTierExample_BindsAndValidates_WithinProLimits()
    {
        var path = FindUpwards(Path.Combine("config", "pro-tier.json.example"));
        var configuration = new ConfigurationBuilder().AddJsonFile(path, optional: false).Build();
        var options = new RateLimitOptions();

        configuration.GetSection(RateLimitOptions.SectionName).Bind(options);

        Assert.True(new RateLimitOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(BudgetPlan.Pro, options.Plan);
        var windows = BudgetPlans.Resolve(options).Windows.ToDictionary(w => w.Window, w => w.PermitLimit);
        Assert.InRange(windows[TimeSpan.FromSeconds(1)], 16, 20);
        Assert.InRange(windows[TimeSpan.FromMinutes(1)], 96, 120);
        Assert.InRange(windows[TimeSpan.FromHours(1)], 2400, 3000);
    }

    private static string FindUpwards(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(relative);
    }
}
