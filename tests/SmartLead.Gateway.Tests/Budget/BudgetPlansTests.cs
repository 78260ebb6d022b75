using SmartLead.Gateway.Budget;

namespace SmartLead.Gateway.Tests.Budget;

public sealed class BudgetPlansTests
{
    [Fact]
    public void Resolve_Standard_FillsEveryLimitFromThePlan()
    {
        var limits = BudgetPlans.Resolve(new RateLimitOptions());

        Assert.Equal(new BucketLimit(8, 8, TimeSpan.FromSeconds(1), "plan"), limits.Bucket);
        Assert.Equal([("1s", 8), ("1m", 50), ("1h", 850)], limits.Windows.Select(w => (w.Name, w.PermitLimit)));
    }

    [Fact]
    public void Resolve_Pro_FillsTheSameSharesOfProLimits()
    {
        var limits = BudgetPlans.Resolve(new RateLimitOptions { Plan = BudgetPlan.Pro });

        Assert.Equal(new BucketLimit(16, 16, TimeSpan.FromSeconds(1), "plan"), limits.Bucket);
        Assert.Equal([16, 100, 2550], limits.Windows.Select(w => w.PermitLimit));
    }

    [Fact]
    public void Resolve_CustomWithNothingSet_BucketFromDefaultsAndNoWindows()
    {
        var limits = BudgetPlans.Resolve(new RateLimitOptions { Plan = BudgetPlan.Custom, TokensPerPeriod = 3 });

        Assert.Equal(new BucketLimit(8, 3, TimeSpan.FromSeconds(1), "setting"), limits.Bucket);
        Assert.Empty(limits.Windows);
        Assert.Equal("default", BudgetPlans.Resolve(new RateLimitOptions { Plan = BudgetPlan.Custom }).Bucket.Source);
    }

    [Fact]
    public void Resolve_ExplicitMinuteWindow_ReplacesThatWindowOnly()
    {
        var limits = BudgetPlans.Resolve(new RateLimitOptions
        {
            Windows = [new() { PermitLimit = 40, Window = TimeSpan.FromMinutes(1) }, new() { PermitLimit = 200, Window = TimeSpan.FromMinutes(10) }],
        });

        Assert.Equal(
            [("1s", 8, "plan"), ("1m", 40, "setting"), ("10m", 200, "setting"), ("1h", 850, "plan")],
            limits.Windows.Select(w => (w.Name, w.PermitLimit, w.Source)));
    }

    [Fact]
    public void CoveredSettings_HugeBucketUnderThePlansSecondWindow_NamesBoth()
    {
        // The new user's experience: a bucket of a million still gave 8 a second, because the plan's 8/s window stayed.
        var limits = BudgetPlans.Resolve(new RateLimitOptions { TokenLimit = 1_000_000, TokensPerPeriod = 1_000_000 });

        var (covered, by) = Assert.Single(BudgetPlans.CoveredSettings(limits));
        Assert.Contains("bucket of 1000000", covered, StringComparison.Ordinal);
        Assert.Contains("window of 8 per 00:00:01 (plan)", by, StringComparison.Ordinal);
    }

    [Fact]
    public void CoveredSettings_LooseSecondWindowUnderThePlansBucket_NamesBoth()
    {
        var limits = BudgetPlans.Resolve(new RateLimitOptions { Windows = [new() { PermitLimit = 1000, Window = TimeSpan.FromSeconds(1) }] });

        var (covered, by) = Assert.Single(BudgetPlans.CoveredSettings(limits));
        Assert.Contains("window of 1000 per 00:00:01 (setting)", covered, StringComparison.Ordinal);
        Assert.Contains("bucket of 8", by, StringComparison.Ordinal);
    }

    [Fact]
    public void CoveredSettings_TenMinuteWindowLooserThanTheHourOne_NamesBoth()
    {
        var limits = BudgetPlans.Resolve(new RateLimitOptions { Windows = [new() { PermitLimit = 900, Window = TimeSpan.FromMinutes(10) }] });

        var (covered, by) = Assert.Single(BudgetPlans.CoveredSettings(limits));
        Assert.Contains("900 per 00:10:00", covered, StringComparison.Ordinal);
        Assert.Contains("850 per 01:00:00", by, StringComparison.Ordinal);
    }

    [Fact]
    public void CoveredSettings_PlanAloneOrTighterSettings_NoWarning()
    {
        Assert.Empty(BudgetPlans.CoveredSettings(BudgetPlans.Resolve(new RateLimitOptions())));
        Assert.Empty(BudgetPlans.CoveredSettings(BudgetPlans.Resolve(new RateLimitOptions
        {
            TokenLimit = 4,
            TokensPerPeriod = 4,
            Windows = [new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) }],
        })));
    }

    [Fact]
    public void Share_TwoReplicas_HalvesEveryLimitRoundingDownButNeverBelowOne()
    {
        var share = BudgetPlans.Resolve(new RateLimitOptions { Windows = [new() { PermitLimit = 1, Window = TimeSpan.FromDays(1) }] }).Share(2);

        Assert.Equal((4, 4), (share.Bucket.TokenLimit, share.Bucket.TokensPerPeriod));
        Assert.Equal([4, 25, 425, 1], share.Windows.Select(w => w.PermitLimit));
    }

    [Fact]
    public void Describe_EveryLimitInOneLine()
    {
        var line = BudgetPlans.Resolve(new RateLimitOptions { Plan = BudgetPlan.Pro, TokenLimit = 12 }).Describe();

        Assert.Equal("bucket 12 (+16 per 00:00:01, setting), 1s 16 per 00:00:01 (plan), 1m 100 per 00:01:00 (plan), 1h 2550 per 01:00:00 (plan)", line);
        Assert.DoesNotContain('\n', line);
    }

    [Theory]
    [InlineData(1_000, "1s")]
    [InlineData(60_000, "1m")]
    [InlineData(3_600_000, "1h")]
    [InlineData(90_000, "90s")]
    [InlineData(500, "500ms")]
    public void WindowName_IsAStableShortLabel(int milliseconds, string name) =>
        Assert.Equal(name, BudgetPlans.WindowName(TimeSpan.FromMilliseconds(milliseconds)));
}
