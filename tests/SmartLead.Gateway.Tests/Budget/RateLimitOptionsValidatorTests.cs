using SmartLead.Gateway.Budget;

namespace SmartLead.Gateway.Tests.Budget;

public sealed class RateLimitOptionsValidatorTests
{
    private readonly RateLimitOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(_validator.Validate(null, new RateLimitOptions()).Succeeded);
    }

    [Fact]
    public void Validate_InvalidValues_ListsEveryError()
    {
        var options = new RateLimitOptions
        {
            TokenLimit = 0,
            TokensPerPeriod = -1,
            ReplenishmentPeriod = TimeSpan.Zero,
            QueueLimit = -1,
            MaxQueueWait = TimeSpan.FromSeconds(-1),
            Windows =
            [
                new() { PermitLimit = 0, Window = TimeSpan.FromMinutes(1) },
                new() { PermitLimit = 10, Window = TimeSpan.Zero },
            ],
        };

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Equal(7, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("RateLimit:TokenLimit ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("RateLimit:TokensPerPeriod ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("RateLimit:ReplenishmentPeriod ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("RateLimit:QueueLimit ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("RateLimit:MaxQueueWait ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("RateLimit:Windows:0:PermitLimit ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("RateLimit:Windows:1:Window ", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_TwoWindowsOfOneLength_Refused()
    {
        var options = new RateLimitOptions
        {
            Windows = [new() { PermitLimit = 5, Window = TimeSpan.FromMinutes(1) }, new() { PermitLimit = 6, Window = TimeSpan.FromMinutes(1) }],
        };

        var failure = Assert.Single(_validator.Validate(null, options).Failures!);
        Assert.StartsWith("RateLimit:Windows:1:Window 00:01:00 is listed twice", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public void Validate_ExpectedReplicasOutOfRange_Refused(int replicas)
    {
        var failure = Assert.Single(_validator.Validate(null, new RateLimitOptions { ExpectedReplicas = replicas }).Failures!);
        Assert.StartsWith("RateLimit:ExpectedReplicas ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ZeroQueue_IsAllowed()
    {
        Assert.True(_validator.Validate(null, new RateLimitOptions { QueueLimit = 0, MaxQueueWait = TimeSpan.Zero }).Succeeded);
    }
}
